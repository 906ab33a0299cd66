/**
 * RFC 7662 token introspection at `/oauth2/v0/introspect` (a Tessera extension):
 * what another resource server can ask. Client credentials as at the token endpoint; an active
 * token is described, a revoked, foreign, expired or malformed one is `{"active": false}`, read now
 * (no status cache).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createApp, ManualClock } from 'tessera-server';
import { AdminClient, makeAdmin } from './admin-helpers.js';
import { makeApp, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';
import { expectConcurError, passwordForm, send } from './e2e-helpers.js';

const password = 'correct horse battery';

describe('POST /oauth2/v0/introspect', () => {
  const clock = new ManualClock();
  let t: TestServer;
  let app: Awaited<ReturnType<typeof makeApp>>;
  let resourceServer: Awaited<ReturnType<typeof makeApp>>;
  let foreign: { clientId: string; clientSecret: string };

  const introspect = (token: string, client: { clientId: string; clientSecret: string } = resourceServer, extra: Record<string, string> = {}) =>
    send(t.url, '/oauth2/v0/introspect', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: client.clientId, client_secret: client.clientSecret, ...extra }).toString(),
    });
  const userToken = async (loginId: string) => {
    const res = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, loginId, password, { scope: 'openid user.read' }));
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };

  beforeAll(async () => {
    t = await startTestServer({ clock });
    app = await makeApp(t);
    resourceServer = await makeApp(t, { name: 'Resource server', grants: ['client_credentials'] });
    const other = await createCompany(t.server.core, { name: 'Other Co' });
    const created = await createApp(t.server.core, other.id, { name: 'Foreign', description: 'f', grants: ['client_credentials'], scopes: ['openid'] });
    foreign = { clientId: created.app.id, clientSecret: created.clientSecret };
  });
  afterAll(() => t.close());

  it('is advertised in discovery', async () => {
    const discovery = await send(t.url, '/.well-known/openid-configuration');
    expect(discovery.body.introspection_endpoint).toBe(`${t.url}/oauth2/v0/introspect`);
  });

  it('describes an active access token of an app of the same company', async () => {
    const user = await makeUser(t, 'active@introspect.test', password);
    const token = await userToken(user.loginId);
    const res = await introspect(token);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('concur-correlationid')).toBeTruthy();
    expect(res.body).toMatchObject({
      active: true, scope: 'openid user.read', client_id: app.clientId, token_type: 'Bearer', sub: user.id, iss: t.url, aud: '*',
      'concur.type': 'user', 'concur.company': t.companyId, exp: expect.any(Number), iat: expect.any(Number),
    });
    const basic = Buffer.from(`${resourceServer.clientId}:${resourceServer.clientSecret}`).toString('base64');
    const viaBasic = await send(t.url, '/oauth2/v0/introspect', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(viaBasic.body.active).toBe(true);
  });

  it('answers inactive at once after a revocation, even while the protected APIs may still reuse their answer', async () => {
    const user = await makeUser(t, 'revoked@introspect.test', password);
    const token = await userToken(user.loginId);
    expect((await send(t.url, '/profile/v1/me', { token })).status).toBe(200);
    const admin = new AdminClient(t.url);
    await makeAdmin(t, 'introspect-admin');
    await admin.signIn('introspect-admin');
    const connectionId = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())['tessera.connection'];
    expect((await admin.delete(`/apps/${app.clientId}/connections/${connectionId}`)).status).toBe(204);
    expect((await introspect(token)).body).toEqual({ active: false });
  });

  it('answers inactive for tokens of another company, admin tokens, expired tokens and garbage', async () => {
    const user = await makeUser(t, 'foreign@introspect.test', password);
    const token = await userToken(user.loginId);
    expect((await introspect(token, foreign)).body).toEqual({ active: false });
    await makeAdmin(t, 'admin-token-holder');
    const admin = new AdminClient(t.url);
    await admin.useBearer('admin-token-holder');
    expect((await introspect(admin.bearer!)).body).toEqual({ active: false });
    expect((await introspect('not.a.token')).body).toEqual({ active: false });
    clock.advance(3601_000);
    expect((await introspect(token)).body).toEqual({ active: false });
  });

  it('authenticates the caller like the token endpoint, and answers bad requests in the Concur format', async () => {
    expectConcurError(await introspect('x', { clientId: resourceServer.clientId, clientSecret: 'wrong' }), 64);
    expectConcurError(await introspect('x', { clientId: '00000000-0000-4000-8000-000000000000', clientSecret: 'x' }), 61);
    const missing = await send(t.url, '/oauth2/v0/introspect', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: resourceServer.clientId, client_secret: resourceServer.clientSecret }).toString(),
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 400, error: 'invalid_request', fields: [{ field: 'token', message: 'is required' }] });
    const inQuery = await send(t.url, `/oauth2/v0/introspect?token=abc`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: resourceServer.clientId, client_secret: resourceServer.clientSecret }).toString(),
    });
    expectConcurError(inQuery, 135, { description: /query string/ });
    const json = await send(t.url, '/oauth2/v0/introspect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expectConcurError(json, 135, { description: /x-www-form-urlencoded/ });
  });
});
