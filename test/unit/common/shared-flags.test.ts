// The flag helpers the role commands share (ports, flag files, relay URLs) and the small formatting helpers other
// modules reuse instead of writing their own (host:port, relay endpoints, WebSocket close reasons).
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { addOpsHostOption, portArgument } from '../../../proxy/src/cli/flag-helpers.js';
import { shutdownGraceMs } from '../../../proxy/src/cli/operator-command.js';
import { parseDuration, parseSecondsOrDuration } from '../../../proxy/src/common/duration.js';
import { FlagFileError, readFlagFile, readFlagFileAsync } from '../../../proxy/src/common/flag-file.js';
import { formatHostPort, parseHostPort } from '../../../proxy/src/common/host-port.js';
import { parsePort, portFromText } from '../../../proxy/src/common/port.js';
import { relayEndpoint } from '../../../proxy/src/common/relay-url.js';
import { parseRelayUrl } from '../../../proxy/src/common/relay-url.js';
import { describeDialError } from '../../../proxy/src/tunnel/errors.js';
import { closeReason } from '../../../proxy/src/tunnel/transport.js';
import { repoPath } from '../../support/repo.js';
import { run } from '../../support/run.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

describe('common/port', () => {
  it('takes plain decimal ports from 0 to 65535', () => {
    for (const [text, port] of [['0', 0], ['80', 80], ['08081', 8081], ['65535', 65535]] as const) expect(portFromText(text)).to.equal(port);
  });

  it("rejects what Number() would take but nobody means: '', exponents, hex, signs, spaces, fractions, out of range", () => {
    for (const text of ['', ' ', '1e3', '0x50', '0o7', '0b1', '+80', '-1', ' 80', '80 ', '80.0', '65536', '99999999999999999999', 'http']) {
      expect(portFromText(text), JSON.stringify(text)).to.equal(undefined);
    }
  });

  it('parsePort: the fallback when absent, one sentence naming the flag when not a port', () => {
    expect(parsePort(undefined, '--ops-port', 8081)).to.equal(8081);
    expect(parsePort('0', '--ops-port', 8081)).to.equal(0);
    expect(() => parsePort('', '--ops-port', 8081)).to.throw('--ops-port "" is not a port number (0-65535)');
    expect(() => parsePort('1e3', '--port', 1)).to.throw('--port "1e3" is not a port number (0-65535)');
  });

  it('portArgument: commander’s InvalidArgumentError with the same range', () => {
    expect(portArgument('8443')).to.equal(8443);
    for (const text of ['70000', '1e3', '0x10', '']) {
      expect(() => portArgument(text)).to.throw(InvalidArgumentError, 'expected a port number between 0 and 65535');
    }
  });

  it('the operator takes the same ports and only the pull policies Kubernetes knows, as usage errors', async () => {
    const operator = (...args: string[]) => run(process.execPath, [repoPath('dist/proxy/src/cli/main.js'), 'operator', ...args]);
    const port = await operator('--ops-port', '1e3');
    expect(port.code).to.equal(2);
    expect(port.stderr).to.match(/--ops-port.*between 0 and 65535/);
    const policy = await operator('--image-pull-policy', 'Sometimes');
    expect(policy.code).to.equal(2);
    expect(policy.stderr).to.match(/--image-pull-policy.*Always, IfNotPresent, Never/);
  });
});

describe('common/flag-file', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('flag-file-');
  });
  afterEach(() => removeTempDir(dir));

  it('reads the whole file', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'abc\n');
    expect(readFlagFile(file, '--relay-token-file')).to.equal('abc\n');
  });

  it('names the flag, the path and the error code, with the file system error as cause', () => {
    let caught: unknown;
    try {
      readFlagFile('/nonexistent/ca.pem', '--relay-ca-file');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(FlagFileError);
    const error = caught as FlagFileError;
    expect(error.message).to.equal('--relay-ca-file /nonexistent/ca.pem cannot be read (ENOENT); check the path');
    expect(error.code).to.equal('ENOENT');
    expect((error.cause as NodeJS.ErrnoException).code).to.equal('ENOENT');
  });

  it('says what to fix for a directory, a file this user may not read, and anything else', () => {
    expect(() => readFlagFile(dir, '--tls-cert-file')).to.throw(`--tls-cert-file ${dir} cannot be read (EISDIR); give a file, not a directory`);
    // Built from the file system's codes (root reads any file, so EACCES cannot be provoked in every test run).
    const failure = (code?: string) => Object.assign(new Error('x'), code ? { code } : {});
    expect(new FlagFileError('--key', '/k', failure('EACCES')).message).to.equal('--key /k cannot be read (EACCES); make it readable by this user');
    expect(new FlagFileError('--key', '/k', failure('EPERM')).message).to.equal('--key /k cannot be read (EPERM); make it readable by this user');
    expect(new FlagFileError('--key', '/k', failure('EIO')).message).to.equal('--key /k cannot be read (EIO); give a readable file');
    expect(new FlagFileError('--key', '/k', failure()).message).to.equal('--key /k cannot be read (error); give a readable file');
  });

  it('the async variant reads the same and fails with the same FlagFileError', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'abc\n');
    expect(await readFlagFileAsync(file, '--relay-token-file')).to.equal('abc\n');
    const error = await readFlagFileAsync('/nonexistent/token', '--federated-token-file').then(
      () => expect.fail('read a missing file'),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(FlagFileError);
    expect((error as FlagFileError).message).to.equal('--federated-token-file /nonexistent/token cannot be read (ENOENT); check the path');
  });
});

