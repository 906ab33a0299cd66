/**
 * Storage contract: company request tokens (docs/architecture.md "Storage": single use is one atomic
 * conditional update, so exactly `maxUses` concurrent conversions win).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RequestToken, RequestTokenConversion } from '../types.js';
import { aCompany, aConnection, aRequestToken, DAY, seedApp, T0, type StoreOf } from './fixtures.js';

export function requestTokensContract(store: StoreOf): void {
  describe('request tokens', () => {
    it('stores a token and answers it, every field, after each use', async () => {
      const { company, app } = await seedApp(store());
      const token = aRequestToken(app.id, company.id, { maxUses: 3 });
      await store().requestTokens.replace(token);
      expect(await store().requestTokens.consume(token.digest, T0 + 1)).toEqual({ ...token, uses: 1 });
      expect(await store().requestTokens.consume(token.digest, T0 + 2)).toEqual({ ...token, uses: 2 });
    });

    it('replaces the earlier token of the same app and company, and only that one', async () => {
      const { company, app } = await seedApp(store());
      const guest = aCompany();
      await store().companies.create(guest);
      const earlier = aRequestToken(app.id, company.id);
      const guests = aRequestToken(app.id, guest.id);
      await store().requestTokens.replace(earlier);
      await store().requestTokens.replace(guests);
      const later = aRequestToken(app.id, company.id, { createdAt: T0 + 10, expiresAt: T0 + 2 * DAY });
      await store().requestTokens.replace(later);
      expect(await store().requestTokens.consume(earlier.digest, T0 + 11)).toBeUndefined();
      expect(await store().requestTokens.consume(later.digest, T0 + 11)).toEqual({ ...later, uses: 1 });
      expect(await store().requestTokens.consume(guests.digest, T0 + 11)).toEqual({ ...guests, uses: 1 });
    });

    it('stops at maxUses', async () => {
      const { company, app } = await seedApp(store());
      const token = aRequestToken(app.id, company.id, { maxUses: 2 });
      await store().requestTokens.replace(token);
      expect(await store().requestTokens.consume(token.digest, T0)).toMatchObject({ uses: 1 });
      expect(await store().requestTokens.consume(token.digest, T0)).toMatchObject({ uses: 2 });
      expect(await store().requestTokens.consume(token.digest, T0)).toBeUndefined();
      expect(await store().requestTokens.consume(token.digest, T0)).toBeUndefined();
    });

    it('stops at expiry: usable before expiresAt, not at it', async () => {
      const { company, app } = await seedApp(store());
      const token = aRequestToken(app.id, company.id, { expiresAt: T0 + 1000 });
      await store().requestTokens.replace(token);
      expect(await store().requestTokens.consume(token.digest, T0 + 1000)).toBeUndefined();
      expect(await store().requestTokens.consume(token.digest, T0 + 999)).toEqual({ ...token, uses: 1 });
    });

    it('answers undefined for an unknown token', async () => {
      expect(await store().requestTokens.consume('no-such-digest', T0)).toBeUndefined();
    });

    it('links the first connection written and keeps it', async () => {
      const { company, app } = await seedApp(store());
      const token = aRequestToken(app.id, company.id);
      await store().requestTokens.replace(token);
      expect(await store().requestTokens.linkConnection(token.digest, 'connection-1')).toBe('connection-1');
      expect(await store().requestTokens.linkConnection(token.digest, 'connection-2')).toBe('connection-1');
      expect(await store().requestTokens.consume(token.digest, T0)).toMatchObject({ connectionId: 'connection-1', uses: 1 });
    });

    it('answers the caller\'s own connection when linking a token that is gone', async () => {
      expect(await store().requestTokens.linkConnection('no-such-digest', 'connection-9')).toBe('connection-9');
    });

    describe('convert: the use, the context and a join in one step', () => {
      const seedLinked = async (over: { maxUses?: number } = {}) => {
        const { company, app } = await seedApp(store());
        await store().apps.grantCompany({ appId: app.id, companyId: company.id, enabled: true, createdAt: T0, updatedAt: T0 });
        const connection = aConnection(app.id, company.id, { principalType: 'company', principalId: company.id });
        await store().connections.create(connection);
        const token = aRequestToken(app.id, company.id, over);
        await store().requestTokens.replace(token);
        await store().requestTokens.linkConnection(token.digest, connection.id);
        return { company, app, connection, token: { ...token, connectionId: connection.id } };
      };
      const conversion = (token: RequestToken, over: Partial<RequestTokenConversion> = {}): RequestTokenConversion => ({
        digest: token.digest, appId: token.appId, companyId: token.companyId, now: T0 + 1,
        next: { digest: `rt-${randomUUID()}`, createdAt: T0 + 1 }, mayJoin: () => true, ...over,
      });

      it('counts the use, answers the context, and adds the next value to the linked connection when mayJoin accepts', async () => {
        const { company, connection, token } = await seedLinked();
        const seen: unknown[] = [];
        const c = conversion(token, { mayJoin: (t, context) => { seen.push(t, context); return true; } });
        const step = await store().requestTokens.convert(c);
        const context = { company, companyGrantEnabled: true, connection };
        expect(step).toEqual({ token: { ...token, uses: 1 }, context, joined: true });
        expect(seen).toEqual([{ ...token, uses: 1 }, context]);
        expect(await store().connections.findRefreshToken(c.next.digest)).toEqual({
          token: { digest: c.next.digest, connectionId: connection.id, createdAt: c.next.createdAt, supersededAt: null }, connection,
        });
      });

      it('adds nothing when mayJoin refuses, or when no connection is linked (mayJoin not asked), but counts the use', async () => {
        const { token } = await seedLinked();
        const refused = conversion(token, { mayJoin: () => false });
        expect(await store().requestTokens.convert(refused)).toMatchObject({ token: { uses: 1 }, joined: false });
        expect(await store().connections.findRefreshToken(refused.next.digest)).toBeUndefined();

        const { company, app } = await seedApp(store());
        const unlinked = aRequestToken(app.id, company.id);
        await store().requestTokens.replace(unlinked);
        let asked = false;
        const first = conversion(unlinked, { mayJoin: () => { asked = true; return true; } });
        expect(await store().requestTokens.convert(first)).toMatchObject({ token: { uses: 1, connectionId: null }, context: { company, connection: undefined }, joined: false });
        expect(asked).toBe(false);
        expect(await store().connections.findRefreshToken(first.next.digest)).toBeUndefined();
      });

      it('counts a use of a token of another app or company, and reads and adds nothing for it', async () => {
        const { token } = await seedLinked({ maxUses: 2 });
        const other = conversion(token, { companyId: 'another-company' });
        expect(await store().requestTokens.convert(other)).toEqual({ token: { ...token, uses: 1 }, context: undefined, joined: false });
        expect(await store().connections.findRefreshToken(other.next.digest)).toBeUndefined();
        expect(await store().requestTokens.convert(conversion(token, { appId: 'another-app' }))).toMatchObject({ token: { uses: 2 }, context: undefined });
        // both uses were counted: the token is used up
        expect(await store().requestTokens.convert(conversion(token))).toEqual({ token: undefined, context: undefined, joined: false });
      });

      it('answers no token, and adds nothing, for an unknown, expired or used-up token', async () => {
        const { token } = await seedLinked({ maxUses: 1 });
        expect(await store().requestTokens.convert(conversion(token, { now: token.expiresAt }))).toEqual({ token: undefined, context: undefined, joined: false });
        expect(await store().requestTokens.convert(conversion(token))).toMatchObject({ token: { uses: 1 }, joined: true });
        const late = conversion(token);
        expect(await store().requestTokens.convert(late)).toEqual({ token: undefined, context: undefined, joined: false });
        expect(await store().connections.findRefreshToken(late.next.digest)).toBeUndefined();
        expect(await store().requestTokens.convert(conversion(token, { digest: 'no-such-digest' }))).toEqual({ token: undefined, context: undefined, joined: false });
      });

      it('counts exactly maxUses of concurrent conversions, each winner joining with its own value', async () => {
        const { token } = await seedLinked({ maxUses: 5 });
        const conversions = Array.from({ length: 12 }, () => conversion(token));
        const steps = await Promise.all(conversions.map((c) => store().requestTokens.convert(c)));
        expect(steps.filter((s) => s.joined)).toHaveLength(5);
        expect(new Set(steps.filter((s) => s.token).map((s) => s.token!.uses))).toEqual(new Set([1, 2, 3, 4, 5]));
        for (const [i, c] of conversions.entries()) {
          expect((await store().connections.findRefreshToken(c.next.digest)) !== undefined).toBe(steps[i]!.joined);
        }
      });
    });

    it('deletes expired tokens and counts them', async () => {
      const { company, app } = await seedApp(store());
      const guests = [aCompany(), aCompany(), aCompany()];
      for (const guest of guests) await store().companies.create(guest);
      const expired = aRequestToken(app.id, guests[0]!.id, { expiresAt: T0 + 10 });
      const expiringNow = aRequestToken(app.id, guests[1]!.id, { expiresAt: T0 + 20 });
      const live = aRequestToken(app.id, company.id, { expiresAt: T0 + 21 });
      for (const token of [expired, expiringNow, live]) await store().requestTokens.replace(token);
      expect(await store().requestTokens.deleteExpired(T0 + 20)).toBe(2);
      expect(await store().requestTokens.deleteExpired(T0 + 20)).toBe(0);
      expect(await store().requestTokens.consume(live.digest, T0 + 5)).toMatchObject({ uses: 1 });
      expect(await store().requestTokens.consume(expired.digest, T0 + 5)).toBeUndefined();
    });

    it('lets exactly maxUses of 50 concurrent uses through', async () => {
      const { company, app } = await seedApp(store());
      const token = aRequestToken(app.id, company.id, { maxUses: 5 });
      await store().requestTokens.replace(token);
      const results = await Promise.all(Array.from({ length: 50 }, () => store().requestTokens.consume(token.digest, T0 + 1)));
      const won = results.filter((r) => r !== undefined);
      expect(won).toHaveLength(5);
      expect(won.map((r) => r.uses).sort()).toEqual([1, 2, 3, 4, 5]);
    });

    it('links exactly one connection among concurrent first conversions', async () => {
      const { company, app } = await seedApp(store());
      const token = aRequestToken(app.id, company.id);
      await store().requestTokens.replace(token);
      const linked = await Promise.all(Array.from({ length: 20 }, (_, i) => store().requestTokens.linkConnection(token.digest, `c-${i}`)));
      expect(new Set(linked).size).toBe(1);
    });
  });
}
