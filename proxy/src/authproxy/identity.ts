// Who the validated caller is, in the terms Kubernetes impersonation uses, and the seam (GroupResolver) through
// which the Microsoft Graph resolver (graph-group-resolver.ts) fills in groups the token could not carry.

export interface KubernetesIdentity {
  username: string;
  /** Sent as Impersonate-Uid only when configured: the apiserver then also checks `impersonate` on `uids`. */
  uid?: string;
  groups: string[];
  /** Extra attributes (Impersonate-Extra-<key>), e.g. the Entra tenant id. Keys are lower-case. */
  extra: Record<string, string[]>;
}

export type PrincipalType = 'user' | 'servicePrincipal';

/**
 * The token said "too many groups to list" (Entra's `_claim_names.groups` / `_claim_sources`, or `hasgroups`).
 * Carries what a resolver needs to look the groups up itself. `claimSourceEndpoint` is informational only: it
 * comes from the token, so a resolver must call its own configured Graph URL, never this one.
 */
export interface GroupOverage {
  objectId: string;
  tenantId?: string;
  principalType: PrincipalType;
  claimSourceEndpoint?: string;
}

/** Looks up the complete, unprefixed group list of a principal whose token overflowed. */
export interface GroupResolver {
  resolveGroups(overage: GroupOverage, signal?: AbortSignal): Promise<string[]>;
}

export interface VerifiedToken {
  identity: KubernetesIdentity;
  principalType: PrincipalType;
  expiresAt: Date;
  /** Present when groups must still be resolved; `identity.groups` is then empty, not the caller's real list. */
  groupsOverage?: GroupOverage;
}