describe('common/duration: --shutdown-grace and --drain-seconds', () => {
  it('takes a duration, and a bare whole number as seconds (what the flags took before)', () => {
    for (const [text, ms] of [['30', 30_000], ['0', 0], ['30s', 30_000], ['1m', 60_000], ['500ms', 500], ['1.5s', 1_500], [' 20 ', 20_000]] as const) {
      expect(parseSecondsOrDuration(text, '--drain-seconds'), JSON.stringify(text)).to.equal(ms);
    }
  });

  it('rejects anything else with one line naming the flag and both accepted forms', () => {
    for (const text of ['', '1.5', '-1', '1e3', '0x10', '10x', 's', '1 m']) {
      expect(() => parseSecondsOrDuration(text, '--drain-seconds'), JSON.stringify(text)).to.throw(
        `--drain-seconds ${JSON.stringify(text)} is not a duration: use whole seconds (30) or a number with a unit, e.g. 500ms, 30s, 1m`,
      );
    }
  });

  it('parseDuration still wants a unit (agent and relay durations are unchanged)', () => {
    expect(() => parseDuration('30', '--drain-timeout')).to.throw('--drain-timeout "30" is not a duration');
    expect(parseDuration('30s', '--drain-timeout')).to.equal(30_000);
  });

  it('--shutdown-grace must be more than 0, as before', () => {
    expect(shutdownGraceMs('20')).to.equal(20_000);
    expect(shutdownGraceMs('1m')).to.equal(60_000);
    for (const text of ['0', '0s', '0.1ms']) expect(() => shutdownGraceMs(text), text).to.throw(`--shutdown-grace "${text}" must be more than 0, e.g. 20s`);
    expect(() => shutdownGraceMs('soon')).to.throw('--shutdown-grace "soon" is not a duration');
  });

  it('the operator and auth-proxy refuse a bad one as a usage error (exit 2), in one line', async () => {
    const cli = (...args: string[]) => run(process.execPath, [repoPath('dist/proxy/src/cli/main.js'), ...args]);
    const operator = await cli('operator', '--no-leader-election', '--shutdown-grace', '20x');
    expect(operator.code).to.equal(2);
    expect(operator.stderr.trim()).to.equal('error: --shutdown-grace "20x" is not a duration: use whole seconds (30) or a number with a unit, e.g. 500ms, 30s, 1m');
    for (const role of ['operator', 'auth-proxy']) {
      const help = await cli(role, '--help');
      expect(help.stdout.replace(/\s+/g, ' '), role).to.match(/--(shutdown-grace|drain-seconds) <duration> .*a duration \(\d+s, 1m\) or whole seconds \(\d+\)/);
    }
  });
});

