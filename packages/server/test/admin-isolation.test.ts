/**
 * Tenant isolation of the admin API: an administrator of company A tries company B's
 * app, secret, connection and user ids on every endpoint. Each answers 404 exactly like an id
 * that does not exist, says nothing about B, and changes nothing of B.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, expectConcurError, makeTenant, type Tenant } from './admin-helpers.js';
import { postToken, startTestServer, type TestServer } from './helpers.js';

const unknownId = '00000000-0000-4000-8000-0000000000aa';

describe('admin API: tenant isolation', () => {
  let t: TestServer;
  let a: Tenant;
  let b: Tenant;
  let asA: AdminClient;
  let asABearer: AdminClient;
  let bSecretId: string;
  let bConnectionId: string;
  let bRefreshToken: string;
  let aSecretId: string;
  let aConnectionId: string;

  /** What B looks like in the store, to prove nothing changed. */
  async function snapshotOfB() {
    const { store } = t.server.core;
    const app = await store.apps.get(b.app.clientId);
    return {
      app, secrets: await store.apps.listSecrets(b.app.clientId),
      connections: await store.connections.listByApp(b.app.clientId),
      users: await store.users.listByCompany(b.companyId),
    };
  }

  async function convert(tenant: Tenant, client: AdminClient) {
    const { requestToken } = (await client.post('/request-tokens', { appId: tenant.app.clientId })).body;
    const answer = await postToken(t.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: tenant.app.clientId, client_secret: tenant.app.clientSecret,
      username: tenant.companyId, password: requestToken,
    });
    expect(answer.status).toBe(200);
    return answer.body.refresh_token as string;
  }

  beforeAll(async () => {
    t = await startTestServer();
    a = await makeTenant(t, 'Alpha Corp', 'alpha-admin', t.companyId);
    b = await makeTenant(t, 'Bravo Ltd', 'bravo-admin');
    asA = new AdminClient(t.url);
    await asA.signIn('alpha-admin');
    asABearer = new AdminClient(t.url);
    await asABearer.useBearer('alpha-admin');
    const asB = new AdminClient(t.url);
    await asB.signIn('bravo-admin');
    bSecretId = (await asB.post(`/apps/${b.app.clientId}/secrets`)).body.id;
    bRefreshToken = await convert(b, asB);
    bConnectionId = (await asB.get(`/apps/${b.app.clientId}/connections`)).body.items[0].id;
    await asB.post('/users', { loginId: 'bravo-user', password: 'bravo password' });
    aSecretId = (await asA.get(`/apps/${a.app.clientId}/secrets`)).body[0].id;
    await convert(a, asA);
    aConnectionId = (await asA.get(`/apps/${a.app.clientId}/connections`)).body.items[0].id;
  });
  afterAll(() => t.close());

  /** Every endpoint that takes an id, with B's ids (and A's app with B's sub-ids). */
  const attempts = (): [string, string, unknown?][] => [
    ['GET', `/apps/${b.app.clientId}`],
    ['PATCH', `/apps/${b.app.clientId}`, { name: 'taken over', enabled: false }],
    ['GET', `/apps/${b.app.clientId}/secrets`],
    ['POST', `/apps/${b.app.clientId}/secrets`],
    ['PATCH', `/apps/${b.app.clientId}/secrets/${bSecretId}`, { status: 'active' }],
    ['DELETE', `/apps/${b.app.clientId}/secrets/${bSecretId}`],
    ['PATCH', `/apps/${a.app.clientId}/secrets/${bSecretId}`, { status: 'active' }],
    ['DELETE', `/apps/${a.app.clientId}/secrets/${bSecretId}`],
    ['GET', `/apps/${b.app.clientId}/connections`],
    ['DELETE', `/apps/${b.app.clientId}/connections/${bConnectionId}`],
    ['DELETE', `/apps/${a.app.clientId}/connections/${bConnectionId}`],
    ['POST', '/request-tokens', { appId: b.app.clientId }],
    ['PATCH', `/users/${b.adminId}`, { status: 'disabled' }],
    ['POST', `/users/${b.adminId}/unlock`],
  ];

  for (const via of ['session', 'bearer'] as const) {
    it(`answers 404 to every endpoint given another company's ids (${via}), and changes nothing`, async () => {
      const client = via === 'session' ? asA : asABearer;
      const before = await snapshotOfB();
      for (const [method, path, body] of attempts()) {
        const answer = await client.request(method, `/admin/api${path}`, body);
        const error = expectConcurError(answer, 404);
        expect(error.code, `${method} ${path}`).toBe(404);
        const text = JSON.stringify(answer.body);
        for (const secret of [b.companyName, b.app.clientId, b.companyId, 'Bravo', bSecretId, bConnectionId]) {
          expect(text, `${method} ${path} leaks ${secret}`).not.toContain(secret);
        }
        // The same answer as for an id that does not exist.
        const unknown = await client.request(method, `/admin/api${path.replaceAll(b.app.clientId, unknownId).replaceAll(bSecretId, unknownId)
          .replaceAll(bConnectionId, unknownId).replaceAll(b.adminId, unknownId)}`, body && JSON.parse(JSON.stringify(body).replaceAll(b.app.clientId, unknownId)));
        expect(unknown.status, `${method} ${path}`).toBe(404);
      }
      expect(await snapshotOfB()).toEqual(before);
      const refresh = await postToken(t.url, { grant_type: 'refresh_token', client_id: b.app.clientId, client_secret: b.app.clientSecret, refresh_token: bRefreshToken });
      expect(refresh.status).toBe(200);
    });
  }

  it('lists only its own apps, users, connections and audit events', async () => {
    const apps = (await asA.get('/apps?limit=200')).body;
    expect(apps.items.map((app: { clientId: string }) => app.clientId)).toEqual([a.app.clientId]);
    expect((await asA.get(`/apps?filter=${b.app.clientId}`)).body.total).toBe(0);
    expect((await asA.get('/apps?filter=Bravo')).body.total).toBe(0);
    const users = (await asA.get('/users')).body.items.map((u: { loginId: string }) => u.loginId);
    expect(users).toEqual(['alpha-admin']);
    const connections = (await asA.get(`/apps/${a.app.clientId}/connections`)).body.items;
    expect(connections.map((c: { id: string }) => c.id)).toEqual([aConnectionId]);

    const audit = (await asA.get('/audit?limit=200')).body;
    expect(audit.total).toBeGreaterThan(0);
    const text = JSON.stringify(audit);
    for (const secret of [b.app.clientId, b.companyId, b.adminId, bSecretId, 'bravo']) expect(text).not.toContain(secret);
    expect((await asA.get(`/audit?appId=${b.app.clientId}`)).body.total).toBe(0);
    expect((await asA.get(`/audit?principalId=${b.adminId}`)).body.total).toBe(0);
    expect((await asA.get(`/audit?principalId=${b.companyId}`)).body.total).toBe(0);
  });

  it('still lets the administrator change their own company', async () => {
    expect((await asA.patch(`/apps/${a.app.clientId}/secrets/${aSecretId}`, { status: 'active' })).status).toBe(200);
    expect((await asA.delete(`/apps/${a.app.clientId}/connections/${aConnectionId}`)).status).toBe(204);
  });
});
