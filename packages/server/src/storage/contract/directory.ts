/** Storage contract: companies and users, with the failed-login lockout (docs/architecture.md "Storage"). */
import { describe, expect, it } from 'vitest';
import { LoginIdTakenError } from '../errors.js';
import { aCompany, aUser, MINUTE, T0, type StoreOf } from './fixtures.js';

export function companiesContract(store: StoreOf): void {
  describe('companies', () => {
    it('round-trips every field, with and without the optional ones', async () => {
      const full = aCompany();
      const bare = aCompany({ geolocation: null, domain: null, enabled: false, createdAt: T0 + 5 });
      await store().companies.create(full);
      await store().companies.create(bare);
      expect(await store().companies.get(full.id)).toEqual(full);
      expect(await store().companies.get(bare.id)).toEqual(bare);
      expect(await store().companies.get('no-such-company')).toBeUndefined();
    });

    it('lists oldest first and counts', async () => {
      expect(await store().companies.list()).toEqual([]);
      expect(await store().companies.count()).toBe(0);
      const late = aCompany({ createdAt: T0 + 2 });
      const early = aCompany({ createdAt: T0 });
      const middle = aCompany({ createdAt: T0 + 1 });
      for (const company of [late, early, middle]) await store().companies.create(company);
      expect((await store().companies.list()).map((c) => c.id)).toEqual([early.id, middle.id, late.id]);
      expect(await store().companies.count()).toBe(3);
    });

    it('rejects a second company with the same id', async () => {
      const company = aCompany();
      await store().companies.create(company);
      await expect(store().companies.create({ ...company, name: 'Copy' })).rejects.toThrow();
    });
  });
}

