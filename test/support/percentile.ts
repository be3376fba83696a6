// The one percentile the benches print: nearest rank. The p-th percentile of n samples is the smallest sample with
// at least p % of the samples at or below it, i.e. the ceil(p/100 × n)-th smallest; always a sample that was
// measured, never an interpolation. (p50 of an even count is the lower of the two middle samples.)

/** Nearest-rank percentile of `values` (any order; not modified); NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? NaN;
}
