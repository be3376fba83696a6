import { expect } from 'chai';
import { TunnelStreamResetError } from '../../../proxy/src/tunnel/errors.js';
import { INITIAL_STREAM_WINDOW } from '../../../proxy/src/tunnel/flow-control.js';
import { FrameType, MAX_DATA_PAYLOAD, MAX_WINDOW, ResetCode } from '../../../proxy/src/tunnel/frame.js';
import type { Frame } from '../../../proxy/src/tunnel/frame.js';
import { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import type { SessionSide } from '../../../proxy/src/tunnel/session.js';
import type { StreamDirection } from '../../../proxy/src/tunnel/stream-endpoint.js';
import { StreamState, unexpectedFrame } from '../../../proxy/src/tunnel/stream-state.js';
import type { StreamViolation } from '../../../proxy/src/tunnel/stream-state.js';
import type { TunnelStream } from '../../../proxy/src/tunnel/stream.js';
import { captureLogger, quiet, ScriptedTransport } from './helpers.js';

function state(direction: StreamDirection, openTimeoutMs = 0, onOpenTimeout: (reason: string) => void = () => undefined): StreamState {
  return new StreamState({ id: 1, direction, target: 'kube:443', metadata: {}, openTimeoutMs }, onOpenTimeout);
}

const protocolError = (reason: string): StreamViolation => ({ code: ResetCode.ProtocolError, reason });
const flowControlError = (reason: string): StreamViolation => ({ code: ResetCode.FlowControlError, reason });

describe('StreamState: the rules for frames from the peer', () => {
  it('takes ACCEPT once, on an outbound stream only', () => {
    const outbound = state('outbound');
    expect(outbound.receiveAccept()).to.equal(undefined);
    expect(outbound.accepted).to.equal(true);
    expect(outbound.receiveAccept()).to.deep.equal(protocolError('unexpected ACCEPT'));
    expect(state('inbound').receiveAccept()).to.deep.equal(protocolError('unexpected ACCEPT'));
  });

  it('refuses DATA before ACCEPT on an outbound stream, and takes it on an inbound one (the optimistic ClientHello)', () => {
    expect(state('outbound').receiveData(10)).to.deep.equal(protocolError('DATA before ACCEPT'));
    const inbound = state('inbound');
    expect(inbound.receiveData(10)).to.equal(undefined);
    expect(inbound.received).to.equal(10);
  });

  it('refuses DATA after the peer\'s CLOSE_WRITE', () => {
    const inbound = state('inbound');
    expect(inbound.receiveCloseWrite()).to.equal(undefined);
    expect(inbound.receiveData(1)).to.deep.equal(protocolError('DATA after CLOSE_WRITE'));
  });

  it('takes DATA up to the receive limit exactly and says by how much a frame overran it', () => {
    const inbound = state('inbound');
    for (let sent = 0; sent < INITIAL_STREAM_WINDOW; sent += MAX_DATA_PAYLOAD) expect(inbound.receiveData(MAX_DATA_PAYLOAD)).to.equal(undefined);
    expect(inbound.receiveData(100)).to.deep.equal(flowControlError('peer sent 100 bytes beyond the window'));
    expect(inbound.received).to.equal(INITIAL_STREAM_WINDOW);
    inbound.grant(50);
    expect(inbound.receiveData(50)).to.equal(undefined);
  });

  it('refuses a second CLOSE_WRITE, and CLOSE_WRITE before ACCEPT on an outbound stream', () => {
    const inbound = state('inbound');
    expect(inbound.receiveCloseWrite()).to.equal(undefined);
    expect(inbound.receiveCloseWrite()).to.deep.equal(protocolError('second CLOSE_WRITE'));
    expect(state('outbound').receiveCloseWrite()).to.deep.equal(protocolError('CLOSE_WRITE before ACCEPT'));
  });

  it('adds WINDOW increments to the send credit up to the 31-bit limit and refuses an overflow', () => {
    const stream = state('inbound');
    expect(stream.receiveWindow(MAX_WINDOW - INITIAL_STREAM_WINDOW)).to.equal(undefined);
    expect(stream.sendCredit).to.equal(MAX_WINDOW);
    expect(stream.receiveWindow(1)).to.deep.equal(flowControlError('WINDOW overflows the credit'));
    expect(stream.sendCredit).to.equal(MAX_WINDOW);
  });

  it('names a frame type that does not belong on a stream', () => {
    expect(unexpectedFrame(FrameType.Ping)).to.deep.equal(protocolError('unexpected frame type 7 on a stream'));
  });

  it('accepts an inbound stream locally once, and not once it is done', () => {
    const inbound = state('inbound');
    expect(inbound.acceptInbound()).to.equal(true);
    expect(inbound.acceptInbound()).to.equal(false);
    expect(state('outbound').acceptInbound()).to.equal(false);
    const finished = state('inbound');
    expect(finished.finish()).to.equal(true);
    expect(finished.finish()).to.equal(false);
    expect(finished.acceptInbound()).to.equal(false);
  });

  it('is complete once both directions are half-closed', () => {
    const inbound = state('inbound');
    inbound.markSentCloseWrite();
    expect(inbound.bothClosed).to.equal(false);
    inbound.receiveCloseWrite();
    expect(inbound.bothClosed).to.equal(true);
  });

  describe('open timer', () => {
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it('fires for an outbound stream left unanswered, with the reason', async () => {
      const reasons: string[] = [];
      state('outbound', 10, (reason) => reasons.push(reason));
      await wait(40);
      expect(reasons).to.deep.equal(['no answer to the open of kube:443 within 10 ms']);
    });

    it('does not fire once ACCEPT came or the stream finished, nor for an inbound stream', async () => {
      const reasons: string[] = [];
      state('outbound', 10, (reason) => reasons.push(reason)).receiveAccept();
      state('outbound', 10, (reason) => reasons.push(reason)).finish();
      state('inbound', 10, (reason) => reasons.push(reason));
      await wait(40);
      expect(reasons).to.deep.equal([]);
    });
  });
});

/** How one stream kind answered a bad frame sequence: the RESET it sent, the warning and its own failure. */
interface Outcome {
  reset: { code: number; reason: string } | undefined;
  warned: string[];
  local: { code: number; reason: string } | undefined;
}

const peerSide = (direction: StreamDirection): SessionSide => (direction === 'inbound' ? 'listener' : 'dialer');

/** A session whose peer is the test; stream 1 is opened by the peer (inbound) or by the session (outbound). */
function scripted(direction: StreamDirection) {
  const transport = new ScriptedTransport();
  const log = captureLogger();
  const session = new TunnelSession(transport, { side: peerSide(direction), logger: log.logger });
  const warned = () =>
    log.lines
      .map((line) => JSON.parse(line) as { message: string; reason?: string })
      .filter((entry) => entry.message === 'tunnel stream protocol violation; resetting the stream')
      .map((entry) => entry.reason ?? '');
  const reset = () => {
    const frame = transport.sentFrames().find((sent) => sent.type === FrameType.Reset);
    return frame?.type === FrameType.Reset ? { code: frame.code, reason: frame.reason } : undefined;
  };
  return { transport, session, warned, reset };
}

function throughTunnelStream(direction: StreamDirection, frames: Frame[]): Outcome {
  const { transport, session, warned, reset } = scripted(direction);
  let stream: TunnelStream | undefined;
  if (direction === 'inbound') {
    session.on('stream', (inbound) => {
      stream = quiet(inbound);
      inbound.accept();
    });
    transport.deliver({ type: FrameType.Open, streamId: 1, target: 't', metadata: {} });
  } else {
    stream = quiet(session.openStream('t'));
  }
  for (const frame of frames) transport.deliver(frame);
  const error = stream?.errored;
  const local = error instanceof TunnelStreamResetError ? { code: error.code, reason: error.reason } : undefined;
  const outcome = { reset: reset(), warned: warned(), local };
  session.close();
  return outcome;
}

function throughFrameStream(direction: StreamDirection, frames: Frame[]): Outcome {
  const { transport, session, warned, reset } = scripted(direction);
  let local: Outcome['local'];
  const handler = { data() {}, window() {}, accept() {}, closeWrite() {}, finished() {}, reset: (code: number, reason: string) => (local ??= { code, reason }) };
  if (direction === 'inbound') {
    session.on('frameStream', (inbound) => {
      inbound.attach(handler);
      inbound.accept();
    });
    transport.deliver({ type: FrameType.Open, streamId: 1, target: 't', metadata: {} });
  } else {
    session.openFrameStream('t').attach(handler);
  }
  for (const frame of frames) transport.deliver(frame);
  const outcome = { reset: reset(), warned: warned(), local };
  session.close();
  return outcome;
}

describe('TunnelStream and FrameStream answer the same bad frames the same way', () => {
  const data = (length: number): Frame => ({ type: FrameType.Data, streamId: 1, payload: Buffer.alloc(length) });
  const accept: Frame = { type: FrameType.Accept, streamId: 1 };
  const closeWrite: Frame = { type: FrameType.CloseWrite, streamId: 1 };
  const cases: { name: string; direction: StreamDirection; frames: Frame[]; expected: StreamViolation }[] = [
    { name: 'ACCEPT for a stream the peer opened', direction: 'inbound', frames: [accept], expected: protocolError('unexpected ACCEPT') },
    { name: 'a second ACCEPT', direction: 'outbound', frames: [accept, accept], expected: protocolError('unexpected ACCEPT') },
    { name: 'DATA before ACCEPT', direction: 'outbound', frames: [data(1)], expected: protocolError('DATA before ACCEPT') },
    { name: 'DATA after CLOSE_WRITE', direction: 'inbound', frames: [closeWrite, data(1)], expected: protocolError('DATA after CLOSE_WRITE') },
    {
      name: 'DATA beyond the initial window',
      direction: 'inbound',
      frames: [...Array.from({ length: INITIAL_STREAM_WINDOW / MAX_DATA_PAYLOAD }, () => data(MAX_DATA_PAYLOAD)), data(7)],
      expected: flowControlError('peer sent 7 bytes beyond the window'),
    },
    { name: 'a second CLOSE_WRITE', direction: 'inbound', frames: [closeWrite, closeWrite], expected: protocolError('second CLOSE_WRITE') },
    { name: 'CLOSE_WRITE before ACCEPT', direction: 'outbound', frames: [closeWrite], expected: protocolError('CLOSE_WRITE before ACCEPT') },
    { name: 'a WINDOW that overflows the credit', direction: 'outbound', frames: [accept, { type: FrameType.Window, streamId: 1, increment: MAX_WINDOW }], expected: flowControlError('WINDOW overflows the credit') },
  ];

  for (const { name, direction, frames, expected } of cases) {
    it(`${name} (${direction})`, () => {
      const bytes = throughTunnelStream(direction, frames);
      const forwarded = throughFrameStream(direction, frames);
      const want: Outcome = { reset: expected, warned: [expected.reason], local: { code: expected.code, reason: `protocol violation by the peer: ${expected.reason}` } };
      expect(bytes).to.deep.equal(want);
      expect(forwarded).to.deep.equal(want);
    });
  }
});
