/**
 * Storage contract: company request tokens (docs/architecture.md "Storage": single use is one atomic
 * conditional update, so exactly `maxUses` concurrent conversions win).
 */
import { describe, expect, it } from 'vitest';
import { aCompany, aRequestToken, DAY, seedApp, T0, type StoreOf } from './fixtures.js';

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
