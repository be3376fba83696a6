// Receive window per stream on every ClusterConnect session (relay, agent, client proxy). Throughput of one stream
// is about window / round trip across the three hops; 256 KiB (the protocol's initial window) capped a single
// stream near 36 MB/s on loopback. A larger window costs memory only for a reader that stalls (bounded by it).
export const SESSION_STREAM_WINDOW = Number(process.env.CLUSTERCONNECT_STREAM_WINDOW ?? 2 * 1024 * 1024);
