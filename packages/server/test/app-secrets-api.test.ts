/**
 * The Concur app-secret API (docs/protocol.md §7, Decision 5) over real HTTP:
 * `GET/POST /app-mgmt/v4/{appId}/secrets`, `PATCH/DELETE /app-mgmt/v4/{appId}/secrets/{secretId}`,
 * authorized only by an application token of that same app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSecret, createUser } from 'tessera-server';
import { AdminClient, expectConcurError, makeAdmin } from './admin-helpers.js';
import { makeApp, postToken, startTestServer, type TestServer } from './helpers.js';

const PatchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const patchBody = (value: string, overrides: Record<string, unknown> = {}) =>
  ({ schemas: [PatchOp], Operations: [{ op: 'replace', path: '/status', value }], ...overrides });

describe('Concur app-secret API', () => {
  let t: TestServer;
  let app: { clientId: string; clientSecret: string };
  let other: { clientId: string; clientSecret: string };
  let appToken: string;

  async function appTokenOf(clientId: string, clientSecret: string): Promise<string> {
    const answer = await postToken(t.url, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
    expect(answer.status).toBe(200);
    return answer.body.access_token as string;
  }

  async function call(method: string, path: string, init: { token?: string; body?: unknown; raw?: string; type?: string } = {}) {
    const headers: Record<string, string> = {};
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = init.type ?? 'application/json';
    const response = await fetch(`${t.url}/app-mgmt/v4${path}`, {
      method, headers, body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    t = await startTestServer();
    app = await makeApp(t);
    other = await makeApp(t, { name: 'Other' });
    appToken = await appTokenOf(app.clientId, app.clientSecret);
  });
  afterAll(() => t.close());

  it('refuses anything but an application token of the same app with 401', async () => {
    expectConcurError(await call('GET', `/${app.clientId}/secrets`), 401);
    expectConcurError(await call('GET', `/${app.clientId}/secrets`, { token: 'garbage' }), 401);
    const otherToken = await appTokenOf(other.clientId, other.clientSecret);
    const wrongApp = await call('POST', `/${app.clientId}/secrets`, { token: otherToken });
    expect(expectConcurError(wrongApp, 401).error_description).toMatch(/this app/);
    await createUser(t.server.core, { companyId: t.companyId, loginId: 'secret-user', password: 'user password' });
    const user = await postToken(t.url, { grant_type: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: 'secret-user', password: 'user password' });
    expectConcurError(await call('GET', `/${app.clientId}/secrets`, { token: user.body.access_token }), 401);
    expectConcurError(await call('GET', '/not-an-app/secrets', { token: appToken }), 401);
    expect((await t.server.core.store.apps.listSecrets(app.clientId))).toHaveLength(1);
  });

  it('lists secrets without their values', async () => {
    const list = await call('GET', `/${app.clientId}/secrets`, { token: appToken });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([{ id: expect.any(String), status: 'Active', createdAt: expect.any(String), updatedAt: expect.any(String) }]);
    expect(JSON.stringify(list.body)).not.toContain(app.clientSecret);
    expect(list.headers.get('cache-control')).toBe('no-store');
  });

  it('rotates: create (Inactive, shown once), activate, deactivate the old one, delete it', async () => {
    const oldId = (await call('GET', `/${app.clientId}/secrets`, { token: appToken })).body[0].id;
    const created = await call('POST', `/${app.clientId}/secrets`, { token: appToken });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body).sort()).toEqual(['createdAt', 'id', 'secret', 'status', 'updatedAt']);
    expect(created.body.status).toBe('Inactive');
    const { id, secret } = created.body;
    expect((await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: secret })).body.code).toBe(64);

    const activated = await call('PATCH', `/${app.clientId}/secrets/${id}`, { token: appToken, body: patchBody('active') });
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({ id, status: 'Active' });
    const fresh = await appTokenOf(app.clientId, secret);

    const deactivated = await call('PATCH', `/${app.clientId}/secrets/${oldId}`, { token: fresh, body: patchBody('inactive'), type: 'application/scim+json' });
    expect(deactivated.body.status).toBe('Inactive');
    const refused = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe(64);

    expect((await call('DELETE', `/${app.clientId}/secrets/${oldId}`, { token: fresh })).status).toBe(204);
    expectConcurError(await call('DELETE', `/${app.clientId}/secrets/${oldId}`, { token: fresh }), 404);
    const notInactive = expectConcurError(await call('DELETE', `/${app.clientId}/secrets/${id}`, { token: fresh }), 400);
    expect(notInactive).toEqual({
      code: 400, error: 'invalid_request', error_description: 'status: secret is not inactive; deactivate it first',
      fields: [{ field: 'status', message: 'secret is not inactive; deactivate it first' }],
    });
    expect((await call('GET', `/${app.clientId}/secrets`, { token: fresh })).body.map((s: { id: string }) => s.id)).toEqual([id]);
    app.clientSecret = secret;
    appToken = fresh;

    const log = await t.server.core.store.audit.query({ appId: app.clientId });
    await t.server.core.audit.flush();
    const actions = (await t.server.core.store.audit.query({ appId: app.clientId })).items
      .filter((e) => e.action.startsWith('secret.')).map((e) => [e.action, e.actorType]);
    expect(log).toBeDefined();
    expect(actions).toEqual([['secret.deleted', 'application'], ['secret.deactivated', 'application'], ['secret.activated', 'application'], ['secret.created', 'application']]);
  });

  it('answers bad PatchOp bodies with 400 and changes nothing', async () => {
    const [secret] = (await call('GET', `/${app.clientId}/secrets`, { token: appToken })).body;
    const path = `/${app.clientId}/secrets/${secret.id}`;
    const bad: [string, unknown][] = [
      ['schemas', patchBody('inactive', { schemas: ['urn:nope'] })],
      ['op', { schemas: [PatchOp], Operations: [{ op: 'add', path: '/status', value: 'inactive' }] }],
      ['path', { schemas: [PatchOp], Operations: [{ op: 'replace', path: '/name', value: 'inactive' }] }],
      ['value', patchBody('paused')],
      ['Operations', { schemas: [PatchOp], Operations: [] }],
      ['body', {}],
    ];
    for (const [what, body] of bad) {
      expect(expectConcurError(await call('PATCH', path, { token: appToken, body }), 400).code, what).toBe(400);
    }
    expect(expectConcurError(await call('PATCH', path, { token: appToken, raw: 'status=inactive', type: 'text/plain' }), 400).code).toBe(135);
    expect(expectConcurError(await call('PATCH', path, { token: appToken, raw: '{"schemas":' }), 400).code).toBe(135);
    expectConcurError(await call('PATCH', `/${app.clientId}/secrets/00000000-0000-4000-8000-000000000000`, { token: appToken, body: patchBody('active') }), 404);
    expect((await call('GET', `/${app.clientId}/secrets`, { token: appToken })).body).toEqual([secret]);
  });

  it('keeps to at most 5 secrets and 2 active ones', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await call('POST', `/${app.clientId}/secrets`, { token: appToken })).body.id);
    const sixth = expectConcurError(await call('POST', `/${app.clientId}/secrets`, { token: appToken }), 400);
    const tooMany = 'an app holds at most 5 secrets; delete an inactive one first';
    expect(sixth).toEqual({ code: 400, error: 'invalid_request', error_description: `secrets: ${tooMany}`, fields: [{ field: 'secrets', message: tooMany }] });
    expect((await call('PATCH', `/${app.clientId}/secrets/${ids[0]}`, { token: appToken, body: patchBody('ACTIVE') })).status).toBe(200);
    const tooManyActive = 'at most 2 secrets may be active; deactivate one first';
    expect(expectConcurError(await call('PATCH', `/${app.clientId}/secrets/${ids[1]}`, { token: appToken, body: patchBody('active') }), 400))
      .toEqual({ code: 400, error: 'invalid_request', error_description: `status: ${tooManyActive}`, fields: [{ field: 'status', message: tooManyActive }] });
    const list = (await call('GET', `/${app.clientId}/secrets`, { token: appToken })).body;
    expect(list).toHaveLength(5);
    expect(list.filter((s: { status: string }) => s.status === 'Active')).toHaveLength(2);
  });

  it('keeps the limits under concurrent requests: 20 creations, then 10 activations, never above 5 and 2', async () => {
    const raced = await makeApp(t, { name: 'Raced' });
    const token = await appTokenOf(raced.clientId, raced.clientSecret);
    const created = await Promise.all(Array.from({ length: 20 }, () => call('POST', `/${raced.clientId}/secrets`, { token })));
    expect(created.filter((r) => r.status === 200)).toHaveLength(4);
    for (const refused of created.filter((r) => r.status !== 200)) expect(expectConcurError(refused, 400).error_description).toMatch(/at most 5/);
    expect(await t.server.core.store.apps.listSecrets(raced.clientId)).toHaveLength(5);

    const inactive = created.filter((r) => r.status === 200).map((r) => r.body.id as string);
    const activations = await Promise.all([...inactive, ...inactive, ...inactive].slice(0, 10)
      .map((id) => call('PATCH', `/${raced.clientId}/secrets/${id}`, { token, body: patchBody('Active') })));
    for (const refused of activations.filter((r) => r.status !== 200)) expect(expectConcurError(refused, 400).error_description).toMatch(/at most 2/);
    const active = (await t.server.core.store.apps.listSecrets(raced.clientId)).filter((s) => s.status === 'active');
    expect(active).toHaveLength(2);
  });
});

describe('Concur app-secret API: an app token ends with its secret and its app', () => {
  let t: TestServer;
  let admin: AdminClient;
  let app: { clientId: string; clientSecret: string };
  let leakedSecretId: string;
  let spare: { id: string; value: string };

  const appTokenOf = async (clientSecret: string) => {
    const answer = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: clientSecret });
    expect(answer.status).toBe(200);
    return answer.body.access_token as string;
  };
  const secrets = (method: string, token: string, path = '', body?: unknown) => fetch(`${t.url}/app-mgmt/v4/${app.clientId}/secrets${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.json().catch(() => undefined) }));
  const secretCount = async () => (await t.server.core.store.apps.listSecrets(app.clientId)).length;

  beforeAll(async () => {
    // The default status cache (5 s) stays on: the secret API must read the app and secret now anyway.
    t = await startTestServer();
    app = await makeApp(t);
    leakedSecretId = (await t.server.core.store.apps.listSecrets(app.clientId))[0]!.id;
    const added = await addSecret(t.server.core, app.clientId, 'active');
    spare = { id: added.secret.id, value: added.value };
    await makeAdmin(t, 'secret-admin');
    admin = new AdminClient(t.url);
    expect((await admin.signIn('secret-admin')).status).toBe(200);
  });
  afterAll(() => t.close());

  it("records the id of the secret that authenticated the client (never its value or digest)", async () => {
    const token = await appTokenOf(app.clientSecret);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims['tessera.secret']).toBe(leakedSecretId);
    expect(claims['tessera.secret']).not.toBe(app.clientSecret);
    expect(JSON.parse(Buffer.from((await appTokenOf(spare.value)).split('.')[1]!, 'base64url').toString())['tessera.secret']).toBe(spare.id);
  });

  it('refuses the token of a deactivated secret at once, and takes the token of a still-active one', async () => {
    const leaked = await appTokenOf(app.clientSecret);
    const healthy = await appTokenOf(spare.value);
    expect((await secrets('GET', leaked)).status).toBe(200);
    const before = await secretCount();

    expect((await admin.patch(`/apps/${app.clientId}/secrets/${leakedSecretId}`, { status: 'inactive' })).status).toBe(200);
    const created = await secrets('POST', leaked);
    expect(expectConcurError(created, 401).error_description).toMatch(/secret/);
    expect(created.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expectConcurError(await secrets('GET', leaked), 401);
    expect(await secretCount()).toBe(before);

    expect((await secrets('GET', healthy)).status).toBe(200);
  });

  it('refuses every token of a disabled app, so a leaked token cannot mint and activate a new secret', async () => {
    const healthy = await appTokenOf(spare.value);
    const before = await secretCount();
    expect((await admin.patch(`/apps/${app.clientId}`, { enabled: false })).status).toBe(200);
    expect(expectConcurError(await secrets('POST', healthy), 401).error_description).toMatch(/app is disabled/);
    const patch = { schemas: [PatchOp], Operations: [{ op: 'replace', path: '/status', value: 'active' }] };
    expectConcurError(await secrets('PATCH', healthy, `/${leakedSecretId}`, patch), 401);
    expect(await secretCount()).toBe(before);
    expect((await t.server.core.store.apps.listSecrets(app.clientId)).find((s) => s.id === leakedSecretId)?.status).toBe('inactive');

    expect((await admin.patch(`/apps/${app.clientId}`, { enabled: true })).status).toBe(200);
    expect((await secrets('GET', healthy)).status).toBe(200);
  });
});
