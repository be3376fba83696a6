// The relay's only state: the agent sessions that are connected right now, by cluster, plus when each cluster was
// last seen (so "no agent is connected" can say since when). Nothing here survives a restart, by design: any
// replica can rebuild it from the agents that dial in.
import type { TunnelSession } from '../tunnel/session.js';
import type { ClusterConnectionInfo } from './cluster-info.js';

/** What the registry needs of a session; a TunnelSession fits. */
export type AgentSessionView = Pick<TunnelSession, 'acceptingStreams' | 'streamCount' | 'lastFrameAt'>;

export interface AgentConnection<S extends AgentSessionView = TunnelSession> {
  id: string;
  cluster: string;
  session: S;
  info: ClusterConnectionInfo;
  connectedAt: Date;
}

export interface ClusterSummary {
  name: string;
  agents: number;
  /** Agents not draining. */
  readyAgents: number;
  lastSeen: string;
}

export interface AgentRegistryOptions {
  now?: () => Date;
  /** The clock of `session.lastFrameAt` (performance.now()). */
  monotonicNow?: () => number;
}

/**
 * An agent that sent nothing for this long is passed over while another answers. Agents PING every 5 s, so a live
 * one is never this quiet; a frozen or cut-off one is, long before the 30 s dead-peer timeout closes its session.
 */
const SILENT_AGENT_MS = 12_000;

/** Bound on remembered last-seen times of clusters with no live agent (memory stays bounded against churn). */
const MAX_REMEMBERED_CLUSTERS = 10_000;

export class AgentRegistry<S extends AgentSessionView = TunnelSession> {
  private readonly byCluster = new Map<string, AgentConnection<S>[]>();
  private readonly lastSeenAt = new Map<string, Date>();
  private readonly nextIndex = new Map<string, number>();
  /** Agents that let an open go unanswered, with their lastFrameAt at that moment: suspect until they send again. */
  private readonly unanswered = new WeakMap<AgentConnection<S>, number>();
  private total = 0;
  private readonly now: () => Date;
  private readonly monotonicNow: () => number;

  constructor(options: AgentRegistryOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
  }

  get agentCount(): number {
    return this.total;
  }

  add(connection: AgentConnection<S>): void {
    const list = this.byCluster.get(connection.cluster) ?? [];
    list.push(connection);
    this.byCluster.set(connection.cluster, list);
    this.total++;
    this.lastSeenAt.delete(connection.cluster);
  }

  remove(connection: AgentConnection<S>): void {
    const list = this.byCluster.get(connection.cluster);
    const index = list?.indexOf(connection) ?? -1;
    if (!list || index < 0) return;
    list.splice(index, 1);
    this.total--;
    if (list.length > 0) return;
    this.byCluster.delete(connection.cluster);
    this.nextIndex.delete(connection.cluster);
    this.lastSeenAt.set(connection.cluster, this.now());
    if (this.lastSeenAt.size > MAX_REMEMBERED_CLUSTERS) {
      const oldest = this.lastSeenAt.keys().next().value;
      if (oldest !== undefined) this.lastSeenAt.delete(oldest);
    }
  }

  agents(cluster: string): readonly AgentConnection<S>[] {
    return this.byCluster.get(cluster) ?? [];
  }

  /**
   * The agent for a new stream: among agents still accepting streams (not draining, not closed) and not in
   * `exclude`, the one with the fewest open streams; ties rotate, so equal agents share new streams in turn.
   * Responsive agents come first: one that is silent, or left an open unanswered and sent nothing since, is picked
   * only when no other is left (it may still be fine; refusing outright would be worse).
   */
  pick(cluster: string, exclude?: ReadonlySet<AgentConnection<S>>): AgentConnection<S> | undefined {
    const list = this.byCluster.get(cluster);
    if (!list || list.length === 0) return undefined;
    const start = (this.nextIndex.get(cluster) ?? 0) % list.length;
    const now = this.monotonicNow();
    let best: AgentConnection<S> | undefined;
    let bestSuspect: AgentConnection<S> | undefined;
    for (let i = 0; i < list.length; i++) {
      const candidate = list[(start + i) % list.length] as AgentConnection<S>;
      if (!candidate.session.acceptingStreams || exclude?.has(candidate)) continue;
      if (this.isSuspect(candidate, now)) {
        if (!bestSuspect || candidate.session.streamCount < bestSuspect.session.streamCount) bestSuspect = candidate;
      } else if (!best || candidate.session.streamCount < best.session.streamCount) best = candidate;
    }
    this.nextIndex.set(cluster, start + 1);
    return best ?? bestSuspect;
  }

  /** The agent did not answer an open in time: pass it over until it sends something again. */
  markUnanswered(connection: AgentConnection<S>): void {
    this.unanswered.set(connection, connection.session.lastFrameAt);
  }

  private isSuspect(connection: AgentConnection<S>, now: number): boolean {
    const { lastFrameAt } = connection.session;
    const markedAt = this.unanswered.get(connection);
    if (markedAt !== undefined) {
      if (lastFrameAt <= markedAt) return true;
      this.unanswered.delete(connection);
    }
    return now - lastFrameAt >= SILENT_AGENT_MS;
  }

  /** What the newest live agent announced; agents of one cluster normally announce the same. */
  info(cluster: string): ClusterConnectionInfo | undefined {
    const list = this.byCluster.get(cluster);
    return list?.[list.length - 1]?.info;
  }

  /** Now for a cluster with a live agent, the disconnect time of its last agent otherwise, undefined if never seen. */
  lastSeen(cluster: string): Date | undefined {
    if (this.byCluster.has(cluster)) return this.now();
    return this.lastSeenAt.get(cluster);
  }

  /** Clusters with live agents, and clusters whose agents this relay saw leave (agents: 0). */
  clusters(): ClusterSummary[] {
    const now = this.now().toISOString();
    const live = [...this.byCluster.entries()].map(([name, list]) => ({
      name,
      agents: list.length,
      readyAgents: list.filter((a) => a.session.acceptingStreams).length,
      lastSeen: now,
    }));
    const gone = [...this.lastSeenAt.entries()].map(([name, at]) => ({ name, agents: 0, readyAgents: 0, lastSeen: at.toISOString() }));
    return [...live, ...gone].sort((a, b) => a.name.localeCompare(b.name));
  }
}
