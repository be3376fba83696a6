// The token cache file: versioned, private, atomic, and one clear error for anything it cannot read.
import { expect } from 'chai';
import { readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configDir } from '../../../proxy/src/client/login/config-dir.js';
import { TokenCacheUnreadableError } from '../../../proxy/src/client/login/errors.js';
import { logout } from '../../../proxy/src/client/login/logout.js';
import { resolveLoginTarget, targetKey } from '../../../proxy/src/client/login/login-target.js';
import { parseTokenCache, TokenCacheFile } from '../../../proxy/src/client/login/token-cache.js';
import type { StoredSession } from '../../../proxy/src/client/login/token-cache.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

const target = resolveLoginTarget({ authority: 'https://id.example.com', clientId: 'cli', audience: 'kube' });
const session = (): StoredSession => ({ key: targetKey(target), target, method: { kind: 'device-code' }, loggedInAt: new Date().toISOString() });

describe('login token cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = join(makeTempDir('cc-cache-'), 'clusterconnect');
  });
  afterEach(() => removeTempDir(dirname(dir)));

  it('lives in CLUSTERCONNECT_CONFIG_DIR, else XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configDir({ CLUSTERCONNECT_CONFIG_DIR: '/x' }, '/home/u')).to.equal('/x');
    expect(configDir({ XDG_CONFIG_HOME: '/xdg' }, '/home/u')).to.equal('/xdg/clusterconnect');
    expect(configDir({ XDG_CONFIG_HOME: 'relative' }, '/home/u')).to.equal('/home/u/.config/clusterconnect');
  });

  it('writes mode 0600 in a 0700 directory, atomically (no temp or lock file left)', async () => {
    const cache = new TokenCacheFile(join(dir, 'token-cache.json'));
    await cache.update((content) => Promise.resolve({ content: { ...content, sessions: [session()] }, result: undefined }));
    expect(statSync(cache.path).mode & 0o777).to.equal(0o600);
    expect(statSync(dir).mode & 0o777).to.equal(0o700);
    expect(readdirSync(dir)).to.deep.equal(['token-cache.json']);
    expect((await cache.read()).sessions).to.have.length(1);
  });

  it('concurrent updates all land', async () => {
    const cache = new TokenCacheFile(join(dir, 'token-cache.json'));
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        cache.update((content) => Promise.resolve({ content: { ...content, sessions: [...content.sessions, { ...session(), key: `k${i}` }] }, result: undefined })),
      ),
    );
    expect((await cache.read()).sessions).to.have.length(8);
  });

  for (const [text, reason] of [
    ['{not json', /not valid JSON/],
    ['[]', /not a JSON object/],
    ['{"sessions": []}', /format version null/],
    ['{"version": 2, "sessions": []}', /format version 2, this clusterconnect reads version 1/],
    ['{"version": 1, "sessions": [{"key": 1}]}', /sessions are malformed/],
  ] as const) {
    it(`${text} is one clear error naming the file and logout`, () => {
      expect(() => parseTokenCache(text, '/c/token-cache.json'))
        .to.throw(TokenCacheUnreadableError, reason)
        .with.property('message')
        .that.matches(/^token cache \/c\/token-cache\.json is unreadable .*run `clusterconnect logout`/);
    });
  }

  it('logout with a target removes only that session; on an unreadable cache it resets the file', async () => {
    const cache = new TokenCacheFile(join(dir, 'token-cache.json'));
    const other = { ...session(), key: 'other' };
    await cache.update((c) => Promise.resolve({ content: { ...c, current: session().key, sessions: [session(), other] }, result: undefined }));
    expect(await logout(cache, target)).to.deep.include({ removed: 1 });
    const left = await cache.read();
    expect(left.sessions.map((s) => s.key)).to.deep.equal(['other']);
    expect(left.current).to.equal(undefined);

    mkdirSync(dir, { recursive: true });
    writeFileSync(cache.path, 'garbage');
    expect(await logout(cache, target)).to.deep.include({ removed: 'all' });
    expect((await cache.read()).sessions).to.deep.equal([]);
  });
});
