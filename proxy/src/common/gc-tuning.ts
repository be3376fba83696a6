// Garbage-collector setting for the data-path roles (relay, agent, client proxy, kube-aad-proxy).
//
// Every socket read, WebSocket message and TLS record is a fresh off-heap buffer, so moving 100 MB/s allocates
// several hundred MB/s of external memory while the JavaScript heap hardly grows. By default V8 starts a full
// mark-compact whenever external memory grows 64 MB past the last one: about ten a second at that rate, 30–45 %
// of each process's CPU in `make bench-tunnel`. Counting external memory in V8's global allocation limit instead
// lets most of those buffers die in ordinary scavenges: tunnel throughput 89 → 138 MB/s, CPU per byte −45 %
// (docs/tunnel-protocol.md). The flag appeared in V8 13 (Node 24); older V8 would print "unrecognized flag".
import v8 from 'node:v8';

const FLAG = '--external-memory-accounted-in-global-limit';
const FIRST_V8_MAJOR_WITH_FLAG = 13;

export function tuneGarbageCollectorForStreaming(v8Version = process.versions.v8): boolean {
  const major = Number.parseInt(v8Version.split('.')[0] ?? '', 10);
  if (!(major >= FIRST_V8_MAJOR_WITH_FLAG)) return false;
  v8.setFlagsFromString(FLAG);
  return true;
}
