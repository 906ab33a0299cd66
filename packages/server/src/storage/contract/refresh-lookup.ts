/**
 * Storage contract: the one read behind a refresh (`connections.findRefresh`, docs/protocol.md
 * Decision 8: the presented value, its connection, and the current state of what the connection
 * stands on: the company's grant of the app, the user, the company) and the one read behind a
 * request-token conversion (`requestTokens.conversionContext`: the company, its grant, the
 * connection linked earlier), each as it is now.
 */
import { describe, expect, it } from 'vitest';
import { aCompany, aConnection, aRefreshToken, aUser, T0, seedApp, type StoreOf } from './fixtures.js';

export function refreshLookupContract(store: StoreOf): void {
  describe('connections.findRefresh', () => {
    it('answers the value, its connection, the company grant, the user and the company, as they are now', async () => {
      const { app } = await seedApp(store());
      const guest = aCompany({ geolocation: 'https://eu2.api.concursolutions.com' });
      await store().companies.create(guest);
      const user = aUser(guest.id);
      await store().users.create(user);
      const connection = aConnection(app.id, guest.id, { principalId: user.id });
      const token = aRefreshToken(connection.id, { supersededAt: T0 + 7 });
      await store().connections.create(connection);
      await store().connections.addRefreshToken(token);
      const find = () => store().connections.findRefresh(token.digest);

      // The company never had the app: no grant.
      expect(await find()).toEqual({ token, connection, companyGrantEnabled: null, userStatus: 'active', company: guest });
      await store().apps.grantCompany({ appId: app.id, companyId: guest.id, enabled: true, createdAt: T0, updatedAt: T0 });
      expect((await find())?.companyGrantEnabled).toBe(true);
      await store().apps.setCompanyGrant(app.id, guest.id, false, T0 + 1);
      expect((await find())?.companyGrantEnabled).toBe(false);

      await store().users.setStatus(user.id, 'disabled', T0 + 2);
      expect((await find())?.userStatus).toBe('disabled');
      await store().companies.setEnabled(guest.id, false);
      expect((await find())?.company).toEqual({ ...guest, enabled: false });
      await store().connections.revoke(connection.id, T0 + 3);
      expect((await find())?.connection).toEqual({ ...connection, revokedAt: T0 + 3 });
      expect(await store().connections.findRefresh('no-such-digest')).toBeUndefined();
    });

    it('answers no user for a company connection, and none for a user gone', async () => {
      const { company, app } = await seedApp(store());
      const companyConnection = aConnection(app.id, company.id, { principalType: 'company', principalId: company.id });
      const orphan = aConnection(app.id, company.id);
      const tokens = [aRefreshToken(companyConnection.id), aRefreshToken(orphan.id)];
      for (const c of [companyConnection, orphan]) await store().connections.create(c);
      for (const t of tokens) await store().connections.addRefreshToken(t);
      expect(await store().connections.findRefresh(tokens[0]!.digest)).toMatchObject({ connection: companyConnection, userStatus: null, company });
      expect(await store().connections.findRefresh(tokens[1]!.digest)).toMatchObject({ connection: orphan, userStatus: null, company });
    });

    it('conversionContext answers the company, its grant of the app and the linked connection, as they are now', async () => {
      const { company, app } = await seedApp(store());
      const connection = aConnection(app.id, company.id, { principalType: 'company', principalId: company.id });
      await store().connections.create(connection);
      const context = (connectionId: string | null = connection.id) => store().requestTokens.conversionContext(app.id, company.id, connectionId);

      const granted = (await store().apps.getCompanyGrant(app.id, company.id))?.enabled ?? null;
      expect(await context()).toEqual({ company, companyGrantEnabled: granted, connection });
      await store().apps.grantCompany({ appId: app.id, companyId: company.id, enabled: true, createdAt: T0, updatedAt: T0 });
      expect(await context(null)).toEqual({ company, companyGrantEnabled: true, connection: undefined });
      await store().apps.setCompanyGrant(app.id, company.id, false, T0 + 1);
      await store().companies.setEnabled(company.id, false);
      await store().connections.revoke(connection.id, T0 + 2);
      expect(await context()).toEqual({ company: { ...company, enabled: false }, companyGrantEnabled: false, connection: { ...connection, revokedAt: T0 + 2 } });
      expect(await context('no-such-connection')).toEqual({ company: { ...company, enabled: false }, companyGrantEnabled: false, connection: undefined });
      expect(await store().requestTokens.conversionContext(app.id, 'no-such-company', null))
        .toEqual({ company: undefined, companyGrantEnabled: null, connection: undefined });
    });
  });
}
