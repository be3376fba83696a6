// `clusterconnect clusters` output: a table for people, JSON for scripts.
import type { ClustersAnswer } from './relay-api.js';

export function clustersTable(answer: ClustersAnswer, now: Date = new Date()): string {
  if (answer.clusters.length === 0) return `No clusters: no agent has connected to relay ${answer.relay} since it started.\n`;
  const rows = answer.clusters.map((c) => [c.name, String(c.agents), String(c.readyAgents), c.agents > 0 ? 'now' : ago(new Date(c.lastSeen), now)]);
  const header = ['NAME', 'AGENTS', 'READY', 'LAST SEEN'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('   ')).join('\n') + '\n';
}

/** "5m ago" style, as kubectl prints ages. */
export function ago(then: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (!Number.isFinite(seconds)) return 'unknown';
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

export function clustersJson(answer: ClustersAnswer): string {
  return `${JSON.stringify(answer)}\n`;
}
