/**
 * Storage contract: connections (refresh-token families) and their refresh tokens (docs/architecture.md
 * "Storage"): a rotation is one atomic store call, so concurrent rotations of one value never
 * lose a family and a replay after the grace window changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { aCompany, aConnection, aRefreshToken, DAY, MINUTE, seedApp, T0, type StoreOf } from './fixtures.js';
import type { Connection, RefreshRotation, RefreshToken } from '../types.js';

export function connectionsContract(store: StoreOf): void {
  describe('connections', () => {
    it('round-trips every field, for users and companies', async () => {
      const { company, app } = await seedApp(store());
      const user = aConnection(app.id, company.id);
      const revoked = aConnection(app.id, company.id, {
        principalType: 'company', principalId: company.id, scopes: [], revokedAt: T0 + 5, lastUsedAt: T0 + 4,
      });
      await store().connections.create(user);
      await store().connections.create(revoked);
      expect(await store().connections.get(user.id)).toEqual(user);
      expect(await store().connections.get(revoked.id)).toEqual(revoked);
      expect(await store().connections.get('no-such-connection')).toBeUndefined();
    });

    it('lists an app\'s connections newest first, optionally of one company', async () => {
      const { company, app } = await seedApp(store());
      const other = await seedApp(store());
      const guest = aCompany();
      await store().companies.create(guest);
      const oldest = aConnection(app.id, company.id, { createdAt: T0 });
      const guests = aConnection(app.id, guest.id, { createdAt: T0 + 1 });
      const newest = aConnection(app.id, company.id, { createdAt: T0 + 2 });
      for (const c of [oldest, guests, newest, aConnection(other.app.id, company.id)]) await store().connections.create(c);
      expect(await store().connections.listByApp(app.id)).toEqual([newest, guests, oldest]);
      expect(await store().connections.listByApp(app.id, company.id)).toEqual([newest, oldest]);
      expect(await store().connections.listByApp(app.id, guest.id)).toEqual([guests]);
      expect(await store().connections.listByApp('no-such-app')).toEqual([]);
    });

    it('pages an app\'s connections newest first (ties by id), by company and state at a time, with the total of every match', async () => {
      const { company, app } = await seedApp(store());
      const guest = aCompany();
      await store().companies.create(guest);
      const now = T0 + 10 * DAY;
      // 9 of the company: 3 active, 3 expired, 3 revoked (one revoked is also past its expiry); two share a creation time.
      const mine = [
        ...[1, 2, 3].map((n) => aConnection(app.id, company.id, { createdAt: T0 + n })),
        ...[4, 5, 6].map((n) => aConnection(app.id, company.id, { createdAt: T0 + n, refreshExpiresAt: now - n })),
        ...[7, 8].map((n) => aConnection(app.id, company.id, { createdAt: T0 + n, revokedAt: T0 + 20 })),
        aConnection(app.id, company.id, { id: '00000000-0000-4000-8000-000000000000', createdAt: T0 + 8, revokedAt: T0 + 20, refreshExpiresAt: now }),
      ];
      for (const c of [...mine, aConnection(app.id, guest.id, { createdAt: T0 + 50 })]) await store().connections.create(c);
      const newestFirst = [...mine].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
      const page = (query: Partial<Parameters<ReturnType<StoreOf>['connections']['page']>[0]>) =>
        store().connections.page({ appId: app.id, companyId: company.id, now, offset: 0, limit: 50, ...query });

      expect(await page({})).toEqual({ items: newestFirst, total: 9 });
      expect(await page({ offset: 2, limit: 4 })).toEqual({ items: newestFirst.slice(2, 6), total: 9 });
      expect(await page({ offset: 8, limit: 4 })).toEqual({ items: newestFirst.slice(8), total: 9 });
      expect(await page({ offset: 9, limit: 4 })).toEqual({ items: [], total: 9 });
      expect((await page({ companyId: undefined })).total).toBe(10);
      expect(await page({ status: 'active' })).toEqual({ items: newestFirst.filter((c) => c.revokedAt === null && c.refreshExpiresAt > now), total: 3 });
      expect(await page({ status: 'expired', limit: 2 })).toEqual({ items: [mine[5], mine[4]], total: 3 });
      expect(await page({ status: 'revoked', offset: 1, limit: 1 })).toEqual({ items: [newestFirst[1]], total: 3 });
      // The state is taken at `now`: ten years later, the active ones have expired too.
      expect((await page({ status: 'expired', now: now + 365 * 10 * DAY })).total).toBe(6);
      expect(await page({ appId: 'no-such-app' })).toEqual({ items: [], total: 0 });
    });
  });

  describe('refresh tokens', () => {
    const seedConnection = async () => {
      const { company, app } = await seedApp(store());
      const connection = aConnection(app.id, company.id);
      await store().connections.create(connection);
      return connection;
    };

    it('finds a token together with its connection', async () => {
      const connection = await seedConnection();
      const token = aRefreshToken(connection.id);
      const superseded = aRefreshToken(connection.id, { createdAt: T0 - 10, supersededAt: T0 - 5 });
      await store().connections.addRefreshToken(token);
      await store().connections.addRefreshToken(superseded);
      expect(await store().connections.findRefreshToken(token.digest)).toEqual({ token, connection });
      expect(await store().connections.findRefreshToken(superseded.digest)).toEqual({ token: superseded, connection });
      expect(await store().connections.findRefreshToken('no-such-digest')).toBeUndefined();
    });

    const rotation = (connection: Connection, presented: RefreshToken, over: Partial<RefreshRotation> = {}): RefreshRotation => ({
      connectionId: connection.id, presentedDigest: presented.digest, next: aRefreshToken(connection.id, { createdAt: T0 + MINUTE }),
      now: T0 + MINUTE, refreshExpiresAt: T0 + 200 * DAY, graceFrom: T0, ...over,
    });
    const find = async (digest: string) => (await store().connections.findRefreshToken(digest))?.token;

    it('rotates in one step: supersedes the value, adds the next one and slides the connection', async () => {
      const connection = await seedConnection();
      const token = aRefreshToken(connection.id);
      await store().connections.addRefreshToken(token);
      const r = rotation(connection, token);
      expect(await store().connections.rotateRefreshToken(r)).toBe('rotated');
      expect(await find(token.digest)).toEqual({ ...token, supersededAt: r.now });
      expect(await find(r.next.digest)).toEqual(r.next);
      expect(await store().connections.get(connection.id)).toEqual({ ...connection, refreshExpiresAt: r.refreshExpiresAt, lastUsedAt: r.now });
    });

    it('rotates without a new expiry (null): the stored one is kept, the rest is as with one', async () => {
      const connection = await seedConnection();
      const token = aRefreshToken(connection.id);
      await store().connections.addRefreshToken(token);
      const r = rotation(connection, token, { refreshExpiresAt: null });
      expect(await store().connections.rotateRefreshToken(r)).toBe('rotated');
      expect(await find(token.digest)).toEqual({ ...token, supersededAt: r.now });
      expect(await find(r.next.digest)).toEqual(r.next);
      expect(await store().connections.get(connection.id)).toEqual({ ...connection, lastUsedAt: r.now });
    });

    it('rotates a value again within the grace window, keeping the first supersession time', async () => {
      const connection = await seedConnection();
      const token = aRefreshToken(connection.id);
      await store().connections.addRefreshToken(token);
      const first = rotation(connection, token);
      const again = rotation(connection, token, { now: T0 + 2 * MINUTE, graceFrom: T0 + MINUTE - 1 });
      expect(await store().connections.rotateRefreshToken(first)).toBe('rotated');
      expect(await store().connections.rotateRefreshToken(again)).toBe('rotated');
      expect((await find(token.digest))?.supersededAt).toBe(first.now);
      expect(await find(again.next.digest)).toEqual(again.next);
    });

    it('answers a replay after the grace window and changes nothing', async () => {
      const connection = await seedConnection();
      const token = aRefreshToken(connection.id, { supersededAt: T0 - 10 });
      await store().connections.addRefreshToken(token);
      const r = rotation(connection, token, { graceFrom: T0 - 9 });
      expect(await store().connections.rotateRefreshToken(r)).toBe('replayed');
      expect(await find(token.digest)).toEqual(token);
      expect(await find(r.next.digest)).toBeUndefined();
      expect(await store().connections.get(connection.id)).toEqual(connection);
    });

    it('adds nothing for an unknown value or a revoked or expired connection', async () => {
      const connection = await seedConnection();
      const token = aRefreshToken(connection.id);
      await store().connections.addRefreshToken(token);
      const unknown = rotation(connection, aRefreshToken(connection.id));
      expect(await store().connections.rotateRefreshToken(unknown)).toBe('ended');
      expect(await find(unknown.next.digest)).toBeUndefined();
      const late = rotation(connection, token, { now: connection.refreshExpiresAt });
      expect(await store().connections.rotateRefreshToken(late)).toBe('ended');
      expect(await find(late.next.digest)).toBeUndefined();
      await store().connections.revoke(connection.id, T0 + 1);
      const revoked = rotation(connection, token, { now: T0 + 2, graceFrom: T0 });
      expect(await store().connections.rotateRefreshToken(revoked)).toBe('ended');
      expect(await find(revoked.next.digest)).toBeUndefined();
      expect((await store().connections.get(connection.id))?.refreshExpiresAt).toBe(connection.refreshExpiresAt);
    });

    it('rotates each of 50 concurrent rotations of one value once, all with the same supersession time', async () => {
      const connection = await seedConnection();
      const token = aRefreshToken(connection.id);
      await store().connections.addRefreshToken(token);
      const rotations = Array.from({ length: 50 }, (_, i) => rotation(connection, token, { now: T0 + MINUTE + i }));
      const outcomes = await Promise.all(rotations.map((r) => store().connections.rotateRefreshToken(r)));
      expect(outcomes).toEqual(rotations.map(() => 'rotated'));
      const supersededAt = (await find(token.digest))?.supersededAt;
      expect(rotations.map((r) => r.now)).toContain(supersededAt);
      for (const r of rotations) expect(await find(r.next.digest)).toEqual(r.next);
    });
  });

  describe('a refresh retried after the grace window', () => {
    const grace = MINUTE;
    const seedFamily = async () => {
      const { company, app } = await seedApp(store());
      const connection = aConnection(app.id, company.id);
      await store().connections.create(connection);
      const first = aRefreshToken(connection.id);
      await store().connections.addRefreshToken(first);
      return { connection, first };
    };
    /** A refresh at `now` presenting `presented`, whose new value is created then. */
    const refreshAt = (connection: Connection, presented: RefreshToken, now: number): RefreshRotation => ({
      connectionId: connection.id, presentedDigest: presented.digest, now, graceFrom: now - grace, refreshExpiresAt: now + 180 * DAY,
      next: aRefreshToken(connection.id, { createdAt: now }),
    });
    const rotate = (r: RefreshRotation) => store().connections.rotateRefreshToken(r);
    const find = async (digest: string) => (await store().connections.findRefreshToken(digest))?.token;

    it('a value superseded before the window whose successor was never used gets a working value; the family stays; the unused successor is withdrawn', async () => {
      const { connection, first } = await seedFamily();
      const lost = refreshAt(connection, first, T0 + MINUTE); // committed, but its answer never arrived
      expect(await rotate(lost)).toBe('rotated');
      const retry = refreshAt(connection, first, T0 + 10 * MINUTE);
      expect(await rotate(retry)).toBe('retried');
      expect(await find(retry.next.digest)).toEqual(retry.next);
      expect(await store().connections.get(connection.id)).toMatchObject({ revokedAt: null, refreshExpiresAt: retry.refreshExpiresAt, lastUsedAt: retry.now });
      // the new value works like any other; the withdrawn one is refused (the caller revokes)
      expect(await rotate(refreshAt(connection, retry.next, T0 + 20 * MINUTE))).toBe('rotated');
      const withdrawnUse = refreshAt(connection, lost.next, T0 + 21 * MINUTE);
      expect(await rotate(withdrawnUse)).toBe('withdrawn');
      expect(await find(withdrawnUse.next.digest)).toBeUndefined();
    });

    it('retries again after a second lost answer, and within the window every retry gets a working value', async () => {
      const { connection, first } = await seedFamily();
      expect(await rotate(refreshAt(connection, first, T0 + MINUTE))).toBe('rotated');
      const retryA = refreshAt(connection, first, T0 + 10 * MINUTE);
      const retryB = refreshAt(connection, first, T0 + 10 * MINUTE + 5_000);
      expect(await rotate(retryA)).toBe('retried');
      expect(await rotate(retryB)).toBe('retried');
      // both answers of the two retries within one window work
      expect(await rotate(refreshAt(connection, retryA.next, T0 + 10 * MINUTE + 10_000))).toBe('rotated');
      expect(await rotate(refreshAt(connection, retryB.next, T0 + 10 * MINUTE + 20_000))).toBe('rotated');
    });

    it('a value superseded before the window after its successor was used is a replay: nothing added, the connection unchanged', async () => {
      const { connection, first } = await seedFamily();
      const used = refreshAt(connection, first, T0 + MINUTE);
      expect(await rotate(used)).toBe('rotated');
      const successor = refreshAt(connection, used.next, T0 + 5 * MINUTE);
      expect(await rotate(successor)).toBe('rotated');
      const before = await store().connections.get(connection.id);
      const replay = refreshAt(connection, first, T0 + 10 * MINUTE);
      expect(await rotate(replay)).toBe('replayed');
      expect(await find(replay.next.digest)).toBeUndefined();
      expect(await store().connections.get(connection.id)).toEqual(before);
      // and the successor's holder goes on
      expect(await rotate(refreshAt(connection, successor.next, T0 + 11 * MINUTE))).toBe('rotated');
    });

    it('of a retry and a concurrent use of the unused successor, exactly one wins', async () => {
      const families = await Promise.all(Array.from({ length: 8 }, () => seedFamily()));
      const results = await Promise.all(families.map(async ({ connection, first }) => {
        const lost = refreshAt(connection, first, T0 + MINUTE);
        expect(await rotate(lost)).toBe('rotated');
        const [retry, use] = await Promise.all([
          rotate(refreshAt(connection, first, T0 + 10 * MINUTE)),
          rotate(refreshAt(connection, lost.next, T0 + 10 * MINUTE)),
        ]);
        return `${retry}/${use}`;
      }));
      for (const result of results) expect(['retried/withdrawn', 'replayed/rotated']).toContain(result);
    });

    it('20 concurrent retries of one value each get a working value', async () => {
      const { connection, first } = await seedFamily();
      expect(await rotate(refreshAt(connection, first, T0 + MINUTE))).toBe('rotated');
      const retries = Array.from({ length: 20 }, (_, i) => refreshAt(connection, first, T0 + 10 * MINUTE + i));
      expect(await Promise.all(retries.map(rotate))).toEqual(retries.map(() => 'retried'));
      for (const r of retries) expect(await find(r.next.digest)).toEqual(r.next);
      expect(await rotate(refreshAt(connection, retries[0]!.next, T0 + 10 * MINUTE + 30_000))).toBe('rotated');
    });
  });

  describe('connection life cycle', () => {
    const seed = async (over: Parameters<typeof aConnection>[2] = {}) => {
      const { company, app } = await seedApp(store());
      const connection = aConnection(app.id, company.id, { refreshExpiresAt: T0 + 10 * DAY, ...over });
      await store().connections.create(connection);
      return connection;
    };

    it('slides a live connection\'s expiry and records the use', async () => {
      const connection = await seed();
      expect(await store().connections.slide(connection.id, T0 + DAY, T0 + 20 * DAY)).toBe(true);
      expect(await store().connections.get(connection.id)).toEqual({ ...connection, refreshExpiresAt: T0 + 20 * DAY, lastUsedAt: T0 + DAY });
    });

    it('never shortens the expiry when sliding', async () => {
      const connection = await seed();
      expect(await store().connections.slide(connection.id, T0 + DAY, T0 + 5 * DAY)).toBe(true);
      expect(await store().connections.get(connection.id)).toEqual({ ...connection, refreshExpiresAt: T0 + 10 * DAY, lastUsedAt: T0 + DAY });
    });

    it('does not slide a revoked, expired or unknown connection', async () => {
      const revoked = await seed({ revokedAt: T0 });
      const expired = await seed({ refreshExpiresAt: T0 + DAY });
      expect(await store().connections.slide(revoked.id, T0 + 1, T0 + 20 * DAY)).toBe(false);
      expect(await store().connections.slide(expired.id, T0 + DAY, T0 + 20 * DAY)).toBe(false);
      expect(await store().connections.slide('no-such-connection', T0, T0 + DAY)).toBe(false);
      expect(await store().connections.get(revoked.id)).toEqual(revoked);
      expect(await store().connections.get(expired.id)).toEqual(expired);
    });

    it('revokes once', async () => {
      const connection = await seed();
      expect(await store().connections.revoke(connection.id, T0 + 3)).toBe(true);
      expect(await store().connections.revoke(connection.id, T0 + 4)).toBe(false);
      expect(await store().connections.get(connection.id)).toEqual({ ...connection, revokedAt: T0 + 3 });
      expect(await store().connections.revoke('no-such-connection', T0)).toBe(false);
    });

    it('revokes every live connection of a principal for one app, and counts them', async () => {
      const { company, app } = await seedApp(store());
      const other = await seedApp(store());
      const principalId = 'user-1';
      const mine = [aConnection(app.id, company.id, { principalId }), aConnection(app.id, company.id, { principalId })];
      const already = aConnection(app.id, company.id, { principalId, revokedAt: T0 - 1 });
      const someoneElse = aConnection(app.id, company.id, { principalId: 'user-2' });
      const otherApp = aConnection(other.app.id, other.company.id, { principalId });
      for (const c of [...mine, already, someoneElse, otherApp]) await store().connections.create(c);
      expect(await store().connections.revokeByPrincipal(app.id, principalId, T0 + 9)).toBe(2);
      for (const c of mine) expect((await store().connections.get(c.id))?.revokedAt).toBe(T0 + 9);
      expect(await store().connections.get(already.id)).toEqual(already);
      expect(await store().connections.get(someoneElse.id)).toEqual(someoneElse);
      expect(await store().connections.get(otherApp.id)).toEqual(otherApp);
      expect(await store().connections.revokeByPrincipal(app.id, principalId, T0 + 10)).toBe(0);
    });

    it('revokes every live connection of a principal through every app, and counts them', async () => {
      const { company, app } = await seedApp(store());
      const other = await seedApp(store());
      const principalId = 'user-all-1';
      const mine = [aConnection(app.id, company.id, { principalId }), aConnection(other.app.id, company.id, { principalId })];
      const already = aConnection(app.id, company.id, { principalId, revokedAt: T0 - 1 });
      const someoneElse = aConnection(app.id, company.id, { principalId: 'user-all-2' });
      for (const c of [...mine, already, someoneElse]) await store().connections.create(c);
      expect(await store().connections.revokeAllOfPrincipal(principalId, T0 + 9)).toBe(2);
      for (const c of mine) expect((await store().connections.get(c.id))?.revokedAt).toBe(T0 + 9);
      expect(await store().connections.get(already.id)).toEqual(already);
      expect(await store().connections.get(someoneElse.id)).toEqual(someoneElse);
      expect(await store().connections.revokeAllOfPrincipal(principalId, T0 + 10)).toBe(0);
    });

    it('sweeps connections revoked or expired before the cut-off, with their tokens', async () => {
      const before = T0 + 100 * DAY;
      const revokedLongAgo = await seed({ revokedAt: before - 1 });
      const expiredLongAgo = await seed({ refreshExpiresAt: before - 1 });
      const revokedLately = await seed({ revokedAt: before + 1, refreshExpiresAt: before + DAY });
      const expiringLater = await seed({ refreshExpiresAt: before + 1 });
      const live = await seed({ refreshExpiresAt: before + 50 * DAY });
      const tokens = [revokedLongAgo, expiredLongAgo, revokedLately, expiringLater, live].map((c) => aRefreshToken(c.id));
      for (const token of tokens) await store().connections.addRefreshToken(token);

      expect(await store().connections.sweep(before)).toBe(2);
      expect(await store().connections.get(revokedLongAgo.id)).toBeUndefined();
      expect(await store().connections.get(expiredLongAgo.id)).toBeUndefined();
      expect(await store().connections.findRefreshToken(tokens[0]!.digest)).toBeUndefined();
      expect(await store().connections.findRefreshToken(tokens[1]!.digest)).toBeUndefined();
      for (const [i, kept] of [revokedLately, expiringLater, live].entries()) {
        expect(await store().connections.get(kept.id)).toEqual(kept);
        expect(await store().connections.findRefreshToken(tokens[i + 2]!.digest)).toEqual({ token: tokens[i + 2], connection: kept });
      }
      expect(await store().connections.sweep(before)).toBe(0);
    });
  });
}
