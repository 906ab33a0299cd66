/**
 * The admin API over real HTTP on loopback: sign-in and sessions (cookies, CSRF, idle
 * timeout, lockout), Bearer tokens, every endpoint with good and bad input (Concur error format,
 * nothing changed), and the audit trail of admin actions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createUser, ManualClock } from 'tessera-server';
import { AdminClient, adminPassword, expectConcurError, makeAdmin } from './admin-helpers.js';
import { defaultScopes, postToken, startTestServer, type TestServer } from './helpers.js';

const newApp = {
  name: 'Acme Expense Sync', description: 'Nightly expense export', stage: 'test', appType: 'ws-client',
  grants: ['password', 'refresh_token', 'client_credentials'], scopes: ['openid', 'company.read'],
};

async function clientCredentials(t: TestServer, clientId: string, clientSecret: string) {
  return postToken(t.url, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
}

describe('admin API: sign-in, sessions and CSRF', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await makeAdmin(t, 'wsadmin');
    await createUser(t.server.core, { companyId: t.companyId, loginId: 'plainuser', password: adminPassword });
  });
  afterAll(() => t.close());

  it('hands out a sign-in CSRF token bound to an HttpOnly, SameSite=Strict cookie', async () => {
    const client = new AdminClient(t.url);
    const state = await client.get('/session');
    expect(state.status).toBe(200);
    expect(state.body).toEqual({ signedIn: false, csrfToken: expect.any(String) });
    const cookie = state.headers.getSetCookie().find((c) => c.startsWith('tessera_sign_in='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/admin/);
    expect(cookie).not.toMatch(/Secure/);
    expect(state.headers.get('cache-control')).toBe('no-store');
  });

  it('signs a Web Services Administrator in with an HttpOnly, SameSite=Strict session cookie', async () => {
    const client = new AdminClient(t.url);
    const answer = await client.signIn('wsadmin');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      signedIn: true, user: { loginId: 'wsadmin' }, company: { id: t.companyId, name: 'Test Company' },
      csrfToken: expect.any(String), idleTimeoutSeconds: 1800,
    });
    const cookie = answer.headers.getSetCookie().find((c) => c.startsWith('tessera_admin='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect((await client.get('/session')).body).toMatchObject({ signedIn: true, csrfToken: answer.body.csrfToken });
    expect((await client.get('/apps')).status).toBe(200);
  });

  it('stores the session only as a keyed digest', async () => {
    const client = new AdminClient(t.url);
    await client.signIn('wsadmin');
    const raw = client.cookie('tessera_admin')!;
    const { core } = t.server;
    const now = core.clock.now();
    expect(await core.store.sessions.touch(raw, now, 0)).toBeUndefined();
    expect(await core.store.sessions.touch(core.serverKeys.digest(raw), now, 0)).toMatchObject({ companyId: t.companyId });
  });

  it('refuses a sign-in without the CSRF token of its cookie', async () => {
    const client = new AdminClient(t.url);
    await client.get('/session');
    const noToken = await client.request('POST', '/admin/api/session', { loginId: 'wsadmin', password: adminPassword }, { csrf: false });
    expect(expectConcurError(noToken, 403).error_description).toMatch(/CSRF/);
    const wrong = await client.request('POST', '/admin/api/session', { loginId: 'wsadmin', password: adminPassword }, { csrf: 'forged' });
    expectConcurError(wrong, 403);
    expect(client.cookie('tessera_admin')).toBeUndefined();
  });

  it('answers wrong passwords, non-administrators and bad bodies in the Concur format', async () => {
    const client = new AdminClient(t.url);
    expect(expectConcurError(await client.signIn('wsadmin', 'wrong password'), 400)).toMatchObject({ code: 5, error: 'invalid_grant' });
    expect(expectConcurError(await client.signIn('nobody', 'wrong password'), 400).code).toBe(5);
    expect(expectConcurError(await client.signIn('plainuser'), 403).error_description).toMatch(/Web Services Administrator/);
    await client.signIn('wsadmin', 'x'); // refreshes the sign-in CSRF token
    await t.server.core.store.users.clearFailedLogins((await t.server.core.store.users.findByLoginId('wsadmin'))!.id, Date.now());
    const missing = expectConcurError(await client.request('POST', '/admin/api/session', { loginId: 'wsadmin' }), 400);
    expect(missing.fields).toEqual([{ field: 'password', message: 'is required' }]);
    const notJson = await client.request('POST', '/admin/api/session', undefined, { raw: 'loginId=wsadmin', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(expectConcurError(notJson, 400).code).toBe(135);
    const badJson = await client.request('POST', '/admin/api/session', undefined, { raw: '{"loginId":' });
    expect(expectConcurError(badJson, 400).code).toBe(135);
  });

  it('needs the session CSRF token on every state-changing request, and changes nothing without it', async () => {
    const client = new AdminClient(t.url);
    await client.signIn('wsadmin');
    const before = (await client.get('/apps')).body.total;
    expectConcurError(await client.request('POST', '/admin/api/apps', newApp, { csrf: false }), 403);
    expectConcurError(await client.request('POST', '/admin/api/apps', newApp, { csrf: 'not-the-token' }), 403);
    const other = new AdminClient(t.url);
    await other.signIn('wsadmin');
    expectConcurError(await client.request('POST', '/admin/api/apps', newApp, { csrf: other.csrfToken! }), 403);
    expect((await client.get('/apps')).body.total).toBe(before);
    expect((await client.post('/apps', newApp)).status).toBe(201);
  });

  it('answers 401 without a session, and after sign-out', async () => {
    const client = new AdminClient(t.url);
    expectConcurError(await client.get('/apps'), 401);
    client.setCookie('tessera_admin', 'made-up');
    expectConcurError(await client.get('/apps'), 401);
    await client.signIn('wsadmin');
    expect((await client.delete('/session')).status).toBe(204);
    expect(client.cookie('tessera_admin')).toBeUndefined();
    const stale = new AdminClient(t.url);
    await stale.signIn('wsadmin');
    const cookie = stale.cookie('tessera_admin')!;
    await stale.delete('/session');
    stale.setCookie('tessera_admin', cookie);
    expectConcurError(await stale.get('/apps'), 401);
    expect((await stale.get('/session')).body.signedIn).toBe(false);
  });

  it('locks a login id through the console after failed console sign-ins, not through an app', async () => {
    await makeAdmin(t, 'lockme');
    const client = new AdminClient(t.url);
    for (let i = 0; i < 4; i++) expect(expectConcurError(await client.signIn('lockme', 'wrong password'), 400).code).toBe(5);
    expect(expectConcurError(await client.signIn('lockme', 'wrong password'), 400).code).toBe(14);
    expect(expectConcurError(await client.signIn('lockme'), 400).code).toBe(14);
    expect(expectConcurError(await client.useBearer('lockme'), 400).code).toBe(14);
    const { clientSecret, app } = await createApp(t.server.core, t.companyId, {
      name: 'Lockout', description: 'd', grants: ['password'], scopes: defaultScopes,
    });
    const grant = await postToken(t.url, { grant_type: 'password', client_id: app.id, client_secret: clientSecret, username: 'lockme', password: adminPassword });
    expect(grant.status).toBe(200);
  });
});

describe('admin API: session idle timeout and lifetime', () => {
  let t: TestServer;
  const clock = new ManualClock(Date.parse('2026-01-05T09:00:00Z'));
  beforeAll(async () => {
    t = await startTestServer({ clock, settings: { sessionIdleSeconds: 600, sessionMaxSeconds: 3600 } });
    await makeAdmin(t, 'idle');
  });
  afterAll(() => t.close());

  it('ends a session unused for the idle timeout, and keeps a busy one alive until its end', async () => {
    const client = new AdminClient(t.url);
    await client.signIn('idle');
    clock.advance(599_000);
    expect((await client.get('/apps')).status).toBe(200);
    clock.advance(599_000);
    expect((await client.get('/apps')).status).toBe(200);
    clock.advance(601_000);
    expectConcurError(await client.get('/apps'), 401);

    const busy = new AdminClient(t.url);
    await busy.signIn('idle');
    for (let i = 0; i < 6; i++) {
      clock.advance(590_000);
      expect((await busy.get('/apps')).status).toBe(200);
    }
    clock.advance(100_000);
    expectConcurError(await busy.get('/apps'), 401);
  });
});

describe('admin API: Bearer admin tokens', () => {
  let t: TestServer;
  let clock: ManualClock;
  let app: { clientId: string; clientSecret: string };
  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestServer({ clock });
    await makeAdmin(t, 'bearer-admin');
    await createUser(t.server.core, { companyId: t.companyId, loginId: 'bearer-user', password: adminPassword });
    const created = await createApp(t.server.core, t.companyId, { name: 'B', description: 'b', grants: ['password', 'client_credentials'], scopes: defaultScopes });
    app = { clientId: created.app.id, clientSecret: created.clientSecret };
  });
  afterAll(() => t.close());

  const usersNamed = async (loginId: string) =>
    (await t.server.core.store.users.listByCompany(t.companyId)).filter((u) => u.loginId === loginId);

  it('issues a short-lived admin token with its own audience and accepts it without cookies or CSRF', async () => {
    const client = new AdminClient(t.url);
    const issued = await client.useBearer('bearer-admin');
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, loginId: 'bearer-admin', companyUUID: t.companyId });
    const claims = JSON.parse(Buffer.from(issued.body.accessToken.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ aud: 'tessera-admin', iss: t.url, sid: expect.any(String) });
    expect(claims).not.toHaveProperty('concur.scopes');
    expect((await client.get('/apps')).status).toBe(200);
    expect((await client.post('/apps', newApp)).status).toBe(201);
  });

  it("refuses an administrator's access token from an app's password grant (RFC 9700 audience), and changes nothing", async () => {
    const grant = await postToken(t.url, {
      grant_type: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: 'bearer-admin', password: adminPassword, scope: 'openid',
    });
    expect(grant.status).toBe(200);
    const client = new AdminClient(t.url);
    client.bearer = grant.body.access_token;
    expect(expectConcurError(await client.get('/apps'), 401)).toMatchObject({ code: 401, error: 'invalid_token' });
    expectConcurError(await client.post('/users', { loginId: 'minted.admin', password: 'a good password', roles: ['Web Services Administrator'] }), 401);
    expect(await usersNamed('minted.admin')).toEqual([]);
    expectConcurError(await client.delete('/session'), 401);
  });

  it('refuses tokens of non-administrators, application tokens and garbage', async () => {
    const user = await postToken(t.url, { grant_type: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: 'bearer-user', password: adminPassword });
    const client = new AdminClient(t.url);
    client.bearer = user.body.access_token;
    expectConcurError(await client.get('/apps'), 401);
    client.bearer = (await clientCredentials(t, app.clientId, app.clientSecret)).body.access_token;
    expectConcurError(await client.get('/apps'), 401);
    client.bearer = 'not.a.token';
    expectConcurError(await client.get('/apps'), 401);
    const basic = await new AdminClient(t.url).request('GET', '/admin/api/apps', undefined, { headers: { authorization: 'Basic YTpi' } });
    expectConcurError(basic, 401);
  });

  it('is no access token: the protected APIs refuse an admin token', async () => {
    const client = new AdminClient(t.url);
    await client.useBearer('bearer-admin');
    const me = await fetch(`${t.url}/profile/v1/me`, { headers: { authorization: `Bearer ${client.bearer}` } });
    expect(me.status).toBe(401);
  });

  it('stops an admin token at sign-out (DELETE /admin/api/session); other admin tokens keep working', async () => {
    const first = new AdminClient(t.url);
    const second = new AdminClient(t.url);
    await first.useBearer('bearer-admin');
    await second.useBearer('bearer-admin');
    expect((await first.get('/apps')).status).toBe(200);
    expect((await first.delete('/session')).status).toBe(204);
    expect(expectConcurError(await first.get('/apps'), 401).error_description).toMatch(/admin token has ended/);
    expectConcurError(await first.post('/users', { loginId: 'after.logout', password: 'a good password' }), 401);
    expect(await usersNamed('after.logout')).toEqual([]);
    expect((await second.get('/apps')).status).toBe(200);
  });

  it('ends an admin token when idle, at its end, or when its user is disabled', async () => {
    const idle = new AdminClient(t.url);
    await idle.useBearer('bearer-admin');
    const busy = new AdminClient(t.url);
    await busy.useBearer('bearer-admin');
    for (let i = 0; i < 2; i++) {
      clock.advance(20 * 60_000);
      expect((await busy.get('/apps')).status).toBe(200);
    }
    expectConcurError(await idle.get('/apps'), 401); // unused for 40 minutes, past the 30-minute idle timeout
    clock.advance(21 * 60_000); // 61 minutes after issue: past the token's hour
    expectConcurError(await busy.get('/apps'), 401);

    await makeAdmin(t, 'soon-disabled');
    const doomed = new AdminClient(t.url);
    await doomed.useBearer('soon-disabled');
    const admin = new AdminClient(t.url);
    await admin.useBearer('bearer-admin');
    const target = (await usersNamed('soon-disabled'))[0]!;
    expect((await admin.patch(`/users/${target.id}`, { status: 'disabled' })).status).toBe(200);
    expectConcurError(await doomed.get('/apps'), 401);
  });

  it("never resumes a console session from an admin token's session handle", async () => {
    const client = new AdminClient(t.url);
    await client.useBearer('bearer-admin');
    const { sid } = JSON.parse(Buffer.from(client.bearer!.split('.')[1]!, 'base64url').toString());
    const cookieOnly = new AdminClient(t.url);
    cookieOnly.setCookie('tessera_admin', sid);
    expect((await cookieOnly.get('/session')).body.signedIn).toBe(false);
    expectConcurError(await cookieOnly.get('/apps'), 401);
  });

  it('answers wrong credentials and non-administrators at /admin/api/token in the Concur format', async () => {
    const client = new AdminClient(t.url);
    expect(expectConcurError(await client.useBearer('bearer-admin', 'nope nope'), 400).code).toBe(5);
    expectConcurError(await client.useBearer('bearer-user'), 403);
    expect(expectConcurError(await client.post('/token', { loginId: '' }), 400).fields?.map((f) => f.field)).toEqual(['loginId', 'password']);
  });
});

describe('admin API: applications, secrets, request tokens, connections, users, audit', () => {
  let t: TestServer;
  let client: AdminClient;
  beforeAll(async () => {
    t = await startTestServer();
    await makeAdmin(t, 'apps-admin');
    client = new AdminClient(t.url);
    expect((await client.signIn('apps-admin')).status).toBe(200);
  });
  afterAll(() => t.close());

  it('serves the grant types and the grouped scope catalog', async () => {
    const catalog = await client.get('/catalog');
    expect(catalog.body.grants).toContain('password');
    expect(catalog.body.scopeGroups.find((g: { name: string }) => g.name === 'Expense').scopes).toContain('expense.report.read');
  });

  it('creates an app, shows its credentials once, and lists and details it', async () => {
    const created = await client.post('/apps', newApp);
    expect(created.status).toBe(201);
    const { app, clientSecret } = created.body;
    expect(app).toMatchObject({ name: newApp.name, stage: 'test', appType: 'ws-client', enabled: true, grants: newApp.grants, scopes: newApp.scopes, lastUsedAt: null });
    expect(clientSecret).toMatch(/^[0-9a-f-]{36}$/);
    expect((await clientCredentials(t, app.clientId, clientSecret)).status).toBe(200);

    const details = await client.get(`/apps/${app.clientId}`);
    expect(details.body).toMatchObject({ clientId: app.clientId, companyUUID: t.companyId, inactivity: { days: 365 } });
    expect(details.body.secrets).toEqual([{ id: expect.any(String), status: 'Active', createdAt: expect.any(String), updatedAt: expect.any(String) }]);
    expect(JSON.stringify(details.body)).not.toContain(clientSecret);
    expect(Date.parse(details.body.inactivity.deactivatesAt)).toBeGreaterThan(Date.now() + 364 * 86400_000);
    expect(details.body.lastUsedAt).not.toBeNull();
  });

  it('refuses an app without scopes, naming the field, and saves nothing', async () => {
    const before = (await client.get('/apps')).body.total;
    const noScopes = expectConcurError(await client.post('/apps', { ...newApp, scopes: [] }), 400);
    expect(noScopes).toMatchObject({ code: 400, error: 'invalid_request' });
    expect(noScopes.fields).toEqual([{ field: 'scopes', message: 'at least one scope is required' }]);
    const many = expectConcurError(await client.post('/apps', { name: ' ', stage: 'prod', grants: ['magic'], scopes: ['bad scope'] }), 400);
    expect(many.fields!.map((f) => f.field).sort()).toEqual(['description', 'grants.0', 'name', 'scopes.0', 'stage']);
    expectConcurError(await client.post('/apps', { ...newApp, extra: true }), 400);
    expectConcurError(await client.post('/apps', [1, 2]), 400);
    expect(expectConcurError(await client.request('POST', '/admin/api/apps', undefined, { raw: '{' }), 400).code).toBe(135);
    expect((await client.get('/apps')).body.total).toBe(before);
  });

  it('filters, sorts and pages thousands of apps', async () => {
    const fresh = await startTestServer();
    try {
      await makeAdmin(fresh, 'many');
      const many = new AdminClient(fresh.url);
      await many.signIn('many');
      const { core } = fresh.server;
      const now = Date.now();
      const rows = Array.from({ length: 1200 }, (_, i) => ({
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, companyId: fresh.companyId, name: `App ${String(i).padStart(4, '0')}`,
        description: i % 2 ? 'odd' : 'even', stage: 'development' as const, appType: 'ws-client' as const, grants: ['password'], scopes: ['openid'],
        redirectUris: [], clientType: 'confidential' as const, enabled: true, listed: false, connectUrl: null, createdAt: now + i, updatedAt: now + i, lastUsedAt: null,
      }));
      for (const row of rows) await core.store.apps.create(row);
      const first = await many.get('/apps?sort=name&order=asc&limit=100');
      expect(first.body.total).toBe(1200);
      expect(first.body.items).toHaveLength(100);
      expect(first.body.items[0].name).toBe('App 0000');
      const last = await many.get('/apps?sort=name&order=asc&limit=100&offset=1100');
      expect(last.body.items.at(-1).name).toBe('App 1199');
      const newest = await many.get('/apps');
      expect(newest.body).toMatchObject({ offset: 0, limit: 25 });
      expect(newest.body.items[0].name).toBe('App 1199');
      expect((await many.get('/apps?filter=App%20011')).body.total).toBe(10);
      expect((await many.get('/apps?filter=000000000042')).body.items.map((a: { name: string }) => a.name)).toEqual(['App 0042']);
      expect((await many.get('/apps?sort=clientId&order=desc&limit=1')).body.items[0].clientId).toBe(rows[1199]!.id);
      for (const bad of ['limit=1000', 'limit=0', 'offset=-1', 'sort=secret', 'order=up', 'limit=abc']) {
        expectConcurError(await many.get(`/apps?${bad}`), 400);
      }
    } finally {
      await fresh.close();
    }
  });

  it('edits only the given fields, and Enabled no/yes turns code 59 on and off', async () => {
    const { app, clientSecret } = (await client.post('/apps', { ...newApp, stage: 'production', redirectUris: ['https://example.test/cb'] })).body;
    const renamed = await client.patch(`/apps/${app.clientId}`, { name: 'Renamed', scopes: ['openid', 'user.read'] });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed', stage: 'production', redirectUris: ['https://example.test/cb'], enabled: true, scopes: ['openid', 'user.read'] });
    const bad = expectConcurError(await client.patch(`/apps/${app.clientId}`, { name: 'X', scopes: [] }), 400);
    expect(bad.fields).toEqual([{ field: 'scopes', message: 'at least one scope is required' }]);
    expectConcurError(await client.patch(`/apps/${app.clientId}`, { clientId: 'mine' }), 400);
    expect((await client.get(`/apps/${app.clientId}`)).body.name).toBe('Renamed');

    expect((await client.patch(`/apps/${app.clientId}`, { enabled: false })).body.enabled).toBe(false);
    const refused = await clientCredentials(t, app.clientId, clientSecret);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe(59);
    expect((await client.patch(`/apps/${app.clientId}`, { enabled: true })).body.enabled).toBe(true);
    expect((await clientCredentials(t, app.clientId, clientSecret)).status).toBe(200);
    expectConcurError(await client.get('/apps/not-a-uuid'), 404);
    expectConcurError(await client.get('/apps/00000000-0000-4000-8000-000000000000'), 404);
  });

  it('rotates client secrets within the limits of Decision 5', async () => {
    const { app, clientSecret: oldSecret } = (await client.post('/apps', newApp)).body;
    const base = `/apps/${app.clientId}/secrets`;
    const oldId = (await client.get(base)).body[0].id;
    const created = await client.post(base);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), secret: expect.any(String), status: 'Inactive' });
    expect((await clientCredentials(t, app.clientId, created.body.secret)).body.code).toBe(64);
    expect((await client.patch(`${base}/${created.body.id}`, { status: 'active' })).body.status).toBe('Active');
    expect((await clientCredentials(t, app.clientId, created.body.secret)).status).toBe(200);
    expect((await clientCredentials(t, app.clientId, oldSecret)).status).toBe(200);
    expect((await client.patch(`${base}/${oldId}`, { status: 'inactive' })).body.status).toBe('Inactive');
    expect((await clientCredentials(t, app.clientId, oldSecret)).body.code).toBe(64);

    expect(expectConcurError(await client.delete(`${base}/${created.body.id}`), 400).error_description).toMatch(/not inactive/);
    expect((await client.delete(`${base}/${oldId}`)).status).toBe(204);
    expectConcurError(await client.delete(`${base}/${oldId}`), 404);
    expect((await client.get(base)).body.map((s: { id: string }) => s.id)).toEqual([created.body.id]);

    const extra = [];
    for (let i = 0; i < 4; i++) extra.push((await client.post(base)).body.id);
    expect(expectConcurError(await client.post(base), 400).error_description).toMatch(/at most 5/);
    expect((await client.patch(`${base}/${extra[0]}`, { status: 'active' })).status).toBe(200);
    expect(expectConcurError(await client.patch(`${base}/${extra[1]}`, { status: 'active' }), 400).error_description).toMatch(/at most 2/);
    expectConcurError(await client.patch(`${base}/${extra[1]}`, { status: 'on' }), 400);
    expectConcurError(await client.patch(`${base}/${extra[1]}`, {}), 400);
    expectConcurError(await client.patch(`${base}/00000000-0000-4000-8000-000000000000`, { status: 'active' }), 404);
    expect((await client.get(base)).body.filter((s: { status: string }) => s.status === 'Active')).toHaveLength(2);
  });

  it('generates a company request token with the curl command, and regenerating replaces it', async () => {
    const { app, clientSecret } = (await client.post('/apps', newApp)).body;
    const first = await client.post('/request-tokens', { appId: app.clientId });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ companyUUID: t.companyId, requestToken: expect.stringMatching(/^at-[a-z0-9]{30}$/), appId: app.clientId, maxUses: 5, warnings: [] });
    expect(Date.parse(first.body.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(first.body.curl).toContain(`${t.url}/oauth2/v0/token`);
    for (const value of ['grant_type=password', 'credtype=authtoken', `client_id=${app.clientId}`, `username=${t.companyId}`, `password=${first.body.requestToken}`]) {
      expect(first.body.curl).toContain(value);
    }
    expect(first.body.curl).not.toContain(clientSecret);
    const second = await client.post('/request-tokens', { appId: app.clientId.toUpperCase() });
    const convert = (token: string) => postToken(t.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: app.clientId, client_secret: clientSecret, username: t.companyId, password: token,
    });
    expect((await convert(first.body.requestToken)).body.code).toBe(136);
    expect((await convert(second.body.requestToken)).status).toBe(200);

    expect(expectConcurError(await client.post('/request-tokens', {}), 400).fields).toEqual([{ field: 'appId', message: 'App ID is required' }]);
    expect(expectConcurError(await client.post('/request-tokens', { appId: 'demo' }), 400).fields?.[0]?.field).toBe('appId');
    expectConcurError(await client.post('/request-tokens', { appId: '00000000-0000-4000-8000-000000000000' }), 404);
    const noPassword = (await client.post('/apps', { ...newApp, grants: ['client_credentials'] })).body.app;
    await client.patch(`/apps/${noPassword.clientId}`, { enabled: false });
    expect((await client.post('/request-tokens', { appId: noPassword.clientId })).body.warnings).toHaveLength(2);
  });

  it('lists the connections of an app and revokes one so its refresh token is refused', async () => {
    const { app, clientSecret } = (await client.post('/apps', newApp)).body;
    const { requestToken } = (await client.post('/request-tokens', { appId: app.clientId })).body;
    const converted = await postToken(t.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: app.clientId, client_secret: clientSecret, username: t.companyId, password: requestToken,
    });
    const list = await client.get(`/apps/${app.clientId}/connections`);
    expect(list.body.total).toBe(1);
    const [connection] = list.body.items;
    expect(connection).toMatchObject({ principalType: 'company', principalId: t.companyId, principalName: 'Test Company', status: 'active', scopes: newApp.scopes, revokedAt: null });
    expect(Math.floor(Date.parse(connection.refreshExpiresAt) / 1000)).toBe(converted.body.refresh_expires_in);

    expect((await client.delete(`/apps/${app.clientId}/connections/${connection.id}`)).status).toBe(204);
    const refresh = await postToken(t.url, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: clientSecret, refresh_token: converted.body.refresh_token });
    expect(refresh.status).toBe(400);
    expect(refresh.body.code).toBe(108);
    expect((await client.get(`/apps/${app.clientId}/connections?status=revoked`)).body.items[0]).toMatchObject({ id: connection.id, status: 'revoked' });
    expect((await client.get(`/apps/${app.clientId}/connections?status=active`)).body.total).toBe(0);
    expect((await client.delete(`/apps/${app.clientId}/connections/${connection.id}`)).status).toBe(204);
    expectConcurError(await client.delete(`/apps/${app.clientId}/connections/00000000-0000-4000-8000-000000000000`), 404);
    expectConcurError(await client.get(`/apps/${app.clientId}/connections?status=gone`), 400);
  });

  it('creates, unlocks, disables and enables users of the company', async () => {
    const created = await client.post('/users', { loginId: 'new.user@example.test', password: 'a good password', displayName: 'New User' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ loginId: 'new.user@example.test', email: 'new.user@example.test', administrator: false, status: 'active', locked: false });
    expect(JSON.stringify(created.body)).not.toMatch(/scrypt|password/i);
    expect(expectConcurError(await client.post('/users', { loginId: 'new.user@example.test', password: 'another password' }), 400).fields).toEqual([{ field: 'loginId', message: 'this login id is taken' }]);
    expect(expectConcurError(await client.post('/users', { loginId: 'has space', password: 'short' }), 400).fields!.map((f) => f.field)).toEqual(['loginId', 'password']);
    expect((await client.get('/users')).body.items.map((u: { loginId: string }) => u.loginId)).toEqual(['apps-admin', 'new.user@example.test']);
    // One user by login id, matched as sign-in matches it; none for an unknown one (another company's: the CLI test).
    expect((await client.get('/users?loginId=NEW.User@example.test')).body.items.map((u: { loginId: string }) => u.loginId)).toEqual(['new.user@example.test']);
    expect((await client.get('/users?loginId=nobody-at-all')).body.items).toEqual([]);

    const { app, clientSecret } = (await client.post('/apps', newApp)).body;
    const grant = (password: string) => postToken(t.url, { grant_type: 'password', client_id: app.clientId, client_secret: clientSecret, username: 'new.user@example.test', password });
    for (let i = 0; i < 5; i++) await grant('wrong password');
    expect((await grant('a good password')).body.code).toBe(14);
    // Locked through this app only (the lock over every client needs maxFailedLoginsAnyClient failures).
    expect((await client.get('/users')).body.items[1]).toMatchObject({ locked: false, status: 'active', failedLogins: 5 });
    const unlocked = await client.post(`/users/${created.body.id}/unlock`);
    expect(unlocked.body).toMatchObject({ locked: false, status: 'active', failedLogins: 0 });
    expect((await grant('a good password')).status).toBe(200);

    expect((await client.patch(`/users/${created.body.id}`, { status: 'disabled' })).body.status).toBe('disabled');
    expect((await grant('a good password')).body.code).toBe(10);
    expect((await client.patch(`/users/${created.body.id}`, { status: 'active' })).body.status).toBe('active');
    expect((await grant('a good password')).status).toBe(200);
    const me = (await client.get('/session')).body.user.id;
    expect(expectConcurError(await client.patch(`/users/${me}`, { status: 'disabled' }), 400).fields?.[0]?.field).toBe('status');
    expectConcurError(await client.patch(`/users/${created.body.id}`, { status: 'locked' }), 400);
    expectConcurError(await client.post('/users/00000000-0000-4000-8000-000000000000/unlock'), 404);
  });

  it('records admin actions in the audit log with actor, outcome and correlation id, and filters them', async () => {
    const created = await client.request('POST', '/admin/api/apps', { ...newApp, name: 'Audited' }, { headers: { 'concur-correlationid': 'audit-test-1' } });
    const appId = created.body.app.clientId;
    await client.post(`/apps/${appId}/secrets`);
    await client.post('/request-tokens', { appId });
    const log = await client.get(`/audit?appId=${appId}`);
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual(['request-token.generated', 'secret.created', 'app.created']);
    expect(log.body.items.at(-1)).toMatchObject({
      action: 'app.created', outcome: 'success', correlationId: 'audit-test-1', appId,
      actor: { type: 'user', name: 'apps-admin' }, appName: 'Audited',
    });
    expect(JSON.stringify(log.body)).not.toContain(created.body.clientSecret);

    await client.patch(`/apps/${appId}`, { enabled: false });
    await clientCredentials(t, appId, created.body.clientSecret);
    const refused = await client.get(`/audit?appId=${appId}&action=token.refused`);
    expect(refused.body.items[0]).toMatchObject({ outcome: 'failure', code: 59, actor: { type: null } });
    const signIns = await client.get('/audit?action=admin.signed-in');
    expect(signIns.body.total).toBeGreaterThanOrEqual(1);
    const me = (await client.get('/session')).body.user.id;
    expect((await client.get(`/audit?principalId=${me}&action=app.created`)).body.total).toBeGreaterThanOrEqual(1);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await client.get(`/audit?since=${future}`)).body.total).toBe(0);
    expect((await client.get(`/audit?until=${encodeURIComponent(new Date(0).toISOString())}`)).body.total).toBe(0);
    expect((await client.get(`/audit?since=${Date.now() - 3600_000}&limit=2`)).body.items).toHaveLength(2);
    for (const bad of ['since=yesterday', 'appId=nope', 'limit=201']) expectConcurError(await client.get(`/audit?${bad}`), 400);
  });
});

describe('admin API: app inactivity (Decision 7)', () => {
  let t: TestServer;
  const clock = new ManualClock(Date.parse('2026-02-01T08:00:00Z'));
  beforeAll(async () => {
    t = await startTestServer({ clock, settings: { appInactivityDays: 30 } });
    await makeAdmin(t, 'inactive-admin');
  });
  afterAll(() => t.close());

  it('shows when an unused app will be deactivated, deactivates it, and enabling starts over', async () => {
    const client = new AdminClient(t.url);
    await client.signIn('inactive-admin');
    const { app, clientSecret } = (await client.post('/apps', newApp)).body;
    expect(app.inactivity).toEqual({ days: 30, deactivatesAt: '2026-03-03T08:00:00.000Z' });
    clock.advance(10 * 86400_000);
    expect((await clientCredentials(t, app.clientId, clientSecret)).status).toBe(200);
    await client.signIn('inactive-admin');
    expect((await client.get(`/apps/${app.clientId}`)).body.inactivity.deactivatesAt).toBe('2026-03-13T08:00:00.000Z');
    clock.advance(31 * 86400_000);
    const refused = await clientCredentials(t, app.clientId, clientSecret);
    expect(refused.body.code).toBe(59);
    await client.signIn('inactive-admin');
    expect((await client.get(`/apps/${app.clientId}`)).body).toMatchObject({ enabled: false, inactivity: { deactivatesAt: null } });
    expect((await client.get(`/audit?appId=${app.clientId}&action=app.deactivated`)).body.items[0]).toMatchObject({ actor: { type: 'system' } });
    await client.patch(`/apps/${app.clientId}`, { enabled: true });
    expect((await clientCredentials(t, app.clientId, clientSecret)).status).toBe(200);
  });
});

describe('admin API: the OpenAPI document and the console files', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('documents every admin API endpoint, and documents only endpoints that exist', async () => {
    const doc = await (await fetch(`${t.url}/admin/api/openapi.json`)).json() as { openapi: string; paths: Record<string, Record<string, unknown>>; servers: { url: string }[] };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0]!.url).toBe(t.url);
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).filter((k) => k !== 'parameters').map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual([
      'DELETE /admin/api/apps/{appId}/connections/{connectionId}', 'DELETE /admin/api/apps/{appId}/secrets/{secretId}',
      'DELETE /admin/api/session', 'DELETE /app-mgmt/v4/{appId}/secrets/{secretId}',
      'DELETE /admin/api/app-center/{appId}/connection', 'GET /admin/api/app-center', 'POST /admin/api/app-center/{appId}/connect',
      'GET /admin/api/apps', 'GET /admin/api/apps/{appId}', 'GET /admin/api/apps/{appId}/connections', 'GET /admin/api/apps/{appId}/secrets',
      'GET /admin/api/audit', 'GET /admin/api/catalog', 'GET /admin/api/company', 'PATCH /admin/api/company', 'GET /admin/api/outbox', 'GET /admin/api/session', 'GET /admin/api/users', 'GET /app-mgmt/v4/{appId}/secrets',
      'PATCH /admin/api/apps/{appId}', 'PATCH /admin/api/apps/{appId}/secrets/{secretId}', 'PATCH /admin/api/users/{userId}',
      'PATCH /app-mgmt/v4/{appId}/secrets/{secretId}',
      'POST /admin/api/apps', 'POST /admin/api/apps/{appId}/secrets', 'POST /admin/api/request-tokens', 'POST /admin/api/session',
      'POST /admin/api/token', 'POST /admin/api/users', 'POST /admin/api/users/{userId}/password', 'POST /admin/api/users/{userId}/unlock', 'POST /app-mgmt/v4/{appId}/secrets',
    ].sort());
    for (const entry of documented) {
      const [method, path] = entry.split(' ') as [string, string];
      expect(t.server.app.hasRoute({ method: method as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), entry).toBe(true);
    }
    const createBody = (doc.paths['/admin/api/apps'] as any).post.requestBody.content['application/json'].schema;
    expect(createBody.required).toEqual(['name', 'description', 'grants', 'scopes']);
    expect(createBody.properties.scopes.minItems).toBe(1);
  });

  it('serves the console page and its modules with a strict CSP and ETags', async () => {
    const page = await fetch(`${t.url}/admin`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('/admin/assets/main.js');
    const script = await fetch(`${t.url}/admin/assets/app.js`);
    expect(script.headers.get('content-type')).toMatch(/text\/javascript/);
    const etag = script.headers.get('etag')!;
    expect((await fetch(`${t.url}/admin/assets/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const missing = await fetch(`${t.url}/admin/assets/../../src/server.ts`);
    expect(missing.status).toBe(404);
    const unknown = await fetch(`${t.url}/admin/assets/nope.js`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 404, error: 'not_found' });
  });
});

describe('admin API over HTTPS', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { https: true } });
    await makeAdmin(t, 'tls-admin');
  });
  afterAll(() => t.close());

  it('marks the session cookies Secure', async () => {
    const { request } = await import('node:https');
    const call = (method: string, path: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; cookies: string[]; body: any }>((resolve, reject) => {
        const req = request(`${t.url}${path}`, { method, headers, rejectUnauthorized: false }, (res) => {
          let text = '';
          res.on('data', (chunk) => { text += chunk; });
          res.on('end', () => resolve({ status: res.statusCode!, cookies: res.headers['set-cookie'] ?? [], body: text ? JSON.parse(text) : undefined }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const state = await call('GET', '/admin/api/session', {});
    expect(state.cookies[0]).toMatch(/; Secure/);
    const nonce = state.cookies[0]!.split(';')[0]!;
    const signedIn = await call('POST', '/admin/api/session', { cookie: nonce, 'x-csrf-token': state.body.csrfToken, 'content-type': 'application/json' },
      JSON.stringify({ loginId: 'tls-admin', password: adminPassword }));
    expect(signedIn.status).toBe(200);
    expect(signedIn.cookies.find((c) => c.startsWith('tessera_admin='))).toMatch(/HttpOnly; SameSite=Strict; Secure/);
  });
});