export function usersContract(store: StoreOf): void {
  describe('users', () => {
    const withCompany = async () => {
      const company = aCompany();
      await store().companies.create(company);
      return company.id;
    };

    it('round-trips every field, with and without the optional ones', async () => {
      const companyId = await withCompany();
      const full = aUser(companyId, { status: 'locked', failedLogins: 3, lockedUntil: T0 + 15 * MINUTE });
      const bare = aUser(companyId, { email: null, displayName: null, roles: [] });
      await store().users.create(full);
      await store().users.create(bare);
      expect(await store().users.get(full.id)).toEqual(full);
      expect(await store().users.get(bare.id)).toEqual(bare);
      expect(await store().users.get('no-such-user')).toBeUndefined();
    });

    it('finds a user by login id ignoring case', async () => {
      const user = aUser(await withCompany(), { loginId: 'Alice.Smith@Acme.example' });
      await store().users.create(user);
      expect(await store().users.findByLoginId('alice.smith@acme.example')).toEqual(user);
      expect(await store().users.findByLoginId('ALICE.SMITH@ACME.EXAMPLE')).toEqual(user);
      expect(await store().users.findByLoginId('alice.smith@acme')).toBeUndefined();
    });

    it('keeps login ids unique ignoring case, across companies', async () => {
      const first = await withCompany();
      const second = await withCompany();
      await store().users.create(aUser(first, { loginId: 'bob@acme.example' }));
      await expect(store().users.create(aUser(first, { loginId: 'BOB@acme.example' }))).rejects.toThrow();
      await expect(store().users.create(aUser(second, { loginId: 'Bob@Acme.Example' }))).rejects.toThrow();
      expect((await store().users.listByCompany(first)).map((u) => u.loginId)).toEqual(['bob@acme.example']);
      expect(await store().users.listByCompany(second)).toEqual([]);
    });

    it('concurrent creations of one login id: one succeeds, every other rejects with LoginIdTakenError', async () => {
      const companyId = await withCompany();
      const racers = ['eve@race.example', 'EVE@race.example', 'Eve@Race.example', 'eve@RACE.example', 'eve@race.EXAMPLE', 'eVe@race.example']
        .map((loginId) => aUser(companyId, { loginId }));
      const outcomes = await Promise.allSettled(racers.map((user) => store().users.create(user)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(refusals).toHaveLength(5);
      for (const reason of refusals) {
        expect(reason).toBeInstanceOf(LoginIdTakenError);
        expect(reason).toBeInstanceOf(RangeError);
      }
      expect(await store().users.listByCompany(companyId)).toHaveLength(1);
      // the primary key is not a login id: a duplicate id stays an ordinary failure
      const [winner] = await store().users.listByCompany(companyId);
      await expect(store().users.create(aUser(companyId, { id: winner!.id, loginId: 'someone-else' }))).rejects.not.toBeInstanceOf(LoginIdTakenError);
    });

    it('folds non-ASCII case alike on every store: Ü/ü, ß/SS, Σ/σ/ς and a decomposed ü are one login id', async () => {
      const companyId = await withCompany();
      const jurgen = aUser(companyId, { loginId: 'JÜRGEN@münchen.example' });
      await store().users.create(jurgen);
      for (const spelling of ['jürgen@MÜNCHEN.example', 'ju\u0308rgen@mu\u0308nchen.example', 'Jürgen@München.Example']) {
        expect(await store().users.findByLoginId(spelling), spelling).toEqual(jurgen);
      }
      await expect(store().users.create(aUser(companyId, { loginId: 'jürgen@münchen.example' }))).rejects.toBeInstanceOf(LoginIdTakenError);

      const strasse = aUser(companyId, { loginId: 'straße' });
      await store().users.create(strasse);
      expect(await store().users.findByLoginId('STRASSE')).toEqual(strasse);
      await expect(store().users.create(aUser(companyId, { loginId: 'Strasse' }))).rejects.toBeInstanceOf(LoginIdTakenError);

      const odysseas = aUser(companyId, { loginId: 'ΟΔΥΣΣΕΑΣ' });
      await store().users.create(odysseas);
      for (const spelling of ['οδυσσεας', 'οδυσσεασ', 'Οδυσσέας'.normalize('NFD').replace(/\u0301/g, '')]) {
        expect(await store().users.findByLoginId(spelling), spelling).toEqual(odysseas);
      }
      await expect(store().users.create(aUser(companyId, { loginId: 'οδυσσεας' }))).rejects.toBeInstanceOf(LoginIdTakenError);
      // The login id is kept as it was entered.
      expect((await store().users.get(odysseas.id))?.loginId).toBe('ΟΔΥΣΣΕΑΣ');
    });

    it('applies no Turkish (locale) mapping: I, i and ı are one login id, the dotted İ another', async () => {
      const companyId = await withCompany();
      const plain = aUser(companyId, { loginId: 'ISIL' });
      const dotted = aUser(companyId, { loginId: 'İSİL' });
      await store().users.create(plain);
      await store().users.create(dotted);
      expect(await store().users.findByLoginId('isil')).toEqual(plain);
      expect(await store().users.findByLoginId('ısıl')).toEqual(plain);
      expect(await store().users.findByLoginId('i\u0307si\u0307l')).toEqual(dotted);
      await expect(store().users.create(aUser(companyId, { loginId: 'ısıl' }))).rejects.toBeInstanceOf(LoginIdTakenError);
    });

    it('pages the users of one company in login id order, with the company\'s total', async () => {
      const companyId = await withCompany();
      const other = await withCompany();
      const loginIds = Array.from({ length: 12 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
      for (const loginId of [...loginIds].reverse()) await store().users.create(aUser(companyId, { loginId }));
      await store().users.create(aUser(other, { loginId: 'user-elsewhere' }));
      const page = async (offset: number, limit: number) => {
        const { items, total } = await store().users.pageByCompany(companyId, { offset, limit });
        return { loginIds: items.map((u) => u.loginId), total };
      };
      expect(await page(0, 5)).toEqual({ loginIds: loginIds.slice(0, 5), total: 12 });
      expect(await page(5, 5)).toEqual({ loginIds: loginIds.slice(5, 10), total: 12 });
      expect(await page(10, 5)).toEqual({ loginIds: loginIds.slice(10), total: 12 });
      expect(await page(12, 5)).toEqual({ loginIds: [], total: 12 });
      expect(await page(0, 0)).toEqual({ loginIds: [], total: 12 });
      expect((await store().users.pageByCompany(companyId, { offset: 0, limit: 100 })).items)
        .toEqual(await store().users.listByCompany(companyId));
      expect(await store().users.pageByCompany('no-such-company', { offset: 0, limit: 5 })).toEqual({ items: [], total: 0 });
    });

    it('lists the users of one company by login id', async () => {
      const companyId = await withCompany();
      const other = await withCompany();
      for (const loginId of ['carol', 'alice', 'bob']) await store().users.create(aUser(companyId, { loginId }));
      await store().users.create(aUser(other, { loginId: 'dave' }));
      expect((await store().users.listByCompany(companyId)).map((u) => u.loginId)).toEqual(['alice', 'bob', 'carol']);
    });

    it('counts failed logins and locks at the limit', async () => {
      const user = aUser(await withCompany());
      await store().users.create(user);
      expect(await store().users.recordFailedLogin(user.id, T0 + 10, 3, T0 + 10 + 15 * MINUTE)).toBe(1);
      expect(await store().users.recordFailedLogin(user.id, T0 + 20, 3, T0 + 20 + 15 * MINUTE)).toBe(2);
      expect(await store().users.get(user.id)).toMatchObject({ status: 'active', failedLogins: 2, lockedUntil: null, updatedAt: T0 + 20 });
      expect(await store().users.recordFailedLogin(user.id, T0 + 30, 3, T0 + 30 + 15 * MINUTE)).toBe(3);
      expect(await store().users.get(user.id)).toMatchObject({
        status: 'locked', failedLogins: 3, lockedUntil: T0 + 30 + 15 * MINUTE, updatedAt: T0 + 30,
      });
    });

    it('locks again on the next failure after a lock expired', async () => {
      const user = aUser(await withCompany(), { status: 'locked', failedLogins: 3, lockedUntil: T0 + MINUTE });
      await store().users.create(user);
      const later = T0 + 20 * MINUTE;
      expect(await store().users.recordFailedLogin(user.id, later, 3, later + 15 * MINUTE)).toBe(4);
      expect(await store().users.get(user.id)).toMatchObject({ status: 'locked', failedLogins: 4, lockedUntil: later + 15 * MINUTE });
    });

    it('never turns a disabled user into a locked one', async () => {
      const user = aUser(await withCompany(), { status: 'disabled' });
      await store().users.create(user);
      for (let i = 1; i <= 4; i++) expect(await store().users.recordFailedLogin(user.id, T0 + i, 2, T0 + MINUTE)).toBe(i);
      expect(await store().users.get(user.id)).toMatchObject({ status: 'disabled', failedLogins: 4, lockedUntil: null });
    });

    it('answers 0 for a failed login of an unknown user', async () => {
      expect(await store().users.recordFailedLogin('no-such-user', T0, 3, T0 + MINUTE)).toBe(0);
    });

    it('clears failures, unlocking a locked user but leaving a disabled one disabled', async () => {
      const companyId = await withCompany();
      const locked = aUser(companyId, { status: 'locked', failedLogins: 5, lockedUntil: T0 + MINUTE });
      const disabled = aUser(companyId, { status: 'disabled', failedLogins: 2 });
      await store().users.create(locked);
      await store().users.create(disabled);
      await store().users.clearFailedLogins(locked.id, T0 + 7);
      await store().users.clearFailedLogins(disabled.id, T0 + 7);
      expect(await store().users.get(locked.id)).toEqual({ ...locked, status: 'active', failedLogins: 0, lockedUntil: null, updatedAt: T0 + 7 });
      expect(await store().users.get(disabled.id)).toEqual({ ...disabled, failedLogins: 0, updatedAt: T0 + 7 });
    });

    it('sets the status', async () => {
      const user = aUser(await withCompany());
      await store().users.create(user);
      await store().users.setStatus(user.id, 'disabled', T0 + 9);
      expect(await store().users.get(user.id)).toEqual({ ...user, status: 'disabled', updatedAt: T0 + 9 });
      await store().users.setStatus(user.id, 'active', T0 + 10);
      expect(await store().users.get(user.id)).toEqual({ ...user, status: 'active', updatedAt: T0 + 10 });
    });

    it('replaces the password hash', async () => {
      const user = aUser(await withCompany());
      await store().users.create(user);
      await store().users.setPasswordHash(user.id, 'scrypt$new', T0 + 11);
      expect(await store().users.get(user.id)).toEqual({ ...user, passwordHash: 'scrypt$new', updatedAt: T0 + 11 });
    });
  });
}