describe('cli/flag-helpers: --ops-host, and --ops-address as its hidden old name', () => {
  const parse = (...args: string[]) => {
    const command = addOpsHostOption(new Command('role').exitOverride());
    command.parse(args, { from: 'user' });
    return command.opts<{ opsHost: string }>().opsHost;
  };

  it('defaults to every address; either name sets it; the last one given wins', () => {
    expect(parse()).to.equal('0.0.0.0');
    expect(parse('--ops-host', '127.0.0.1')).to.equal('127.0.0.1');
    expect(parse('--ops-address', '::1')).to.equal('::1');
    expect(parse('--ops-address=10.0.0.1')).to.equal('10.0.0.1');
    expect(parse('--ops-host', '127.0.0.1', '--ops-address', '10.0.0.1')).to.equal('10.0.0.1');
    expect(parse('--ops-address', '10.0.0.1', '--ops-host', '127.0.0.1')).to.equal('127.0.0.1');
  });

  it('every server role offers --ops-host in --help and accepts the old name without offering it', async () => {
    const cli = (...args: string[]) => run(process.execPath, [repoPath('dist/proxy/src/cli/main.js'), ...args]);
    for (const role of ['agent', 'relay', 'operator', 'auth-proxy']) {
      const help = await cli(role, '--help');
      expect(help.stdout, role).to.contain('--ops-host <host>');
      expect(help.stdout, role).to.not.contain('--ops-address');
    }
    // Accepted: the command gets past flag parsing to its own check (the relay's missing --public-key-file).
    const relay = await cli('relay', '--ops-address', '127.0.0.1');
    expect(relay.code).to.equal(2);
    expect(relay.stderr.trim()).to.equal('error: --public-key-file is required (make a key pair with: clusterconnect relay keygen)');
  });
});

describe('common/relay-url and relay endpoints', () => {
  it('parseRelayUrl keeps its messages', () => {
    expect(parseRelayUrl('https://relay.example.com', false).href).to.equal('wss://relay.example.com/');
    expect(() => parseRelayUrl('ws://relay.example.com', false, '--relay')).to.throw('--relay ws://relay.example.com is plain ws://');
  });

  it('relayEndpoint appends a path to the base path without doubling the slash', () => {
    expect(relayEndpoint(new URL('wss://relay.example.com'), '/v1/agent/connect').href).to.equal('wss://relay.example.com/v1/agent/connect');
    expect(relayEndpoint(new URL('wss://relay.example.com/base/'), '/v1/clusters').href).to.equal('wss://relay.example.com/base/v1/clusters');
    expect(relayEndpoint(new URL('ws://[::1]:8080/base'), '/v1/clusters/a%2Fb/connect').href).to.equal('ws://[::1]:8080/base/v1/clusters/a%2Fb/connect');
  });
});

describe('host:port and close reasons', () => {
  it('parseHostPort takes a name, IPv4 or [IPv6] with a decimal port; port 0 only where asked', () => {
    expect(parseHostPort('kube.svc:443', '--upstream')).to.deep.equal({ host: 'kube.svc', port: 443 });
    expect(parseHostPort('[::1]:8443', '--listen')).to.deep.equal({ host: '::1', port: 8443 });
    expect(parseHostPort('127.0.0.1:0', '--listen', true)).to.deep.equal({ host: '127.0.0.1', port: 0 });
    for (const text of ['kube.svc', 'kube.svc:', '::1:443', 'kube.svc:1e3', 'kube.svc:65536', 'kube.svc:-1', 'kube.svc:0']) {
      expect(() => parseHostPort(text, '--upstream'), text).to.throw(`--upstream "${text}" is not HOST:PORT`);
    }
  });

  it('formatHostPort brackets IPv6 only, so parseHostPort reads back what it wrote', () => {
    for (const [host, text] of [['kube.svc', 'kube.svc:443'], ['10.0.0.1', '10.0.0.1:443'], ['::1', '[::1]:443'], ['fe80::1%eth0', '[fe80::1%eth0]:443']] as const) {
      expect(formatHostPort({ host, port: 443 })).to.equal(text);
    }
    expect(parseHostPort(formatHostPort({ host: '2001:db8::1', port: 6443 }), '--upstream')).to.deep.equal({ host: '2001:db8::1', port: 6443 });
  });

  it('describeDialError brackets an IPv6 upstream', () => {
    expect(describeDialError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), '::1', 443)).to.equal('upstream [::1]:443 refused the connection');
    expect(describeDialError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'kube.svc', 443)).to.equal('upstream kube.svc:443 refused the connection');
  });

  it('closeReason keeps a reason of up to 123 bytes and cuts a longer one at a character boundary', () => {
    // The implementation closeReason had before it reused truncateUtf8.
    const before = (text: string) => {
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length <= 123) return text;
      let end = 120;
      while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
      return `${bytes.subarray(0, end).toString('utf8')}...`;
    };
    for (const unit of ['a', 'é', '€', '😀']) {
      for (let n = 0; n < 140; n++) {
        for (const prefix of ['', 'x', 'xy']) {
          const text = prefix + unit.repeat(n);
          const reason = closeReason(text);
          expect(reason).to.equal(before(text));
          expect(Buffer.byteLength(reason)).to.be.at.most(123);
        }
      }
    }
  });
});
