// The tests' temp-dir helper: made under os.tmpdir(), removed by its owner, and whatever is left removed on exit.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../support/run.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const helper = fileURLToPath(new URL('../support/temp-dir.js', import.meta.url));

// A process that makes two dirs (files in one, the other removed at once), says what it saw, and ends as asked.
const child = `
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const { makeTempDir, removeTempDir } = await import(process.env.HELPER);
const kept = makeTempDir('cc-temp-dir-test-');
mkdirSync(join(kept, 'nested'));
writeFileSync(join(kept, 'nested', 'file'), 'x');
const removed = makeTempDir('cc-temp-dir-test-');
removeTempDir(removed);
console.log(JSON.stringify({ kept, keptThere: existsSync(join(kept, 'nested', 'file')), removed, removedGone: !existsSync(removed) }));
if (process.argv[1] === 'exit') process.exit(3);
if (process.argv[1] === 'throw') throw new Error('boom');
setTimeout(() => undefined, 20);
`;

async function runChild(end: 'natural' | 'exit' | 'throw'): Promise<{ code: number | null; kept: string; keptThere: boolean; removed: string; removedGone: boolean }> {
  const result = await run(process.execPath, ['--input-type=module', '-e', child, end], { env: { ...process.env, HELPER: helper } });
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  expect(line, result.stderr).to.match(/^\{/);
  return { code: result.code, ...(JSON.parse(line) as { kept: string; keptThere: boolean; removed: string; removedGone: boolean }) };
}

describe('test support: temp dirs', () => {
  it('makes a new dir under os.tmpdir() with the prefix; removeTempDir removes it with its contents, and again is fine', () => {
    const dir = makeTempDir('cc-temp-dir-test-');
    expect(dirname(dir)).to.equal(tmpdir());
    expect(dir.slice(tmpdir().length + 1)).to.match(/^cc-temp-dir-test-.{6}$/);
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'file'), 'x');
    expect(makeTempDir('cc-temp-dir-test-')).to.not.equal(dir);
    removeTempDir(dir);
    expect(existsSync(dir)).to.equal(false);
    expect(() => removeTempDir(dir)).to.not.throw();
  });

  it('refuses to remove a directory it did not make', () => {
    const other = mkdtempSync(join(tmpdir(), 'cc-temp-dir-test-'));
    try {
      expect(() => removeTempDir(other)).to.throw(/was not made by makeTempDir/);
      expect(existsSync(other)).to.equal(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  for (const end of ['natural', 'exit', 'throw'] as const) {
    it(`removes what is still there when the process exits (${end === 'natural' ? 'its event loop empties' : end === 'exit' ? 'process.exit(3), as mocha --exit does' : 'an uncaught exception'}), keeping its exit code`, async function () {
      this.timeout(20_000);
      const { code, kept, keptThere, removed, removedGone } = await runChild(end);
      expect(code).to.equal({ natural: 0, exit: 3, throw: 1 }[end]);
      expect(keptThere, 'the dir and its files are there while the process runs').to.equal(true);
      expect(removedGone, 'removeTempDir removed the other one at once').to.equal(true);
      expect(dirname(kept)).to.equal(tmpdir());
      expect(existsSync(kept), `${kept} is left after exit`).to.equal(false);
      expect(existsSync(removed)).to.equal(false);
    });
  }
});
