// metav1.Condition bookkeeping: lastTransitionTime changes only when the status flips, as kubectl users expect.
import type { Condition } from '../api/clusterconnect.js';

export type { Condition };

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export function setCondition(previous: readonly Condition[] | undefined, next: ConditionInput, generation: number | undefined, now: Date): Condition {
  const before = previous?.find((c) => c.type === next.type);
  const lastTransitionTime = before && before.status === next.status ? before.lastTransitionTime : now.toISOString();
  return { ...next, observedGeneration: generation, lastTransitionTime };
}

/** Conditions that changed status since `previous`, for Events. */
export function transitions(previous: readonly Condition[] | undefined, next: readonly Condition[]): Condition[] {
  return next.filter((c) => previous?.find((p) => p.type === c.type)?.status !== c.status);
}
