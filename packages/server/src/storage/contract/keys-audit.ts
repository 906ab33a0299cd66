/** Storage contract: signing keys and the audit trail (docs/architecture.md "Storage"). */
import { describe, expect, it } from 'vitest';
import { aKey, anEvent, DAY, T0, type StoreOf } from './fixtures.js';
import type { AuditEvent, AuditQuery } from '../types.js';

export function keysContract(store: StoreOf): void {
  describe('signing keys', () => {
    it('lists keys oldest first with every field', async () => {
      expect(await store().keys.list()).toEqual([]);
      const newer = aKey({ alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: 'xx', y: 'yy' }, createdAt: T0 + 10 });
      const older = aKey({ retiredAt: T0 + 5, expiresAt: T0 + 6 });
      await store().keys.add(newer);
      await store().keys.add(older);
      expect(await store().keys.list()).toEqual([older, newer]);
    });

    it('retires a key once: a second retirement changes nothing', async () => {
      const key = aKey();
      const other = aKey({ createdAt: T0 + 1 });
      await store().keys.add(key);
      await store().keys.add(other);
      await store().keys.retire(key.kid, T0 + DAY, T0 + 2 * DAY);
      await store().keys.retire(key.kid, T0 + 3 * DAY, T0 + 4 * DAY);
      await store().keys.retire('no-such-key', T0, T0);
      expect(await store().keys.list()).toEqual([{ ...key, retiredAt: T0 + DAY, expiresAt: T0 + 2 * DAY }, other]);
    });
  });
}

export function auditContract(store: StoreOf): void {
  describe('audit', () => {
    it('appends a batch and answers it newest first, every field, with increasing ids', async () => {
      const events: AuditEvent[] = [
        anEvent({ at: T0 }),
        anEvent({
          at: T0 + 1, action: 'token.refused', outcome: 'failure', code: 108, correlationId: null, actorType: null,
          actorId: null, appId: null, companyId: null, principalId: null, detail: null,
        }),
        anEvent({ at: T0 + 2, detail: {} }),
      ];
      await store().audit.append(events);
      const { items, total } = await store().audit.query({});
      expect(total).toBe(3);
      expect(items.map(({ id: _id, ...event }) => event)).toEqual([...events].reverse());
      const ids = items.map((e) => e.id);
      expect(ids[0]! > ids[1]! && ids[1]! > ids[2]!).toBe(true);
      expect(ids.every(Number.isInteger)).toBe(true);
    });

    it('appends nothing for an empty batch, and keeps order across batches', async () => {
      await store().audit.append([]);
      expect(await store().audit.query({})).toEqual({ items: [], total: 0 });
      await store().audit.append([anEvent({ action: 'first' })]);
      await store().audit.append([anEvent({ action: 'second' }), anEvent({ action: 'third' })]);
      expect((await store().audit.query({})).items.map((e) => e.action)).toEqual(['third', 'second', 'first']);
    });

    it('filters by company, app, principal, action and time, alone and together', async () => {
      const at = (i: number) => T0 + i * 1000;
      const events = [
        anEvent({ at: at(0), companyId: 'co-1', appId: 'app-1', principalId: 'p-1', action: 'token.issued' }),
        anEvent({ at: at(1), companyId: 'co-1', appId: 'app-2', principalId: 'p-2', action: 'token.refused' }),
        anEvent({ at: at(2), companyId: 'co-2', appId: 'app-1', principalId: 'p-1', action: 'token.issued' }),
        anEvent({ at: at(3), companyId: 'co-1', appId: 'app-1', principalId: 'p-2', action: 'connection.revoked' }),
        anEvent({ at: at(4), companyId: null, appId: null, principalId: null, action: 'key.rotated' }),
      ];
      await store().audit.append(events);
      const found = async (query: AuditQuery) => {
        const page = await store().audit.query(query);
        expect(page.total).toBe(page.items.length);
        return page.items.map((e) => events.findIndex((x) => x.correlationId === e.correlationId));
      };
      expect(await found({})).toEqual([4, 3, 2, 1, 0]);
      expect(await found({ companyId: 'co-1' })).toEqual([3, 1, 0]);
      expect(await found({ appId: 'app-1' })).toEqual([3, 2, 0]);
      expect(await found({ principalId: 'p-2' })).toEqual([3, 1]);
      expect(await found({ action: 'token.issued' })).toEqual([2, 0]);
      expect(await found({ since: at(1) })).toEqual([4, 3, 2, 1]);
      expect(await found({ until: at(3) })).toEqual([2, 1, 0]);
      expect(await found({ since: at(1), until: at(3) })).toEqual([2, 1]);
      expect(await found({ companyId: 'co-1', appId: 'app-1', action: 'token.issued' })).toEqual([0]);
      expect(await found({ companyId: 'co-3' })).toEqual([]);
    });

    it('pages with offset and limit (100 by default); the total counts every match', async () => {
      const events = Array.from({ length: 105 }, (_, i) => anEvent({ at: T0 + i, companyId: 'co-1', action: `a-${i}` }));
      await store().audit.append(events);
      await store().audit.append([anEvent({ companyId: 'co-2' })]);
      const byDefault = await store().audit.query({ companyId: 'co-1' });
      expect(byDefault.total).toBe(105);
      expect(byDefault.items.map((e) => e.action)).toEqual(events.slice(5).reverse().map((e) => e.action));
      const page = await store().audit.query({ companyId: 'co-1', offset: 10, limit: 3 });
      expect(page.total).toBe(105);
      expect(page.items.map((e) => e.action)).toEqual(['a-94', 'a-93', 'a-92']);
      expect(await store().audit.query({ companyId: 'co-1', offset: 200 })).toEqual({ items: [], total: 105 });
    });
  });
}
