// Durations on the command line ("50s", "90m", "24h", "30d", "500ms"), as Kubernetes and Go tools write them.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const WHOLE_SECONDS = /^\d+$/;

/** Parses a duration to milliseconds; throws a message that shows the accepted form. */
export function parseDuration(text: string, what = 'duration'): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new Error(`${what} "${text}" is not a duration: use a number with a unit, e.g. 500ms, 50s, 10m, 24h, 30d`);
  return durationMs(match);
}

/** Milliseconds of a DURATION match. */
function durationMs(match: RegExpExecArray): number {
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1_000));
}

/**
 * parseDuration that also takes a bare whole number as seconds, in milliseconds: for flags (--shutdown-grace,
 * --drain-seconds) that took seconds before they took durations, so existing command lines keep their meaning.
 */
export function parseSecondsOrDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  if (WHOLE_SECONDS.test(trimmed)) return Number(trimmed) * 1_000;
  const match = DURATION.exec(trimmed);
  if (!match) throw new Error(`${flag} "${text}" is not a duration: use whole seconds (30) or a number with a unit, e.g. 500ms, 30s, 1m`);
  return durationMs(match);
}
