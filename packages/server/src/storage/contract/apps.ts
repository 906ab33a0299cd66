/** Storage contract: apps, their listing, secrets and company grants (docs/architecture.md "Storage"). */
import { describe, expect, it } from 'vitest';
import { aCompany, aConnection, anApp, aSecret, aUser, limits, seedApp, T0, type StoreOf } from './fixtures.js';
import type { App, AppListQuery } from '../types.js';

export function appsContract(store: StoreOf): void {
  describe('apps', () => {
    it('round-trips every field, with and without the optional ones', async () => {
      const { company, app } = await seedApp(store());
      const bare = anApp(company.id, {
        description: '', stage: 'development', appType: 'ics-client', grants: [], scopes: [], redirectUris: [],
        enabled: false, lastUsedAt: T0 + 3,
      });
      await store().apps.create(bare);
      expect(await store().apps.get(app.id)).toEqual(app);
      expect(await store().apps.get(bare.id)).toEqual(bare);
      expect(await store().apps.get('no-such-app')).toBeUndefined();
    });

    it('updates the editable fields and keeps owner, creation and last use', async () => {
      const { company, app } = await seedApp(store());
      await store().apps.touchLastUsed(app.id, T0 + 50);
      const other = aCompany();
      await store().companies.create(other);
      const edited: App = {
        ...app, companyId: other.id, name: 'Renamed', description: 'new text', stage: 'test', appType: 'ics-client',
        grants: ['client_credentials'], scopes: ['company.read'], redirectUris: [], enabled: false,
        createdAt: T0 + 99, updatedAt: T0 + 60, lastUsedAt: null,
      };
      await store().apps.update(edited);
      expect(await store().apps.get(app.id)).toEqual({ ...edited, companyId: company.id, createdAt: app.createdAt, lastUsedAt: T0 + 50 });
    });

    it('creates an app with its first secret and its own company\'s grant, all or nothing', async () => {
      const company = aCompany();
      await store().companies.create(company);
      const app = anApp(company.id);
      const secret = aSecret(app.id);
      await store().apps.createWithSecret(app, secret);
      expect(await store().apps.get(app.id)).toEqual(app);
      expect(await store().apps.listSecrets(app.id)).toEqual([secret]);
      expect(await store().apps.getCompanyGrant(app.id, company.id)).toEqual({
        appId: app.id, companyId: company.id, enabled: true, createdAt: app.createdAt, updatedAt: app.createdAt,
      });
      // The secret's insert fails (its id is taken): neither the app nor its grant stays.
      const second = anApp(company.id);
      await expect(store().apps.createWithSecret(second, { ...aSecret(second.id), id: secret.id })).rejects.toThrow();
      expect(await store().apps.get(second.id)).toBeUndefined();
      expect(await store().apps.getCompanyGrant(second.id, company.id)).toBeUndefined();
      expect((await store().apps.list({ companyId: company.id })).total).toBe(1);
    });

    it('records the last use', async () => {
      const { app } = await seedApp(store());
      await store().apps.touchLastUsed(app.id, T0 + 1234);
      expect(await store().apps.get(app.id)).toEqual({ ...app, lastUsedAt: T0 + 1234 });
    });
  });

  describe('apps.list', () => {
    /** Apps of one company whose every sort column orders them differently. */
    const seedListing = async () => {
      const { company } = await seedApp(store());
      await store().companies.create(aCompany({ id: 'other-company' }));
      await store().apps.create(anApp('other-company', { name: 'bravo elsewhere' }));
      // The seeded app belongs to the company too; the sort checks look at these three only.
      const spec = [
        { id: '00000000-0000-4000-8000-00000000000c', name: 'charlie', description: 'Alpha', createdAt: T0 + 1, updatedAt: T0 + 30, lastUsedAt: null },
        { id: '00000000-0000-4000-8000-00000000000a', name: 'Bravo', description: 'charlie', createdAt: T0 + 3, updatedAt: T0 + 10, lastUsedAt: T0 + 200 },
        { id: '00000000-0000-4000-8000-00000000000b', name: 'alpha', description: 'bravo', createdAt: T0 + 2, updatedAt: T0 + 20, lastUsedAt: T0 + 100 },
      ];
      const apps = spec.map((s) => anApp(company.id, s));
      for (const app of apps) await store().apps.create(app);
      return { companyId: company.id, c: apps[0]!, a: apps[1]!, b: apps[2]! };
    };
    const ids = async (query: AppListQuery) => (await store().apps.list(query)).items.map((app) => app.id);

    it('lists only the company\'s apps, newest first by default, with the total', async () => {
      const { company, app } = await seedApp(store());
      const newer = anApp(company.id, { createdAt: T0 + 10 });
      await store().apps.create(newer);
      await seedApp(store());
      const page = await store().apps.list({ companyId: company.id });
      expect(page).toEqual({ items: [newer, app], total: 2 });
    });

    it('sorts by every column, both ways, names ignoring case and never-used apps as oldest', async () => {
      const { companyId, a, b, c } = await seedListing();
      const orders: [NonNullable<AppListQuery['sort']>, App[]][] = [
        ['id', [a, b, c]], ['name', [b, a, c]], ['description', [c, b, a]],
        ['createdAt', [c, b, a]], ['updatedAt', [a, b, c]], ['lastUsedAt', [c, b, a]],
      ];
      for (const [sort, ascending] of orders) {
        const without = (list: string[]) => list.filter((id) => [a.id, b.id, c.id].includes(id));
        expect(without(await ids({ companyId, sort, order: 'asc' })), `${sort} asc`).toEqual(ascending.map((x) => x.id));
        expect(without(await ids({ companyId, sort, order: 'desc' })), `${sort} desc`).toEqual(ascending.map((x) => x.id).reverse());
      }
    });

    it('breaks ties by id', async () => {
      const { company } = await seedApp(store());
      const twins = ['00000000-0000-4000-8000-0000000000f2', '00000000-0000-4000-8000-0000000000f1']
        .map((id) => anApp(company.id, { id, name: 'Twin', createdAt: T0 + 500 }));
      for (const app of twins) await store().apps.create(app);
      const listed = await ids({ companyId: company.id, sort: 'name', order: 'asc' });
      expect(listed.filter((id) => id.endsWith('f1') || id.endsWith('f2'))).toEqual([twins[1]!.id, twins[0]!.id]);
    });

    it('pages with offset and limit; the total counts every match', async () => {
      const { company } = await seedApp(store());
      for (let i = 1; i <= 54; i++) await store().apps.create(anApp(company.id, { createdAt: T0 + i }));
      const all = await store().apps.list({ companyId: company.id, sort: 'createdAt', order: 'asc', limit: 1000 });
      expect(all.total).toBe(55);
      expect(all.items).toHaveLength(55);
      const byDefault = await store().apps.list({ companyId: company.id, sort: 'createdAt', order: 'asc' });
      expect(byDefault.items).toEqual(all.items.slice(0, 50));
      expect(byDefault.total).toBe(55);
      const page = await store().apps.list({ companyId: company.id, sort: 'createdAt', order: 'asc', offset: 10, limit: 5 });
      expect(page).toEqual({ items: all.items.slice(10, 15), total: 55 });
      const past = await store().apps.list({ companyId: company.id, offset: 100, limit: 5 });
      expect(past).toEqual({ items: [], total: 55 });
    });

    it('filters by a piece of the name (ignoring case) or of the id', async () => {
      const { companyId, a, b, c } = await seedListing();
      expect(await store().apps.list({ companyId, filter: 'BRAV' })).toEqual({ items: [a], total: 1 });
      expect(await ids({ companyId, filter: '00000000000b' })).toEqual([b.id]);
      expect(await ids({ companyId, filter: 'ALPHA', sort: 'name', order: 'asc' })).toEqual([b.id]);
      expect(await ids({ companyId, filter: 'ar', sort: 'name', order: 'asc' })).toEqual([c.id]);
      expect(await store().apps.list({ companyId, filter: 'nothing like it' })).toEqual({ items: [], total: 0 });
    });

    it('takes %, _ and \\ in the filter literally', async () => {
      const { company } = await seedApp(store());
      const names = ['100% pure', '100 pure', 'a_b', 'axb', 'back\\slash', 'backslash'];
      const apps = names.map((name, i) => anApp(company.id, { name, createdAt: T0 + 10 + i }));
      for (const app of apps) await store().apps.create(app);
      const named = async (filter: string) =>
        (await store().apps.list({ companyId: company.id, filter })).items.map((app) => app.name);
      expect(await named('%')).toEqual(['100% pure']);
      expect(await named('0% p')).toEqual(['100% pure']);
      expect(await named('_')).toEqual(['a_b']);
      expect(await named('a_b')).toEqual(['a_b']);
      expect(await named('\\')).toEqual(['back\\slash']);
    });
  });

  describe('app secrets', () => {
    const active = async (appId: string) => (await store().apps.getClient(appId))?.activeSecrets.map((s) => s.digest);

    it('lists secrets oldest first with every field, and answers only active digests', async () => {
      const { app } = await seedApp(store());
      const other = await seedApp(store());
      const second = aSecret(app.id, { status: 'inactive', createdAt: T0 + 2, updatedAt: T0 + 3 });
      const first = aSecret(app.id, { createdAt: T0 + 1, updatedAt: T0 + 1 });
      const third = aSecret(app.id, { createdAt: T0 + 3 });
      for (const secret of [second, first, third, aSecret(other.app.id)]) await store().apps.addSecret(secret, limits);
      expect(await store().apps.listSecrets(app.id)).toEqual([first, second, third]);
      expect((await active(app.id))?.sort()).toEqual([first.digest, third.digest].sort());
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect((await store().apps.getClient(app.id))?.activeSecrets.sort(byId))
        .toEqual([first, third].map(({ id, digest }) => ({ id, digest })).sort(byId));
      expect((await store().apps.getClient(app.id))?.app).toEqual(await store().apps.get(app.id));
      expect(await store().apps.listSecrets('no-such-app')).toEqual([]);
      expect(await store().apps.getClient('no-such-app')).toBeUndefined();
    });

    it('changes a secret\'s status, only through its own app', async () => {
      const { app } = await seedApp(store());
      const other = await seedApp(store());
      const secret = aSecret(app.id);
      await store().apps.addSecret(secret, limits);
      expect(await store().apps.setSecretStatus(other.app.id, secret.id, 'inactive', T0 + 5, limits)).toBe('missing');
      expect(await store().apps.setSecretStatus(app.id, 'no-such-secret', 'inactive', T0 + 5, limits)).toBe('missing');
      expect(await active(app.id)).toEqual([secret.digest]);
      expect(await store().apps.setSecretStatus(app.id, secret.id, 'inactive', T0 + 5, limits)).toBe('set');
      expect(await store().apps.listSecrets(app.id)).toEqual([{ ...secret, status: 'inactive', updatedAt: T0 + 5 }]);
      expect(await active(app.id)).toEqual([]);
      expect(await store().apps.setSecretStatus(app.id, secret.id, 'active', T0 + 6, limits)).toBe('set');
      expect(await active(app.id)).toEqual([secret.digest]);
    });

    it('keeps Decision 5\'s limits: at most maxSecrets secrets, at most maxActive of them active', async () => {
      const { app } = await seedApp(store());
      const [first, second, ...rest] = [1, 2, 3, 4, 5].map((n) => aSecret(app.id, { status: n <= 2 ? 'active' : 'inactive', createdAt: T0 + n }));
      expect(await store().apps.addSecret(aSecret(app.id, { status: 'active' }), { maxSecrets: 5, maxActive: 0 })).toBe('limit');
      for (const secret of [first!, second!]) expect(await store().apps.addSecret(secret, limits)).toBe('added');
      expect(await store().apps.addSecret(aSecret(app.id), limits)).toBe('limit');
      for (const secret of rest) expect(await store().apps.addSecret(secret, limits)).toBe('added');
      expect(await store().apps.addSecret(aSecret(app.id, { status: 'inactive' }), limits)).toBe('limit');
      expect(await store().apps.listSecrets(app.id)).toEqual([first, second, ...rest]);
      expect(await store().apps.setSecretStatus(app.id, rest[0]!.id, 'active', T0 + 9, limits)).toBe('limit');
      expect(await store().apps.setSecretStatus(app.id, first!.id, 'active', T0 + 9, limits)).toBe('set');
      expect(await store().apps.setSecretStatus(app.id, first!.id, 'inactive', T0 + 10, limits)).toBe('set');
      expect(await store().apps.setSecretStatus(app.id, rest[0]!.id, 'active', T0 + 11, limits)).toBe('set');
      expect((await active(app.id))?.sort()).toEqual([second!.digest, rest[0]!.digest].sort());
    });

    it('20 concurrent additions to an app holding 4 secrets: one is added, never more than the limit (5 apps at once)', async () => {
      const apps = await Promise.all([1, 2, 3, 4, 5].map(async () => (await seedApp(store())).app));
      for (const app of apps) {
        for (let n = 0; n < 4; n++) await store().apps.addSecret(aSecret(app.id, { status: 'inactive', createdAt: T0 + n }), limits);
      }
      const race = (appId: string) => Array.from({ length: 20 }, () => store().apps.addSecret(aSecret(appId, { status: 'inactive' }), limits));
      const outcomes = await Promise.all(apps.map((app) => Promise.all(race(app.id))));
      for (const [i, app] of apps.entries()) {
        expect(outcomes[i]!.filter((o) => o === 'added'), `app ${i}`).toHaveLength(1);
        expect(await store().apps.listSecrets(app.id), `app ${i}`).toHaveLength(5);
      }
    });

    it('10 concurrent activations of 5 inactive secrets: never more than 2 active', async () => {
      const { app } = await seedApp(store());
      const secrets = [1, 2, 3, 4, 5].map((n) => aSecret(app.id, { status: 'inactive', createdAt: T0 + n }));
      for (const secret of secrets) await store().apps.addSecret(secret, limits);
      const outcomes = await Promise.all([...secrets, ...secrets].map((s) => store().apps.setSecretStatus(app.id, s.id, 'active', T0 + 9, limits)));
      expect(await active(app.id)).toHaveLength(2);
      expect(outcomes.filter((o) => o === 'limit').length).toBeGreaterThanOrEqual(6);
      expect(outcomes.every((o) => o === 'set' || o === 'limit')).toBe(true);
    });

    it('10 concurrent additions of active secrets: never more than 2 active', async () => {
      const { app } = await seedApp(store());
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => store().apps.addSecret(aSecret(app.id, { status: 'active' }), limits)));
      expect(outcomes.filter((o) => o === 'added')).toHaveLength(2);
      expect(await active(app.id)).toHaveLength(2);
    });

    it('deletes only an inactive secret of the app', async () => {
      const { app } = await seedApp(store());
      const other = await seedApp(store());
      const active = aSecret(app.id);
      const inactive = aSecret(app.id, { status: 'inactive', createdAt: T0 + 1 });
      await store().apps.addSecret(active, limits);
      await store().apps.addSecret(inactive, limits);
      expect(await store().apps.deleteInactiveSecret(app.id, active.id)).toBe(false);
      expect(await store().apps.deleteInactiveSecret(other.app.id, inactive.id)).toBe(false);
      expect(await store().apps.deleteInactiveSecret(app.id, 'no-such-secret')).toBe(false);
      expect(await store().apps.listSecrets(app.id)).toEqual([active, inactive]);
      expect(await store().apps.deleteInactiveSecret(app.id, inactive.id)).toBe(true);
      expect(await store().apps.deleteInactiveSecret(app.id, inactive.id)).toBe(false);
      expect(await store().apps.listSecrets(app.id)).toEqual([active]);
    });
  });

  describe('company grants', () => {
    it('grants, reads back, and upserts keeping the creation time', async () => {
      const { company, app } = await seedApp(store());
      const grant = { appId: app.id, companyId: company.id, enabled: true, createdAt: T0, updatedAt: T0 };
      expect(await store().apps.getCompanyGrant(app.id, company.id)).toBeUndefined();
      await store().apps.grantCompany(grant);
      expect(await store().apps.getCompanyGrant(app.id, company.id)).toEqual(grant);
      await store().apps.grantCompany({ ...grant, enabled: false, createdAt: T0 + 50, updatedAt: T0 + 50 });
      expect(await store().apps.getCompanyGrant(app.id, company.id)).toEqual({ ...grant, enabled: false, updatedAt: T0 + 50 });
    });

    it('switches an existing grant on and off; false when there is none', async () => {
      const { company, app } = await seedApp(store());
      const guest = aCompany();
      await store().companies.create(guest);
      await store().apps.grantCompany({ appId: app.id, companyId: guest.id, enabled: true, createdAt: T0, updatedAt: T0 });
      expect(await store().apps.setCompanyGrant(app.id, guest.id, false, T0 + 1)).toBe(true);
      expect(await store().apps.getCompanyGrant(app.id, guest.id)).toMatchObject({ enabled: false, createdAt: T0, updatedAt: T0 + 1 });
      expect(await store().apps.setCompanyGrant(app.id, guest.id, true, T0 + 2)).toBe(true);
      expect(await store().apps.getCompanyGrant(app.id, guest.id)).toMatchObject({ enabled: true, updatedAt: T0 + 2 });
      expect(await store().apps.setCompanyGrant(app.id, company.id, true, T0 + 3)).toBe(false);
      expect(await store().apps.getCompanyGrant(app.id, company.id)).toBeUndefined();
    });
  });

  describe('token standing', () => {
    const nothing = { userId: null, connectionId: null, secretId: null };

    it('answers the state of every part a token depends on, in one call', async () => {
      const { company, app } = await seedApp(store());
      const user = aUser(company.id);
      await store().users.create(user);
      await store().apps.grantCompany({ appId: app.id, companyId: company.id, enabled: true, createdAt: T0, updatedAt: T0 });
      const connection = aConnection(app.id, company.id, { principalId: user.id });
      await store().connections.create(connection);
      const secret = aSecret(app.id);
      await store().apps.addSecret(secret, limits);
      const parts = { appId: app.id, companyId: company.id, userId: user.id, connectionId: connection.id, secretId: secret.id };
      expect(await store().apps.tokenStanding(parts)).toEqual({
        appEnabled: true, companyEnabled: true, companyGrantEnabled: true, userStatus: 'active', connectionRevoked: false, secretStatus: 'active',
      });

      await store().apps.update({ ...app, enabled: false, updatedAt: T0 + 1 });
      await store().companies.setEnabled(company.id, false);
      await store().apps.setCompanyGrant(app.id, company.id, false, T0 + 1);
      await store().users.setStatus(user.id, 'disabled', T0 + 1);
      await store().connections.revoke(connection.id, T0 + 1);
      await store().apps.setSecretStatus(app.id, secret.id, 'inactive', T0 + 1, limits);
      expect(await store().apps.tokenStanding(parts)).toEqual({
        appEnabled: false, companyEnabled: false, companyGrantEnabled: false, userStatus: 'disabled', connectionRevoked: true, secretStatus: 'inactive',
      });
    });

    it('answers null for parts not asked for, missing, or of another app or company', async () => {
      const { company, app } = await seedApp(store());
      const other = await seedApp(store());
      expect(await store().apps.tokenStanding({ appId: app.id, companyId: null, ...nothing })).toEqual({
        appEnabled: true, companyEnabled: null, companyGrantEnabled: null, userStatus: null, connectionRevoked: null, secretStatus: null,
      });
      expect(await store().apps.tokenStanding({ appId: 'no-such-app', companyId: 'no-such-company', ...nothing })).toMatchObject({
        appEnabled: null, companyEnabled: null, companyGrantEnabled: null,
      });
      const foreignUser = aUser(other.company.id);
      await store().users.create(foreignUser);
      const foreignConnection = aConnection(other.app.id, other.company.id);
      await store().connections.create(foreignConnection);
      const foreignSecret = aSecret(other.app.id);
      await store().apps.addSecret(foreignSecret, limits);
      expect(await store().apps.tokenStanding({
        appId: app.id, companyId: company.id, userId: foreignUser.id, connectionId: foreignConnection.id, secretId: foreignSecret.id,
      })).toEqual({
        appEnabled: true, companyEnabled: true, companyGrantEnabled: null, userStatus: null, connectionRevoked: null, secretStatus: null,
      });
    });
  });
}
