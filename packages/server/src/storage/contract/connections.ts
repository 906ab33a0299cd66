/**
 * Storage contract: connections (refresh-token families) and their refresh tokens (DESIGN.md
 * "Storage": rotation is one atomic conditional update, so exactly one concurrent refresh wins).
 */
import { describe, expect, it } from 'vitest';
import { aCompany, aConnection, aRefreshToken, DAY, seedApp, T0, type StoreOf } from './fixtures.js';

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

    it('supersedes a current token once', async () => {
      const connection = await seedConnection();
      const token = aRefreshToken(connection.id);
      await store().connections.addRefreshToken(token);
      expect(await store().connections.supersedeRefreshToken(token.digest, T0 + 7)).toBe(true);
      expect(await store().connections.supersedeRefreshToken(token.digest, T0 + 8)).toBe(false);
      expect((await store().connections.findRefreshToken(token.digest))?.token).toEqual({ ...token, supersededAt: T0 + 7 });
      expect(await store().connections.supersedeRefreshToken('no-such-digest', T0)).toBe(false);
    });

    it('lets exactly one of 50 concurrent rotations supersede a token', async () => {
      const connection = await seedConnection();
      const token = aRefreshToken(connection.id);
      await store().connections.addRefreshToken(token);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store().connections.supersedeRefreshToken(token.digest, T0 + i)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store().connections.findRefreshToken(token.digest))?.token.supersededAt).toBe(T0 + winner);
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
