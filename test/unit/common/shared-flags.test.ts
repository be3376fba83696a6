// The flag helpers the role commands share (ports, flag files, relay URLs) and the small formatting helpers other
// modules reuse instead of writing their own (host:port, relay endpoints, WebSocket close reasons).
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { portArgument } from '../../../proxy/src/cli/flag-helpers.js';
import { FlagFileError, readFlagFile } from '../../../proxy/src/common/flag-file.js';
import { parsePort, portFromText } from '../../../proxy/src/common/port.js';
import { relayEndpoint } from '../../../proxy/src/common/relay-url.js';
import { parseRelayUrl } from '../../../proxy/src/common/relay-url.js';
import { describeDialError } from '../../../proxy/src/tunnel/errors.js';
import { closeReason } from '../../../proxy/src/tunnel/transport.js';
import { repoPath } from '../../support/repo.js';
import { run } from '../../support/run.js';

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
  it('reads the whole file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flag-file-')), 'token');
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
    expect(error.message).to.equal('--relay-ca-file /nonexistent/ca.pem cannot be read (ENOENT)');
    expect(error.code).to.equal('ENOENT');
    expect((error.cause as NodeJS.ErrnoException).code).to.equal('ENOENT');
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
