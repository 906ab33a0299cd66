/**
 * Storage contract: the App Center (docs/protocol.md §12 "App Center"): listed apps round-trip,
 * a company's App Center holds only the listed, enabled apps of other, enabled companies with its
 * own grant of each, and withdrawing an app revokes exactly the company's connections of it.
 */
import { describe, expect, it } from 'vitest';
import { aCompany, aConnection, anApp, T0, type StoreOf } from './fixtures.js';
import type { Company } from '../types.js';

export function appCenterContract(store: StoreOf): void {
  describe('app center', () => {
    const companyNamed = async (name: string, over: Partial<Company> = {}) => {
      const company = aCompany({ name, ...over });
      await store().companies.create(company);
      return company;
    };

    it('round-trips listed and connectUrl through create and update', async () => {
      const owner = await companyNamed('Partner');
      const app = anApp(owner.id, { listed: true, connectUrl: 'https://partner.example/connect?from=concur' });
      await store().apps.create(app);
      expect(await store().apps.get(app.id)).toEqual(app);
      const unlisted = { ...app, listed: false, connectUrl: null, updatedAt: T0 + 9 };
      await store().apps.update(unlisted);
      expect(await store().apps.get(app.id)).toEqual(unlisted);
      const plain = anApp(owner.id);
      await store().apps.create(plain);
      expect(await store().apps.get(plain.id)).toMatchObject({ listed: false, connectUrl: null });
    });

    it('lists the connectable apps of other companies and the ones the viewer enabled, by name, paged, with the viewer\'s grant', async () => {
      const viewer = await companyNamed('Viewer');
      const partner = await companyNamed('Partner Inc');
      const closed = await companyNamed('Closed Co', { enabled: false });
      const beta = anApp(partner.id, { name: 'beta sync', listed: true, connectUrl: 'https://p.example/b' });
      const alpha = anApp(partner.id, { name: 'Alpha Sync', listed: true, connectUrl: 'https://p.example/a' });
      const gamma = anApp(partner.id, { name: 'Gamma', listed: true, connectUrl: 'https://p.example/g' });
      const hidden = [
        anApp(partner.id, { name: 'Aaa unlisted' }),
        anApp(partner.id, { name: 'Aaa disabled', listed: true, connectUrl: 'https://p.example/d', enabled: false }),
        anApp(closed.id, { name: 'Aaa of a disabled company', listed: true, connectUrl: 'https://c.example/' }),
        anApp(viewer.id, { name: 'Aaa own listed app', listed: true, connectUrl: 'https://v.example/' }),
      ];
      for (const app of [beta, alpha, gamma, ...hidden]) await store().apps.create(app);
      await store().apps.grantCompany({ appId: beta.id, companyId: viewer.id, enabled: true, createdAt: T0, updatedAt: T0 });
      await store().apps.grantCompany({ appId: gamma.id, companyId: viewer.id, enabled: false, createdAt: T0, updatedAt: T0 });

      const all = await store().apps.listAppCenter(viewer.id, { offset: 0, limit: 10 });
      expect(all.total).toBe(3);
      expect(all.items).toEqual([
        { app: alpha, ownerName: 'Partner Inc', connectable: true, grantEnabled: null },
        { app: beta, ownerName: 'Partner Inc', connectable: true, grantEnabled: true },
        { app: gamma, ownerName: 'Partner Inc', connectable: true, grantEnabled: false },
      ]);
      expect(await store().apps.listAppCenter(viewer.id, { offset: 1, limit: 1 })).toEqual({ total: 3, items: [all.items[1]] });

      // Apps the viewer has enabled stay in its App Center when they can no longer be connected (to be withdrawn), only those.
      for (const app of hidden.slice(0, 3)) {
        await store().apps.grantCompany({ appId: app.id, companyId: viewer.id, enabled: true, createdAt: T0, updatedAt: T0 });
      }
      const withConnected = await store().apps.listAppCenter(viewer.id, { offset: 0, limit: 10 });
      expect(withConnected.total).toBe(6);
      expect(withConnected.items.slice(0, 3)).toEqual([
        { app: hidden[1], ownerName: 'Partner Inc', connectable: false, grantEnabled: true },
        { app: hidden[2], ownerName: 'Closed Co', connectable: false, grantEnabled: true },
        { app: hidden[0], ownerName: 'Partner Inc', connectable: false, grantEnabled: true },
      ]);
      await store().apps.setCompanyGrant(hidden[0]!.id, viewer.id, false, T0 + 1);
      expect((await store().apps.listAppCenter(viewer.id, { offset: 0, limit: 10 })).total).toBe(5);
      // The owner does not see its own listed apps; the viewer's listed app shows to the partner.
      const partners = await store().apps.listAppCenter(partner.id, { offset: 0, limit: 10 });
      expect(partners.items.map((e) => e.app.id)).toEqual([hidden[3]!.id]);
    });

    it('counts the companies other than the owner that have the app enabled', async () => {
      const owner = await companyNamed('Owner');
      const app = anApp(owner.id, { listed: true, connectUrl: 'https://o.example/' });
      await store().apps.create(app);
      await store().apps.grantCompany({ appId: app.id, companyId: owner.id, enabled: true, createdAt: T0, updatedAt: T0 });
      expect(await store().apps.countConnectedCompanies(app.id)).toBe(0);
      const [a, b] = [await companyNamed('A'), await companyNamed('B')];
      for (const c of [a, b]) await store().apps.grantCompany({ appId: app.id, companyId: c.id, enabled: true, createdAt: T0, updatedAt: T0 });
      expect(await store().apps.countConnectedCompanies(app.id)).toBe(2);
      await store().apps.setCompanyGrant(app.id, b.id, false, T0 + 1);
      expect(await store().apps.countConnectedCompanies(app.id)).toBe(1);
      expect(await store().apps.countConnectedCompanies('no-such-app')).toBe(0);
    });

    it('revokes every live connection of an app within one company, and nothing else', async () => {
      const owner = await companyNamed('Owner');
      const guest = await companyNamed('Guest');
      const app = anApp(owner.id);
      const otherApp = anApp(owner.id);
      for (const a of [app, otherApp]) await store().apps.create(a);
      const companyConnection = aConnection(app.id, guest.id, { principalType: 'company', principalId: guest.id });
      const userConnection = aConnection(app.id, guest.id);
      const alreadyRevoked = aConnection(app.id, guest.id, { revokedAt: T0 + 1 });
      const ownersConnection = aConnection(app.id, owner.id, { principalType: 'company', principalId: owner.id });
      const otherAppsConnection = aConnection(otherApp.id, guest.id, { principalType: 'company', principalId: guest.id });
      for (const c of [companyConnection, userConnection, alreadyRevoked, ownersConnection, otherAppsConnection]) {
        await store().connections.create(c);
      }
      expect(await store().connections.revokeByCompany(app.id, guest.id, T0 + 50)).toBe(2);
      expect((await store().connections.get(companyConnection.id))!.revokedAt).toBe(T0 + 50);
      expect((await store().connections.get(userConnection.id))!.revokedAt).toBe(T0 + 50);
      expect((await store().connections.get(alreadyRevoked.id))!.revokedAt).toBe(T0 + 1);
      expect((await store().connections.get(ownersConnection.id))!.revokedAt).toBeNull();
      expect((await store().connections.get(otherAppsConnection.id))!.revokedAt).toBeNull();
      expect(await store().connections.revokeByCompany(app.id, guest.id, T0 + 60)).toBe(0);
    });
  });
}
