/**
 * Storage contract: what the sweeper deletes and disables (docs/architecture.md "Storage": "Expired rows are
 * swept by the server itself"; docs/protocol.md Decision 7), and the named locks that keep it to one
 * node at a time.
 */
import { describe, expect, it } from 'vitest';
import { aCompany, aConnection, aKey, anApp, anEvent, aRefreshToken, DAY, seedApp, T0, type StoreOf } from './fixtures.js';

export function sweepingContract(store: StoreOf): void {
  describe('companies: enabling', () => {
    it('disables and enables a company; false for an unknown one', async () => {
      const company = aCompany();
      await store().companies.create(company);
      expect(await store().companies.setEnabled(company.id, false)).toBe(true);
      expect(await store().companies.get(company.id)).toEqual({ ...company, enabled: false });
      expect(await store().companies.setEnabled(company.id, true)).toBe(true);
      expect(await store().companies.get(company.id)).toEqual(company);
      expect(await store().companies.setEnabled('no-such-company', false)).toBe(false);
    });
  });

  describe('apps: inactivity', () => {
    it('disables exactly the enabled apps neither used nor changed after the cut-off, once', async () => {
      const company = aCompany();
      await store().companies.create(company);
      const cutoff = T0 + 100 * DAY;
      const now = cutoff + 5;
      const apps = {
        neverUsed: anApp(company.id, { createdAt: cutoff - 10, updatedAt: cutoff - 10, lastUsedAt: null }),
        usedLongAgo: anApp(company.id, { createdAt: T0, updatedAt: T0, lastUsedAt: cutoff }),
        usedLately: anApp(company.id, { createdAt: T0, updatedAt: T0, lastUsedAt: cutoff + 1 }),
        changedLately: anApp(company.id, { createdAt: T0, updatedAt: cutoff + 1, lastUsedAt: T0 }),
        createdLately: anApp(company.id, { createdAt: cutoff + 1, updatedAt: cutoff + 1, lastUsedAt: null }),
        alreadyDisabled: anApp(company.id, { createdAt: T0, updatedAt: T0, lastUsedAt: null, enabled: false }),
      };
      for (const app of Object.values(apps)) await store().apps.create(app);

      const disabled = await store().apps.disableUnusedSince(cutoff, now);
      const byId = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));
      expect(byId(disabled)).toEqual(byId([
        { ...apps.neverUsed, enabled: false, updatedAt: now },
        { ...apps.usedLongAgo, enabled: false, updatedAt: now },
      ]));
      for (const kept of [apps.usedLately, apps.changedLately, apps.createdLately, apps.alreadyDisabled]) {
        expect(await store().apps.get(kept.id)).toEqual(kept);
      }
      expect(await store().apps.disableUnusedSince(cutoff, now + 1)).toEqual([]);
    });
  });

  describe('refresh tokens: sweeping', () => {
    const seed = async (over: Parameters<typeof aConnection>[2] = {}) => {
      const { company, app } = await seedApp(store());
      const connection = aConnection(app.id, company.id, { refreshExpiresAt: T0 + 10 * DAY, ...over });
      await store().connections.create(connection);
      return connection;
    };

    it('deletes every value of revoked and expired connections, and keeps the connections', async () => {
      const now = T0 + 5 * DAY;
      const revoked = await seed({ revokedAt: now - 1 });
      const expired = await seed({ refreshExpiresAt: now });
      const live = await seed({ refreshExpiresAt: now + 1 });
      const tokens = [revoked, revoked, expired, live, live].map((c, i) =>
        aRefreshToken(c.id, i % 2 ? { supersededAt: T0 + i } : {}));
      for (const token of tokens) await store().connections.addRefreshToken(token);

      expect(await store().connections.deleteTokensOfEnded(now, 100)).toBe(3);
      for (const gone of tokens.slice(0, 3)) expect(await store().connections.findRefreshToken(gone.digest)).toBeUndefined();
      for (const kept of tokens.slice(3)) expect(await store().connections.findRefreshToken(kept.digest)).toEqual({ token: kept, connection: live });
      expect(await store().connections.get(revoked.id)).toEqual(revoked);
      expect(await store().connections.get(expired.id)).toEqual(expired);
      expect(await store().connections.deleteTokensOfEnded(now, 100)).toBe(0);
    });

    it('deletes superseded values older than the cut-off, never current ones', async () => {
      const connection = await seed();
      const before = T0 + DAY;
      const old = [aRefreshToken(connection.id, { supersededAt: before - 2 }), aRefreshToken(connection.id, { supersededAt: before - 1 })];
      const recent = aRefreshToken(connection.id, { supersededAt: before });
      const current = aRefreshToken(connection.id, { createdAt: T0 - 100 * DAY });
      for (const token of [...old, recent, current]) await store().connections.addRefreshToken(token);

      expect(await store().connections.deleteSupersededBefore(before, 100)).toBe(2);
      for (const gone of old) expect(await store().connections.findRefreshToken(gone.digest)).toBeUndefined();
      for (const kept of [recent, current]) expect((await store().connections.findRefreshToken(kept.digest))?.token).toEqual(kept);
    });

    it('deletes at most `limit` values per call', async () => {
      const connection = await seed({ revokedAt: T0 });
      for (let i = 0; i < 5; i++) await store().connections.addRefreshToken(aRefreshToken(connection.id, { supersededAt: T0 - 10 }));
      expect(await store().connections.deleteSupersededBefore(T0, 2)).toBe(2);
      expect(await store().connections.deleteTokensOfEnded(T0 + 1, 2)).toBe(2);
      expect(await store().connections.deleteTokensOfEnded(T0 + 1, 2)).toBe(1);
      expect(await store().connections.deleteTokensOfEnded(T0 + 1, 2)).toBe(0);
    });
  });

  describe('signing keys: sweeping', () => {
    it('deletes keys withdrawn from JWKS before the cut-off, never live or retiring ones', async () => {
      const withdrawn = aKey({ retiredAt: T0, expiresAt: T0 + DAY - 1 });
      const withdrawing = aKey({ retiredAt: T0, expiresAt: T0 + DAY, createdAt: T0 + 1 });
      const live = aKey({ createdAt: T0 + 2 });
      for (const key of [withdrawn, withdrawing, live]) await store().keys.add(key);
      expect(await store().keys.deleteExpired(T0 + DAY)).toBe(1);
      expect(await store().keys.list()).toEqual([withdrawing, live]);
    });
  });

  describe('audit: retention', () => {
    it('deletes the oldest events before the cut-off, at most `limit` per call', async () => {
      const events = [3, 0, 4, 1, 2].map((i) => anEvent({ at: T0 + i * DAY, action: `day-${i}` }));
      await store().audit.append(events);
      expect(await store().audit.deleteBefore(T0 + 3 * DAY, 2)).toBe(2);
      expect((await store().audit.query({})).items.map((e) => e.action).sort()).toEqual(['day-2', 'day-3', 'day-4']);
      expect(await store().audit.deleteBefore(T0 + 3 * DAY, 2)).toBe(1);
      expect(await store().audit.deleteBefore(T0 + 3 * DAY, 2)).toBe(0);
      expect((await store().audit.query({})).total).toBe(2);
    });
  });

  describe('locks', () => {
    it('runs work under a free lock and answers its value', async () => {
      expect(await store().locks.tryWithLock('sweep', async () => 42)).toEqual({ acquired: true, value: 42 });
      expect(await store().locks.withLock('sweep', async () => 'done')).toBe('done');
    });

    it('refuses a held lock to a second try, but not another name; frees it after the work, even a failed one', async () => {
      let release!: () => void;
      const holding = store().locks.tryWithLock('sweep', () => new Promise<string>((resolve) => {
        release = () => resolve('first');
      }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await store().locks.tryWithLock('sweep', async () => 'second')).toEqual({ acquired: false });
      expect(await store().locks.tryWithLock('other', async () => 'other')).toEqual({ acquired: true, value: 'other' });
      release();
      expect(await holding).toEqual({ acquired: true, value: 'first' });
      await expect(store().locks.withLock('sweep', async () => {
        throw new Error('work failed');
      })).rejects.toThrow('work failed');
      expect(await store().locks.tryWithLock('sweep', async () => 'third')).toEqual({ acquired: true, value: 'third' });
    });

    it('makes waiting holders take turns', async () => {
      const order: string[] = [];
      const step = (name: string) => store().locks.withLock('turns', async () => {
        order.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push(`${name} out`);
      });
      await Promise.all([step('a'), step('b'), step('c')]);
      expect(order).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
    });
  });
}
