// What `clusterconnect proxy` prints once it serves: a few lines for people, or exactly one JSON line for scripts
// (so a caller reads one line instead of polling the port).

export interface ReadyState {
  cluster: string;
  context: string;
  /** host:port of the listener. */
  listen: string;
  /** The kubeconfig written, or '-' for stdout. */
  kubeconfig: string;
}

export function readyJsonLine(state: ReadyState): string {
  return `${JSON.stringify({ status: 'ready', cluster: state.cluster, context: state.context, listen: state.listen, kubeconfig: state.kubeconfig })}\n`;
}

export function readyTextLines(state: ReadyState, mergeMessage: string): string {
  return [`Proxy for cluster ${state.cluster} listening on ${state.listen}`, `Context: ${state.context}`, mergeMessage, 'Press Ctrl+C to stop.'].join('\n') + '\n';
}
