/**
 * Storage contract: authorization codes and consents (docs/protocol.md §4, Decision 4). A code's
 * use is one conditional update, so of concurrent redemptions exactly one is the first; a replay
 * is recorded, also when it comes before the first redemption has linked its connection.
 */
import { describe, expect, it } from 'vitest';
import { aCode, aConsent, anApp, aUser, MINUTE, seedApp, T0, type StoreOf } from './fixtures.js';

async function seedUserAndApp(store: ReturnType<StoreOf>) {
  const { company, app } = await seedApp(store);
  const user = aUser(company.id);
  await store.users.create(user);
  return { company, app, user };
}

export function authorizationContract(store: StoreOf): void {
  describe('authorization codes', () => {
    it('keeps every field of a code, and of a public app', async () => {
      const { company, app, user } = await seedUserAndApp(store());
      const code = aCode(app.id, user.id, company.id);
      await store().authorizations.createCode(code);
      expect(await store().authorizations.getCode(code.digest)).toEqual(code);
      const bare = aCode(app.id, user.id, company.id, { codeChallenge: null, nonce: null, scopes: [] });
      await store().authorizations.createCode(bare);
      expect(await store().authorizations.getCode(bare.digest)).toEqual(bare);
      expect(await store().authorizations.getCode('no-such-code')).toBeUndefined();
      const publicApp = anApp(company.id, { clientType: 'public' });
      await store().apps.create(publicApp);
      expect(await store().apps.get(publicApp.id)).toEqual(publicApp);
      await store().apps.update({ ...publicApp, clientType: 'confidential', updatedAt: T0 + 5 });
      expect((await store().apps.get(publicApp.id))?.clientType).toBe('confidential');
    });

    it('uses a code once; later uses are replays that keep the first replay time', async () => {
      const { company, app, user } = await seedUserAndApp(store());
      const code = aCode(app.id, user.id, company.id);
      await store().authorizations.createCode(code);
      expect(await store().authorizations.useCode(code.digest, T0 + MINUTE)).toEqual({ code: { ...code, usedAt: T0 + MINUTE }, firstUse: true });
      expect(await store().authorizations.useCode(code.digest, T0 + 2 * MINUTE))
        .toEqual({ code: { ...code, usedAt: T0 + MINUTE, replayedAt: T0 + 2 * MINUTE }, firstUse: false });
      expect((await store().authorizations.useCode(code.digest, T0 + 3 * MINUTE))?.code.replayedAt).toBe(T0 + 2 * MINUTE);
      expect(await store().authorizations.useCode('no-such-code', T0)).toBeUndefined();
    });

    it('lets exactly one of concurrent uses be the first', async () => {
      const { company, app, user } = await seedUserAndApp(store());
      const code = aCode(app.id, user.id, company.id);
      await store().authorizations.createCode(code);
      const uses = await Promise.all(Array.from({ length: 8 }, () => store().authorizations.useCode(code.digest, T0 + MINUTE)));
      expect(uses.filter((use) => use?.firstUse)).toHaveLength(1);
    });

    it('links the connection a redemption opened, telling whether the code was replayed first', async () => {
      const { company, app, user } = await seedUserAndApp(store());
      const quiet = aCode(app.id, user.id, company.id);
      const replayed = aCode(app.id, user.id, company.id);
      await store().authorizations.createCode(quiet);
      await store().authorizations.createCode(replayed);
      await store().authorizations.useCode(quiet.digest, T0);
      expect(await store().authorizations.linkCodeConnection(quiet.digest, 'connection-1')).toBe(false);
      expect((await store().authorizations.getCode(quiet.digest))?.connectionId).toBe('connection-1');
      await store().authorizations.useCode(replayed.digest, T0);
      await store().authorizations.useCode(replayed.digest, T0 + 1);
      expect(await store().authorizations.linkCodeConnection(replayed.digest, 'connection-2')).toBe(true);
      expect(await store().authorizations.linkCodeConnection('no-such-code', 'connection-3')).toBe(false);
    });

    it('deletes codes expired at the time given, used or not', async () => {
      const { company, app, user } = await seedUserAndApp(store());
      const expired = aCode(app.id, user.id, company.id, { expiresAt: T0 });
      const used = aCode(app.id, user.id, company.id, { expiresAt: T0 - 1, usedAt: T0 - 5 });
      const live = aCode(app.id, user.id, company.id, { expiresAt: T0 + 1 });
      for (const code of [expired, used, live]) await store().authorizations.createCode(code);
      expect(await store().authorizations.deleteExpiredCodes(T0)).toBe(2);
      expect(await store().authorizations.getCode(expired.digest)).toBeUndefined();
      expect(await store().authorizations.getCode(live.digest)).toEqual(live);
    });
  });

  describe('consents', () => {
    it('saves, replaces, lists (newest change first) and withdraws a consent', async () => {
      const { company, app, user } = await seedUserAndApp(store());
      const other = anApp(company.id);
      await store().apps.create(other);
      const first = aConsent(user.id, app.id);
      await store().authorizations.saveConsent(first);
      expect(await store().authorizations.getConsent(user.id, app.id)).toEqual(first);
      const wider = { ...first, scopes: ['openid', 'user.read', 'company.read'], createdAt: T0 + 9, updatedAt: T0 + 10 };
      await store().authorizations.saveConsent(wider);
      // The first consent's creation time stays.
      expect(await store().authorizations.getConsent(user.id, app.id)).toEqual({ ...wider, createdAt: first.createdAt });
      const second = aConsent(user.id, other.id, { updatedAt: T0 + 20 });
      await store().authorizations.saveConsent(second);
      const someoneElse = aUser(company.id);
      await store().users.create(someoneElse);
      await store().authorizations.saveConsent(aConsent(someoneElse.id, app.id));
      expect((await store().authorizations.listConsents(user.id)).map((c) => c.appId)).toEqual([other.id, app.id]);
      expect(await store().authorizations.deleteConsent(user.id, app.id)).toBe(true);
      expect(await store().authorizations.deleteConsent(user.id, app.id)).toBe(false);
      expect(await store().authorizations.getConsent(user.id, app.id)).toBeUndefined();
      expect(await store().authorizations.getConsent(someoneElse.id, app.id)).toBeDefined();
      expect(await store().authorizations.listConsents('no-such-user')).toEqual([]);
    });
  });
}
