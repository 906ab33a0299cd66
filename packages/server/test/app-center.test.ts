/**
 * The App Center over real HTTP (docs/protocol.md §12 "App Center"): a partner (company P) lists
 * its app with a Connect URL; the administrator of company C sees it, clicks Connect, and the
 * partner converts the request token in the redirect with the password grant, getting a company
 * token for C. Each side sees only its own part; unlisted, disabled and own apps answer like ids
 * that do not exist; C can withdraw the app again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, expectConcurError, makeTenant, type Tenant } from './admin-helpers.js';
import { postToken, startTestServer, type TestServer } from './helpers.js';

const unknownId = '00000000-0000-4000-8000-0000000000aa';
const connectUrl = 'https://partner.example/concur/connect?from=concur&id=spoofed';

describe('App Center', () => {
  let t: TestServer;
  let partner: Tenant;
  let customer: Tenant;
  let asPartner: AdminClient;
  let asCustomer: AdminClient;

  /** Converts the request token of a redirect URL as the partner does: the password grant, credtype=authtoken. */
  async function convertAsPartner(redirectUrl: string) {
    const query = new URL(redirectUrl).searchParams;
    return postToken(t.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: partner.app.clientId, client_secret: partner.app.clientSecret,
      username: query.get('id')!, password: query.get('requestToken')!,
    });
  }

  async function connect(client: AdminClient = asCustomer, appId = partner.app.clientId) {
    return client.post(`/app-center/${appId}/connect`);
  }

  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await startTestServer();
    customer = await makeTenant(t, 'Customer Inc', 'customer-admin', t.companyId);
    partner = await makeTenant(t, 'Partner Co', 'partner-admin');
    asPartner = new AdminClient(t.url);
    expect((await asPartner.signIn('partner-admin')).status).toBe(200);
    asCustomer = new AdminClient(t.url);
    expect((await asCustomer.signIn('customer-admin')).status).toBe(200);
  });
  afterAll(() => t.close());

  describe('listing an app', () => {
    it('refuses a Connect URL that is not https (http only on loopback), has credentials or a fragment', async () => {
      for (const bad of ['http://partner.example/connect', 'javascript:alert(1)', 'https://user:pw@partner.example/', 'https://partner.example/#x', 'connect', 'ftp://partner.example/']) {
        const body = expectConcurError(await asPartner.patch(`/apps/${partner.app.clientId}`, { connectUrl: bad }), 400);
        expect(body.fields?.map((f) => f.field), bad).toEqual(['connectUrl']);
      }
      for (const good of ['http://127.0.0.1:8080/connect', 'http://localhost/c', 'http://[::1]:9/c', connectUrl]) {
        expect((await asPartner.patch(`/apps/${partner.app.clientId}`, { connectUrl: good })).status, good).toBe(200);
      }
      const cleared = await asPartner.patch(`/apps/${partner.app.clientId}`, { connectUrl: '' });
      expect(cleared.body.connectUrl).toBeNull();
    });

    it('needs a Connect URL and the password grant for a listed app, on create and on edit, and saves nothing otherwise', async () => {
      const noUrl = expectConcurError(await asPartner.patch(`/apps/${partner.app.clientId}`, { listed: true }), 400);
      expect(noUrl.fields).toEqual([{ field: 'connectUrl', message: 'a listed app needs a Connect URL' }]);
      expect((await t.server.core.store.apps.get(partner.app.clientId))!.listed).toBe(false);
      const created = expectConcurError(await asPartner.post('/apps', {
        name: 'No password', description: 'x', grants: ['client_credentials'], scopes: ['openid'], listed: true, connectUrl,
      }), 400);
      expect(created.fields?.map((f) => f.field)).toEqual(['grants']);
      expect((await asPartner.get('/apps?filter=No%20password')).body.total).toBe(0);

      const listed = await asPartner.patch(`/apps/${partner.app.clientId}`, { listed: true, connectUrl });
      expect(listed.status).toBe(200);
      expect(listed.body).toMatchObject({ listed: true, connectUrl });
      // Taking away what Connect needs from a listed app is refused too.
      expect(expectConcurError(await asPartner.patch(`/apps/${partner.app.clientId}`, { grants: ['client_credentials'] }), 400).fields?.[0]?.field).toBe('grants');
      expect(expectConcurError(await asPartner.patch(`/apps/${partner.app.clientId}`, { connectUrl: null }), 400).fields?.[0]?.field).toBe('connectUrl');
      expect((await asPartner.get(`/apps/${partner.app.clientId}`)).body).toMatchObject({ listed: true, connectUrl, connectedCompanies: 0 });
    });

    it('creates a listed app in one step; an app is unlisted by default', async () => {
      const plain = await asCustomer.post('/apps', { name: 'Plain', description: 'x', grants: ['password'], scopes: ['openid'] });
      expect(plain.status).toBe(201);
      expect(plain.body.app).toMatchObject({ listed: false, connectUrl: null });
    });
  });

  describe('for the connecting company', () => {
    it('lists the listed, enabled apps of other companies, without their secrets, grants or owners\' ids', async () => {
      const page = await asCustomer.get('/app-center');
      expect(page.status).toBe(200);
      expect(page.headers.get('concur-correlationid')).toBeTruthy();
      expect(page.body).toMatchObject({ total: 1, offset: 0, limit: 50 });
      expect(page.body.items).toEqual([{
        clientId: partner.app.clientId, name: 'Partner Co App', description: 'the app of Partner Co', companyName: 'Partner Co',
        connectable: true, connectUrl, scopes: expect.any(Array), connected: false, activeConnections: 0,
      }]);
      expect(JSON.stringify(page.body)).not.toContain(partner.companyId);
      // The partner does not see its own app in its App Center.
      expect((await asPartner.get('/app-center')).body).toMatchObject({ total: 0, items: [] });
      expectConcurError(await asCustomer.get('/app-center?limit=0'), 400);
    });

    it('connects: the redirect URL carries the company, a request token and the administrator, keeping the URL\'s own query', async () => {
      const answer = await connect();
      expect(answer.status).toBe(200);
      const url = new URL(answer.body.redirectUrl);
      expect(`${url.origin}${url.pathname}`).toBe('https://partner.example/concur/connect');
      expect([...url.searchParams.keys()].sort()).toEqual(['from', 'id', 'requestToken', 'userID', 'userId']);
      expect(url.searchParams.get('from')).toBe('concur');
      expect(url.searchParams.get('id')).toBe(customer.companyId);
      expect(url.searchParams.get('userID')).toBe(customer.adminId);
      expect(url.searchParams.get('userId')).toBe(customer.adminId);
      expect(url.searchParams.get('requestToken')).toMatch(/\S{20,}/);
      expect(answer.body).toMatchObject({ clientId: partner.app.clientId, name: 'Partner Co App', expiresAt: expect.any(String) });

      // The partner converts it: a company token for the connecting company, not for itself.
      const converted = await convertAsPartner(answer.body.redirectUrl);
      expect(converted.status).toBe(200);
      const me = await fetch(`${t.url}/profile/v1/me`, bearer(converted.body.access_token));
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ id: customer.companyId, name: customer.companyName, meta: { principalType: 'company' } });
      // And refreshes it like any company connection.
      const refreshed = await postToken(t.url, {
        grant_type: 'refresh_token', client_id: partner.app.clientId, client_secret: partner.app.clientSecret, refresh_token: converted.body.refresh_token,
      });
      expect(refreshed.status).toBe(200);

      const listed = (await asCustomer.get('/app-center')).body.items[0];
      expect(listed).toMatchObject({ connected: true, activeConnections: 1 });
    });

    it('audits the connect without the request token', async () => {
      const answer = await connect();
      const token = new URL(answer.body.redirectUrl).searchParams.get('requestToken')!;
      const events = (await asCustomer.get('/audit?action=app-center.connected')).body.items;
      expect(events[0]).toMatchObject({
        action: 'app-center.connected', appId: partner.app.clientId, principalId: customer.companyId,
        actor: { type: 'user', id: customer.adminId }, detail: { userId: customer.adminId, ownerCompanyId: partner.companyId, connectHost: 'partner.example' },
      });
      const everything = JSON.stringify((await asCustomer.get('/audit?limit=200')).body) + JSON.stringify((await asPartner.get('/audit?limit=200')).body);
      expect(everything).not.toContain(token);
      expect(JSON.stringify(t.logs)).not.toContain(token);
      // A new connect replaced that token: it no longer converts.
      expect((await convertAsPartner(answer.body.redirectUrl)).status).toBe(200);
      expect((await convertAsPartner((await connect()).body.redirectUrl)).status).toBe(200);
      expect((await convertAsPartner(answer.body.redirectUrl)).body.code).toBe(136);
    });

    it('works with an admin token (Bearer) too, and needs the console\'s CSRF token with the session', async () => {
      const withBearer = new AdminClient(t.url);
      expect((await withBearer.useBearer('customer-admin')).status).toBe(200);
      expect((await connect(withBearer)).status).toBe(200);
      expect((await withBearer.get('/app-center')).body.total).toBe(1);
      const noCsrf = await asCustomer.request('POST', `/admin/api/app-center/${partner.app.clientId}/connect`, undefined, { csrf: false });
      expect(expectConcurError(noCsrf, 403).code).toBe(403);
      const wrongCsrf = await asCustomer.request('DELETE', `/admin/api/app-center/${partner.app.clientId}/connection`, undefined, { csrf: 'nope' });
      expectConcurError(wrongCsrf, 403);
      expect((await new AdminClient(t.url).get('/app-center')).status).toBe(401);
      expect((await new AdminClient(t.url).post(`/app-center/${partner.app.clientId}/connect`)).status).toBe(401);
    });

    it('sees the partner\'s app only through the App Center: not its details, secrets or connections', async () => {
      for (const path of ['', '/secrets', '/connections']) {
        expect(expectConcurError(await asCustomer.get(`/apps/${partner.app.clientId}${path}`), 404).error_description, path).toBe('app not found');
      }
      expect((await asCustomer.get('/apps')).body.items.map((a: { clientId: string }) => a.clientId)).not.toContain(partner.app.clientId);
      expect(expectConcurError(await asCustomer.patch(`/apps/${partner.app.clientId}`, { listed: false }), 404).code).toBe(404);
    });
  });

  describe('for the partner', () => {
    it('sees how many companies connected its app, not who they are, their users or their connections', async () => {
      const details = (await asPartner.get(`/apps/${partner.app.clientId}`)).body;
      expect(details.connectedCompanies).toBe(1);
      expect(JSON.stringify(details)).not.toContain(customer.companyId);
      const connections = await asPartner.get(`/apps/${partner.app.clientId}/connections`);
      expect(connections.body.total).toBe(0);
      const users = (await asPartner.get('/users')).body.items.map((u: { loginId: string }) => u.loginId);
      expect(users).toEqual(['partner-admin']);
      expect(expectConcurError(await asPartner.get(`/apps/${customer.app.clientId}`), 404).code).toBe(404);
      const audit = JSON.stringify((await asPartner.get('/audit?limit=200')).body);
      expect(audit).not.toContain('customer-admin');
      expect(audit).not.toContain('app-center.connected');
    });

    it('cannot connect its own app through the App Center', async () => {
      const own = expectConcurError(await connect(asPartner), 404);
      expect(own.error_description).toBe('no app in the App Center has this App ID');
    });
  });

  describe('refusals', () => {
    it('answers an unlisted, disabled or unknown app, or one of a disabled company, exactly like an id that does not exist', async () => {
      const unknown = expectConcurError(await connect(asCustomer, unknownId), 404);
      expect(expectConcurError(await connect(asCustomer, 'not-a-uuid'), 404)).toEqual(unknown);
      // The customer's own test app of another tenant is not listed.
      const other = await makeTenant(t, 'Other Ltd', 'other-admin');
      const asOther = new AdminClient(t.url);
      await asOther.signIn('other-admin');
      expect(expectConcurError(await connect(asOther, customer.app.clientId), 404)).toEqual(unknown);
      expect(expectConcurError(await connect(asCustomer, other.app.clientId), 404)).toEqual(unknown);
      const grantsBefore = await t.server.core.store.apps.getCompanyGrant(other.app.clientId, customer.companyId);
      expect(grantsBefore).toBeUndefined();

      // Disabled: gone from the App Center and refused.
      expect((await asPartner.patch(`/apps/${partner.app.clientId}`, { enabled: false })).status).toBe(200);
      expect((await asOther.get('/app-center')).body.total).toBe(0);
      expect(expectConcurError(await connect(asOther), 404)).toEqual(unknown);
      expect((await asPartner.patch(`/apps/${partner.app.clientId}`, { enabled: true })).status).toBe(200);

      // Unlisted: likewise.
      expect((await asPartner.patch(`/apps/${partner.app.clientId}`, { listed: false })).status).toBe(200);
      expect((await asOther.get('/app-center')).body.total).toBe(0);
      expect(expectConcurError(await connect(asOther), 404)).toEqual(unknown);
      expect((await asPartner.patch(`/apps/${partner.app.clientId}`, { listed: true })).status).toBe(200);

      // The owner company disabled: likewise.
      await t.server.core.store.companies.setEnabled(partner.companyId, false);
      try {
        expect((await asOther.get('/app-center')).body.total).toBe(0);
        expect(expectConcurError(await connect(asOther), 404)).toEqual(unknown);
      } finally {
        await t.server.core.store.companies.setEnabled(partner.companyId, true);
      }
      expect(await t.server.core.store.apps.getCompanyGrant(partner.app.clientId, other.companyId)).toBeUndefined();
      expect((await connect(asOther)).status).toBe(200);
    });

    it('takes no loginId from an administrator (only the operator names whom to connect as)', async () => {
      const answer = await asCustomer.post(`/app-center/${partner.app.clientId}/connect`, { loginId: 'customer-admin' });
      expect(expectConcurError(answer, 400).fields?.[0]?.field).toBe('loginId');
      expectConcurError(await asCustomer.post(`/app-center/${partner.app.clientId}/connect`, { extra: 1 }), 400);
    });
  });

  describe('withdrawing an app', () => {
    it('disables it for the company (53), revokes the company\'s connections, ends its tokens; Connect restores it', async () => {
      const converted = await convertAsPartner((await connect()).body.redirectUrl);
      expect(converted.status).toBe(200);
      const pending = (await connect()).body.redirectUrl as string;

      const withdrawn = await asCustomer.delete(`/app-center/${partner.app.clientId}/connection`);
      expect(withdrawn.status).toBe(200);
      expect(withdrawn.body).toMatchObject({ clientId: partner.app.clientId, connected: false, revokedConnections: expect.any(Number) });
      expect(withdrawn.body.revokedConnections).toBeGreaterThanOrEqual(1);

      expect((await fetch(`${t.url}/profile/v1/me`, bearer(converted.body.access_token))).status).toBe(401);
      const refresh = await postToken(t.url, {
        grant_type: 'refresh_token', client_id: partner.app.clientId, client_secret: partner.app.clientSecret, refresh_token: converted.body.refresh_token,
      });
      expect(refresh.status).not.toBe(200);
      expect((await convertAsPartner(pending)).body.code).toBe(53);
      expect((await asCustomer.get('/app-center')).body.items[0]).toMatchObject({ connected: false, activeConnections: 0 });
      expect((await asPartner.get(`/apps/${partner.app.clientId}`)).body.connectedCompanies).toBe(1); // "Other Ltd" only
      const events = (await asCustomer.get('/audit?action=app-center.disconnected')).body.items;
      expect(events[0]).toMatchObject({ appId: partner.app.clientId, detail: { revokedConnections: withdrawn.body.revokedConnections, wasEnabled: true } });

      // The partner's own connection of its app is untouched: it is the partner's.
      expect((await t.server.core.store.apps.getCompanyGrant(partner.app.clientId, partner.companyId))!.enabled).toBe(true);

      const again = await convertAsPartner((await connect()).body.redirectUrl);
      expect(again.status).toBe(200);
      expect((await asCustomer.get('/app-center')).body.items[0]).toMatchObject({ connected: true, activeConnections: 1 });
    });

    it('keeps an app the company connected in its App Center after the partner unlists it, to be withdrawn, not connected', async () => {
      expect((await asPartner.patch(`/apps/${partner.app.clientId}`, { listed: false })).status).toBe(200);
      try {
        const [entry] = (await asCustomer.get('/app-center')).body.items;
        expect(entry).toMatchObject({ clientId: partner.app.clientId, connectable: false, connectUrl: null, connected: true, activeConnections: 1 });
        expect(expectConcurError(await connect(), 404).error_description).toBe('no app in the App Center has this App ID');
        expect((await asCustomer.delete(`/app-center/${partner.app.clientId}/connection`)).body).toMatchObject({ connected: false, revokedConnections: 1 });
        // Withdrawn and no longer offered: gone from the App Center.
        expect((await asCustomer.get('/app-center')).body.items).toEqual([]);
      } finally {
        expect((await asPartner.patch(`/apps/${partner.app.clientId}`, { listed: true })).status).toBe(200);
      }
    });

    it('answers not found for an app the company never connected, its own app, or an unknown id, and changes nothing', async () => {
      const body = expectConcurError(await asPartner.delete(`/app-center/${customer.app.clientId}/connection`), 404);
      expect(body.error_description).toBe('your company has not connected an app of another company with this App ID');
      expect(expectConcurError(await asPartner.delete(`/app-center/${partner.app.clientId}/connection`), 404)).toEqual(body);
      expect(expectConcurError(await asPartner.delete(`/app-center/${unknownId}/connection`), 404)).toEqual(body);
      expect((await t.server.core.store.apps.getCompanyGrant(partner.app.clientId, partner.companyId))!.enabled).toBe(true);
    });
  });
});
