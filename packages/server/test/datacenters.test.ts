/**
 * Several datacenters in one deployment (docs/protocol.md §10, Decision 18), through real HTTP:
 * one process serves us2 and eu2 on listeners of their own from one store; a user of an eu2 company
 * signs in, gets OTPs and refreshes only on eu2 (code 16 with the home geolocation elsewhere);
 * each datacenter has its own discovery document, and its tokens name it as `iss`; a protected API
 * refuses another datacenter's token; company conversions are served anywhere. Then two nodes on
 * one store, each serving one datacenter of the same list.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNetServer } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCompany, createServer, createUser, enableAppForCompany, generateRequestToken, loadSettings, openPostgresStore, openSqliteStore, type Store,
} from 'tessera-server';
import { AdminClient, expectConcurError, makeTenant } from './admin-helpers.js';
import { formAction, hiddenFields, PageBrowser, paramsOf } from './authorize-helpers.js';
import { makeApp, postToken, startTestServer, testStoreKind, type TestServer } from './helpers.js';
import { dropSchema, freshSchemaName, testDatabaseUrl } from './test-services.js';

const password = 'correct horse battery';

function expectCode(answer: { status: number; body: Record<string, any>; headers: Headers }, code: number, status = 400) {
  expect(answer.body, JSON.stringify(answer.body)).toMatchObject({ code });
  expect(answer.status).toBe(status);
  expect(answer.headers.get('concur-correlationid')).toBeTruthy();
}

const decodeJwt = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, any> };
}

async function postForm(url: string, form: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, any> };
}

describe('the datacenters setting', () => {
  it('parses NAME=URL lists from the environment and from repeated flags', () => {
    const fromEnv = loadSettings({}, { TESSERA_DATACENTERS: 'us2=https://127.0.0.1:8443, eu2=https://127.0.0.1:8444/' });
    expect(fromEnv.datacenters).toEqual([{ name: 'us2', url: 'https://127.0.0.1:8443' }, { name: 'eu2', url: 'https://127.0.0.1:8444' }]);
    const fromFlags = loadSettings({ datacenters: ['US2=http://localhost:1', 'eu2=http://localhost:2'] }, {});
    expect(fromFlags.datacenters?.map((dc) => dc.name)).toEqual(['us2', 'eu2']);
    expect(loadSettings({}, {}).datacenters).toBeUndefined();
  });

  it('refuses a bad list, a name twice, a URL twice, a path, geolocation beside it and unknown node datacenters', () => {
    expect(() => loadSettings({ datacenters: 'us2' }, {})).toThrow(/NAME=URL/);
    expect(() => loadSettings({ datacenters: 'us2=not a url' }, {})).toThrow(/not a URL/);
    expect(() => loadSettings({ datacenters: 'us2=http://a:1,us2=http://a:2' }, {})).toThrow(/named twice/);
    expect(() => loadSettings({ datacenters: 'us2=http://a:1,eu2=http://a:1' }, {})).toThrow(/already another/);
    expect(() => loadSettings({ datacenters: 'us2=http://a:1/oauth2' }, {})).toThrow(/bare/);
    expect(() => loadSettings({ datacenters: 'us2=http://a:1', geolocation: 'http://a:1' }, {})).toThrow(/not both/);
    expect(() => loadSettings({ datacenters: 'us2=http://a:1', nodeDatacenters: 'eu2' }, {})).toThrow(/unknown: eu2/);
    expect(() => loadSettings({ nodeDatacenters: 'eu2' }, {})).toThrow(/nodeDatacenters/);
  });
});

describe('two datacenters in one process', () => {
  let t: TestServer;
  let us2: string;
  let eu2: string;
  let euCompanyId: string;
  let app: { clientId: string; clientSecret: string };
  const loginId = `pat-${randomUUID()}@eu.example`;

  beforeAll(async () => {
    t = await startTestServer({ settings: { datacenters: 'us2=http://127.0.0.1:0,eu2=http://127.0.0.1:0' } });
    ({ us2, eu2 } = t.server.datacenters as { us2: string; eu2: string });
    const company = await createCompany(t.server.core, { name: 'EU Co', geolocation: eu2 });
    euCompanyId = company.id;
    app = await makeApp(t, { name: 'Expense Sync', grants: ['password', 'refresh_token', 'otp'] });
    await enableAppForCompany(t.server.core, app.clientId, company.id);
    await createUser(t.server.core, { companyId: company.id, loginId, password, email: loginId });
  });
  afterAll(async () => {
    await t.close();
  });

  it('listens on one port per datacenter and reports every URL', () => {
    expect(Object.keys(t.server.datacenters)).toEqual(['us2', 'eu2']);
    expect(us2).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(eu2).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(us2).not.toBe(eu2);
    expect(t.url).toBe(us2);
  });

  it('publishes a discovery document per datacenter, issuer its own URL, and the key set on each', async () => {
    for (const base of [us2, eu2]) {
      const discovery = await getJson(`${base}/.well-known/openid-configuration`);
      expect(discovery.body.issuer).toBe(base);
      expect(discovery.body.jwks_uri).toBe(`${base}/oauth2/v0/jwks`);
      const jwks = await getJson(discovery.body.jwks_uri as string);
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys.length).toBeGreaterThan(0);
    }
  });

  const passwordForm = () => ({ grant_type: 'password', credtype: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: loginId, password });

  it('answers a password grant on the wrong datacenter 16 with the home geolocation, and serves it at home', async () => {
    const away = await postToken(us2, passwordForm());
    expectCode(away, 16);
    expect(away.body.geolocation).toBe(eu2);
    const home = await postToken(eu2, passwordForm());
    expect(home.status, JSON.stringify(home.body)).toBe(200);
    expect(home.body.geolocation).toBe(eu2);
    expect(decodeJwt(home.body.access_token as string).iss).toBe(eu2);
    expect(decodeJwt(home.body.id_token as string).iss).toBe(eu2);
  });

  it('issues tokens that verify against eu2\'s key set and are refused by a verifier pinned to us2', async () => {
    const token = (await postToken(eu2, passwordForm())).body.access_token as string;
    const euKeys = createLocalJWKSet((await getJson(`${eu2}/oauth2/v0/jwks`)).body as never);
    const { payload } = await jwtVerify(token, euKeys, { issuer: eu2 });
    expect(payload.iss).toBe(eu2);
    const usKeys = createLocalJWKSet((await getJson(`${us2}/oauth2/v0/jwks`)).body as never);
    await expect(jwtVerify(token, usKeys, { issuer: us2 })).rejects.toThrow(/iss/);
  });

  it('answers a protected API call with another datacenter\'s token 401, and serves it at home', async () => {
    const token = (await postToken(eu2, passwordForm())).body.access_token as string;
    const away = await getJson(`${us2}/profile/v1/me`, { authorization: `Bearer ${token}` });
    expect(away.status).toBe(401);
    expect(away.headers.get('concur-correlationid')).toBeTruthy();
    const home = await getJson(`${eu2}/profile/v1/me`, { authorization: `Bearer ${token}` });
    expect(home.status, JSON.stringify(home.body)).toBe(200);
  });

  it('refreshes only at home: elsewhere 16 with the geolocation, and the refresh token still works', async () => {
    const refreshToken = (await postToken(eu2, passwordForm())).body.refresh_token as string;
    const form = { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: refreshToken };
    const away = await postToken(us2, form);
    expectCode(away, 16);
    expect(away.body.geolocation).toBe(eu2);
    const home = await postToken(eu2, form);
    expect(home.status, JSON.stringify(home.body)).toBe(200);
    expect(home.body.geolocation).toBe(eu2);
    expect(decodeJwt(home.body.access_token as string).iss).toBe(eu2);
  });

  it('answers OTP requests on the wrong datacenter 16 with the home geolocation', async () => {
    const form = { client_id: app.clientId, client_secret: app.clientSecret, channel_type: 'email', channel_handle: loginId };
    const away = await postForm(`${us2}/oauth2/v0/otp`, form);
    expectCode(away, 16);
    expect(away.body.geolocation).toBe(eu2);
    expect((await postForm(`${eu2}/oauth2/v0/otp`, form)).status).toBe(200);
  });

  it('converts a company request token on any datacenter, answering the home geolocation and iss', async () => {
    const { companyUUID, requestToken } = await generateRequestToken(t.server.core, app.clientId, euCompanyId);
    const converted = await postToken(us2, {
      grant_type: 'password', credtype: 'authtoken', client_id: app.clientId, client_secret: app.clientSecret, username: companyUUID, password: requestToken,
    });
    expect(converted.status, JSON.stringify(converted.body)).toBe(200);
    expect(converted.body.geolocation).toBe(eu2);
    expect(decodeJwt(converted.body.access_token as string).iss).toBe(eu2);
  });

  it('serves /authorize and the code exchange on any datacenter, answering the home geolocation and iss', async () => {
    const redirectUri = 'http://127.0.0.1:8123/callback';
    const web = await makeApp(t, { name: 'Web Sync', grants: ['authorization_code', 'refresh_token'], redirectUris: [redirectUri] });
    await enableAppForCompany(t.server.core, web.clientId, euCompanyId);
    const browser = new PageBrowser(us2);
    let answer = await browser.get(`/oauth2/v0/authorize?${new URLSearchParams({
      client_id: web.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid user.read', state: 's', nonce: 'n',
    })}`);
    if (answer.text.includes('name="login_id"')) answer = await browser.post(formAction(answer.text)!, { ...hiddenFields(answer.text), login_id: loginId, password });
    if (answer.text.includes('value="allow"')) answer = await browser.post(formAction(answer.text)!, { ...hiddenFields(answer.text), decision: 'allow' });
    expect(answer.status, answer.text).toBe(303);
    const params = paramsOf(answer.location);
    expect(params.geolocation).toBe(eu2);
    const token = await postToken(us2, { grant_type: 'authorization_code', client_id: web.clientId, client_secret: web.clientSecret, code: params.code!, redirect_uri: redirectUri });
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(token.body.geolocation).toBe(eu2);
    expect(decodeJwt(token.body.access_token as string).iss).toBe(eu2);
  });

  it('serves a company without a home datacenter on each, as that datacenter', async () => {
    const user = `sam-${randomUUID()}`;
    await createUser(t.server.core, { companyId: t.companyId, loginId: user, password });
    for (const base of [us2, eu2]) {
      const answer = await postToken(base, { ...passwordForm(), username: user });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.geolocation).toBe(base);
      expect(decodeJwt(answer.body.access_token as string).iss).toBe(base);
    }
  });

  it('lets the company administrator move the company between datacenters in the admin API, audited', async () => {
    const tenant = await makeTenant(t, 'Movers', `admin-${randomUUID()}`);
    const user = `lee-${randomUUID()}`;
    await createUser(t.server.core, { companyId: tenant.companyId, loginId: user, password });
    const form = { grant_type: 'password', credtype: 'password', client_id: tenant.app.clientId, client_secret: tenant.app.clientSecret, username: user, password };
    const admin = new AdminClient(us2);
    expect((await admin.signIn(tenant.adminLoginId)).status).toBe(200);
    expect((await admin.get('/company')).body).toMatchObject({ id: tenant.companyId, geolocation: null, datacenter: null, datacenters: [{ name: 'us2', url: us2 }, { name: 'eu2', url: eu2 }] });

    const moved = await admin.patch('/company', { datacenter: 'eu2' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ geolocation: eu2, datacenter: 'eu2' });
    const away = await postToken(us2, form);
    expectCode(away, 16);
    expect(away.body.geolocation).toBe(eu2);
    expect((await postToken(eu2, form)).status).toBe(200);

    const refused = expectConcurError(await admin.patch('/company', { datacenter: 'mars1' }), 400);
    expect(refused.fields?.[0]).toMatchObject({ field: 'datacenter' });
    expect(expectConcurError(await admin.patch('/company', {}), 400).fields?.[0]).toMatchObject({ field: 'datacenter' });
    expect((await admin.get('/company')).body.geolocation).toBe(eu2);

    const elsewhere = await admin.patch('/company', { datacenter: 'https://eu1.api.concursolutions.com/' });
    expect(elsewhere.body).toMatchObject({ geolocation: 'https://eu1.api.concursolutions.com', datacenter: null });
    expect((await admin.patch('/company', { datacenter: null })).body).toMatchObject({ geolocation: null });
    expect((await postToken(us2, form)).body.geolocation).toBe(us2);

    await t.server.core.audit.flush();
    const events = await t.server.core.store.audit.query({ companyId: tenant.companyId, action: 'company.datacenter-changed', limit: 10 });
    const details = events.items.map((event) => event.detail);
    expect(details).toContainEqual({ from: null, to: eu2 });
    expect(details).toContainEqual({ from: 'https://eu1.api.concursolutions.com', to: null });
  });
});

/** A free loopback port now (so every node can be given the same full list of datacenter URLs). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('two nodes on one store, each one datacenter of the same list', () => {
  let store: Store;
  let schema: string | undefined;
  let usNode: TestServer;
  let euNode: TestServer;
  let us2: string;
  let eu2: string;
  const secretKey = `datacenters-${randomUUID()}`;

  beforeAll(async () => {
    if (testStoreKind === 'postgres') {
      schema = freshSchemaName();
      store = await openPostgresStore(testDatabaseUrl, { schema, maxConnections: 4 });
    } else {
      store = await openSqliteStore(':memory:');
    }
    us2 = `http://127.0.0.1:${await freePort()}`;
    eu2 = `http://127.0.0.1:${await freePort()}`;
    const datacenters = `us2=${us2},eu2=${eu2}`;
    const shared = { ...store, close: async () => undefined } as Store;
    usNode = await startTestServer({ store: shared, settings: { datacenters, nodeDatacenters: 'us2', secretKey } });
    euNode = await startTestServer({ store: shared, settings: { datacenters, nodeDatacenters: 'eu2', secretKey } });
  });
  afterAll(async () => {
    await euNode?.close();
    await usNode?.close();
    await store?.close();
    if (schema) await dropSchema(schema);
  });

  it('serves only its own datacenter, and sends each user home with 16', async () => {
    expect(usNode.server.datacenters).toEqual({ us2 });
    expect(euNode.server.datacenters).toEqual({ eu2 });
    const company = await createCompany(usNode.server.core, { name: 'EU Co', geolocation: eu2 });
    const app = await makeApp(usNode, { name: 'Expense Sync' }, company.id);
    const loginId = `kim-${randomUUID()}`;
    await createUser(usNode.server.core, { companyId: company.id, loginId, password });
    const form = { grant_type: 'password', credtype: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: loginId, password };
    const away = await postToken(us2, form);
    expectCode(away, 16);
    expect(away.body.geolocation).toBe(eu2);
    const home = await postToken(eu2, form);
    expect(home.status, JSON.stringify(home.body)).toBe(200);
    expect(decodeJwt(home.body.access_token as string).iss).toBe(eu2);
    expect((await getJson(`${eu2}/.well-known/openid-configuration`)).body.issuer).toBe(eu2);
    expect((await getJson(`${us2}/.well-known/openid-configuration`)).body.issuer).toBe(us2);
  });
});

/** GET over node:https trusting exactly `ca` (the data dir's self-signed certificate). */
function getTrusting(url: string, ca: string): Promise<{ status: number; body: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('datacenters over HTTPS, and the request decoration', () => {
  it('serves every datacenter over TLS with its own issuer, and tells routes the datacenter', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
    const server = await createServer(loadSettings({
      dataDir, https: true, logLevel: 'silent', datacenters: ['us2=https://127.0.0.1:0', 'eu2=https://127.0.0.1:0'],
    }, {}));
    server.app.get('/test/datacenter', async (request) => ({ datacenter: request.datacenter ?? null }));
    try {
      expect(await server.listen()).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(join(dataDir, 'localhost-cert.pem'), 'utf8');
      for (const [name, base] of Object.entries(server.datacenters)) {
        expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        expect((await getTrusting(`${base}/.well-known/openid-configuration`, ca)).body.issuer).toBe(base);
        expect((await getTrusting(`${base}/test/datacenter`, ca)).body).toEqual({ datacenter: name });
      }
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('leaves one datacenter as it was: no name on requests, the geolocation as `default`', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
    const server = await createServer(loadSettings({ dataDir, port: 0, logLevel: 'silent' }, {}));
    server.app.get('/test/datacenter', async (request) => ({ datacenter: request.datacenter ?? null }));
    try {
      expect(server.datacenters).toEqual({});
      const url = await server.listen();
      expect(server.datacenters).toEqual({ default: url });
      expect((await getJson(`${url}/test/datacenter`)).body).toEqual({ datacenter: null });
      expect((await getJson(`${url}/.well-known/openid-configuration`)).body.issuer).toBe(url);
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('emulator faults by datacenter', () => {
  it('fires a rule matching a datacenter name only on that datacenter\'s listener', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
    const server = await createServer(loadSettings({
      dataDir, emulator: true, logLevel: 'silent', datacenters: ['us2=http://127.0.0.1:0', 'eu2=http://127.0.0.1:0'],
    }, {}));
    try {
      await server.listen();
      const { us2, eu2 } = server.datacenters as Record<'us2' | 'eu2', string>;
      const added = await fetch(`${us2}/emulator/v0/faults`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ match: { path: '/oauth2/v0/jwks', datacenter: 'eu2' }, effect: { type: 'http-status', status: 503 } }),
      });
      expect(added.status).toBe(201);
      expect((await fetch(`${us2}/oauth2/v0/jwks`)).status).toBe(200);
      expect((await fetch(`${eu2}/oauth2/v0/jwks`)).status).toBe(503);
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
