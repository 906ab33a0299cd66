/**
 * An in-memory oidc-provider adapter: a Map per provider, with expiry and the grant index that
 * `revokeByGrantId` needs (refresh-token replay detection). It follows oidc-provider's own
 * MemoryAdapter, minus its 1,000-entry LRU bound, which would evict the seeded refresh tokens.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

export function createMapAdapter(): (model: string) => Adapter {
  const entries = new Map<string, Entry>();
  const grants = new Map<string, Set<string>>();
  const now = () => Date.now();

  const read = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        entries.set(key(id), { payload, expiresAt: expiresIn ? now() + expiresIn * 1000 : Number.POSITIVE_INFINITY });
        if (payload.grantId) {
          let members = grants.get(payload.grantId);
          if (!members) grants.set(payload.grantId, (members = new Set()));
          members.add(key(id));
        }
      },
      async find(id) {
        return read(key(id));
      },
      async findByUserCode() {
        return undefined;
      },
      async findByUid(uid) {
        for (const [k, entry] of entries) {
          if (k.startsWith(`${model}:`) && entry.payload.uid === uid) return read(k);
        }
        return undefined;
      },
      async consume(id) {
        const payload = read(key(id));
        if (payload) payload.consumed = Math.floor(now() / 1000);
      },
      async destroy(id) {
        const grantId = entries.get(key(id))?.payload.grantId;
        if (grantId) grants.get(grantId)?.delete(key(id));
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const member of grants.get(grantId) ?? []) entries.delete(member);
        grants.delete(grantId);
      },
    };
  };
}
