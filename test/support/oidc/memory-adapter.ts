// A per-provider in-memory store for oidc-provider. Its built-in one works the same but prints a
// "development-only adapter" warning for every Provider built, and key rotation builds a new Provider.
type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string };

export class MemoryAdapter {
  private readonly entries = new Map<string, { payload: Payload; expiresAt: number | undefined }>();

  constructor(readonly name: string) {}

  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    this.entries.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    return Promise.resolve();
  }

  find(id: string): Promise<Payload | undefined> {
    const entry = this.entries.get(id);
    if (entry?.expiresAt !== undefined && entry.expiresAt < Date.now()) {
      this.entries.delete(id);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(entry?.payload);
  }

  findByUserCode(userCode: string): Promise<Payload | undefined> {
    return Promise.resolve([...this.entries.values()].find((e) => e.payload.userCode === userCode)?.payload);
  }

  findByUid(uid: string): Promise<Payload | undefined> {
    return Promise.resolve([...this.entries.values()].find((e) => e.payload.uid === uid)?.payload);
  }

  consume(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    return Promise.resolve();
  }

  destroy(id: string): Promise<void> {
    this.entries.delete(id);
    return Promise.resolve();
  }

  revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, entry] of this.entries) if (entry.payload.grantId === grantId) this.entries.delete(id);
    return Promise.resolve();
  }
}
