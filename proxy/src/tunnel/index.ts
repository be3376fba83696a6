// The tunnel protocol's public surface, shared by the relay, the agent and the client proxy.
export * from './errors.js';
export * from './frame.js';
export { decodeFrame, encodeFrame } from './codec.js';
export { INITIAL_STREAM_WINDOW } from './flow-control.js';
export { CloseCode } from './transport.js';
export type { MessageTransport, TransportHandlers } from './transport.js';
export { WebSocketTransport, tunnelWebSocketOptions } from './ws-transport.js';
export { createMemoryTransportPair } from './memory-transport.js';
export { TunnelSession } from './session.js';
export type { SessionSide, TunnelSessionEvents, TunnelSessionOptions, TunnelSessionStats } from './session.js';
export { TunnelStream } from './stream.js';
export { FrameStream } from './frame-stream.js';
export type { FrameStreamHandler } from './frame-stream.js';
export type { StreamDirection } from './stream.js';
export { bridgeStreamToSocket, dialTarget } from './tcp-bridge.js';
export type { DialTargetOptions } from './tcp-bridge.js';
