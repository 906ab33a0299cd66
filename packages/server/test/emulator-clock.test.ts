/**
 * Emulator mode's movable clock over HTTP (docs/emulator.md, docs/protocol.md Decision 19): each
 * time-dependent rule follows `POST /emulator/v0/clock`, and a move runs the sweeper turn at once.
 * Runs on SQLite, and on PostgreSQL with TESSERA_TEST_STORE=postgres.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUser, listKeys, type SettingsInput } from 'tessera-server';
import { AdminClient, makeAdmin } from './admin-helpers.js';
import { formAction, hiddenFields, PageBrowser, paramsOf } from './authorize-helpers.js';
import { expectConcurError, passwordForm, refreshForm } from './e2e-helpers.js';
import { convertRequestToken, makeApp, makeRequestToken, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';

const password = 'right password';
const loose: SettingsInput = {
  rateLimitPerClient: 0, rateLimitPerAddress: 0, failureBudgetPerClient: 0, failureBudgetPerLoginId: 0, failureBudgetPerAddress: 0,
};

async function clockCall(t: TestServer, body?: unknown) {
  const response = await fetch(`${t.url}/emulator/v0/clock`, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() as Record<string, any> };
}

async function advance(t: TestServer, duration: string) {
  const answer = await clockCall(t, { advance: duration });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

const me = (t: TestServer, accessToken: string) => fetch(`${t.url}/profile/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { iat: number; exp: number };

describe('the clock API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { emulator: true } });
  });
  afterAll(() => t.close());

  it('shows, advances, sets and resets the clock', async () => {
    const start = await clockCall(t);
    expect(start.status).toBe(200);
    expect(start.body.offsetSeconds).toBe(0);
    expect(Math.abs(Date.parse(start.body.now) - Date.now())).toBeLessThan(5000);
    expect(start.headers.get('concur-correlationid')).toBeTruthy();

    expect((await advance(t, '181d')).offsetSeconds).toBe(181 * 86400);
    expect((await advance(t, 'P1DT2H')).offsetSeconds).toBe(182 * 86400 + 7200);
    const set = await clockCall(t, { set: '2030-06-01T00:00:00Z' });
    expect(set.status).toBe(200);
    expect(Math.abs(Date.parse(set.body.now) - Date.parse('2030-06-01T00:00:00Z'))).toBeLessThan(5000);
    const reset = await clockCall(t, { reset: true });
    expect(reset.body.offsetSeconds).toBe(0);
  });

  it('refuses a malformed move with a 400 naming the field, and does not move', async () => {
    for (const body of [{}, { advance: '3 weeks' }, { advance: '1d', reset: true }, { set: 'tomorrow' }, { reset: false }, { advance: 'P' }, { warp: '1d' }]) {
      const answer = await clockCall(t, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({ code: 400, error: 'invalid_request' });
      expect(answer.body.fields.length).toBeGreaterThan(0);
      expect(answer.headers.get('concur-correlationid')).toBeTruthy();
    }
    expect((await clockCall(t)).body.offsetSeconds).toBe(0);
  });

  it('moves the same way from this process (an embedding test), sweeping before it answers', async () => {
    expect((await t.server.emulator!.moveClock({ advance: '2h' })).offsetSeconds).toBe(7200);
    t.server.emulator!.clock.advance(3600_000);
    await t.server.emulator!.settled();
    expect((await clockCall(t)).body.offsetSeconds).toBe(10800);
    await t.server.emulator!.moveClock({ reset: true });
  });

  it('announces emulator mode on /readyz', async () => {
    expect(await (await fetch(`${t.url}/readyz`)).json()).toMatchObject({ status: 'ready', emulator: true });
  });

  it('records every move in the audit trail', async () => {
    await advance(t, '1h');
    await clockCall(t, { reset: true });
    await t.server.core.audit.flush();
    const events = await t.server.core.store.audit.query({ action: 'emulator.clock-moved', limit: 10 });
    expect(events.items.map((e) => e.detail?.move)).toEqual(expect.arrayContaining(['advance', 'reset']));
  });
});

describe('time-dependent rules follow the moved clock', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { ...loose, emulator: true, maxFailedLogins: 3, lockoutSeconds: 600 } });
  });
  afterEach(async () => {
    await clockCall(t, { reset: true });
  });
  afterAll(() => t.close());

  it('expires an access token after 60 minutes (401 on /profile/v1/me); iat and exp follow the clock', async () => {
    const app = await makeApp(t);
    await advance(t, '30d');
    const tokens = await convertRequestToken(t, app.clientId, app.clientSecret);
    expect(tokens.status).toBe(200);
    const claims = claimsOf(tokens.body.access_token);
    expect(Math.abs(claims.iat * 1000 - (Date.now() + 30 * 86400_000))).toBeLessThan(10_000);
    expect(claims.exp - claims.iat).toBe(3600);
    expect((await me(t, tokens.body.access_token)).status).toBe(200);
    await advance(t, '61m');
    const expired = await me(t, tokens.body.access_token);
    expect(expired.status).toBe(401);
  });

  it('expires a request token after 24 hours (136)', async () => {
    const app = await makeApp(t);
    const { companyUUID, requestToken } = await makeRequestToken(t, app.clientId);
    await advance(t, '25h');
    expectConcurError(await postToken(t.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: app.clientId, client_secret: app.clientSecret, username: companyUUID, password: requestToken,
    }), 136);
  });

  it('expires a refresh token after 181 idle days (108); a refresh at day 170 keeps it alive past day 181', async () => {
    const app = await makeApp(t);
    const idle = await convertRequestToken(t, app.clientId, app.clientSecret);
    const kept = await convertRequestToken(t, app.clientId, app.clientSecret);
    await advance(t, '170d');
    const refreshed = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, kept.body.refresh_token));
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    await advance(t, '11d');
    expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, idle.body.refresh_token)), 108);
    expect((await postToken(t.url, refreshForm(app.clientId, app.clientSecret, refreshed.body.refresh_token))).status).toBe(200);
  });

  it('deactivates an app unused for 12 months (59), at the move itself (the sweeper turn)', async () => {
    const app = await makeApp(t);
    expect((await convertRequestToken(t, app.clientId, app.clientSecret)).status).toBe(200);
    await advance(t, '366d');
    // The sweeper turn of the move has already disabled it: no request needed.
    expect((await t.server.core.store.apps.get(app.clientId))?.enabled).toBe(false);
    expectConcurError(await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret }), 59);
  });

  it('lifts a lockout (14) after its window', async () => {
    const app = await makeApp(t);
    const user = await makeUser(t, `locked-${randomUUID()}@example.com`, password);
    const attempt = (pw: string) => postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, pw));
    for (const expected of [5, 5, 14]) expectConcurError(await attempt('wrong'), expected);
    expectConcurError(await attempt(password), 14);
    await advance(t, '11m');
    expect((await attempt(password)).status).toBe(200);
  });

  it('expires an authorization code after 10 minutes (103)', async () => {
    const redirectUri = 'https://app.example/callback';
    const app = await makeApp(t, { grants: ['authorization_code', 'refresh_token'], redirectUris: [redirectUri] });
    const user = await makeUser(t, `code-${randomUUID()}@example.com`, password);
    const browser = new PageBrowser(t.url);
    let answer = await browser.get(`/oauth2/v0/authorize?${new URLSearchParams({
      client_id: app.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid user.read', state: 's', nonce: 'n-1',
    })}`);
    if (answer.status === 200 && answer.text.includes('name="login_id"')) {
      answer = await browser.post(formAction(answer.text)!, { ...hiddenFields(answer.text), login_id: user.loginId, password });
    }
    if (answer.status === 200 && answer.text.includes('value="allow"')) {
      answer = await browser.post(formAction(answer.text)!, { ...hiddenFields(answer.text), decision: 'allow' });
    }
    expect(answer.status, answer.location).toBe(303);
    const code = paramsOf(answer.location).code!;
    await advance(t, '11m');
    expectConcurError(await postToken(t.url, {
      grant_type: 'authorization_code', client_id: app.clientId, client_secret: app.clientSecret, code, redirect_uri: redirectUri,
    }), 103);
  });

  it('expires an OTP after 15 minutes (83)', async () => {
    const app = await makeApp(t, { grants: ['otp', 'refresh_token'] });
    const adminLogin = `otp-admin2-${randomUUID()}`;
    await makeAdmin(t, adminLogin);
    const admin = new AdminClient(t.url);
    expect((await admin.signIn(adminLogin)).status).toBe(200);
    const email = `user-${randomUUID()}@acme.example`;
    await createUser(t.server.core, { companyId: t.companyId, loginId: `u-${randomUUID()}`, password, email });
    const form = { client_id: app.clientId, client_secret: app.clientSecret, channel_type: 'email', channel_handle: email };
    const sent = await fetch(`${t.url}/oauth2/v0/otp`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(),
    });
    expect(sent.status).toBe(200);
    const outbox = await admin.request('GET', '/admin/api/outbox');
    const otp = (outbox.body as { to: string; text: string }[]).find((m) => m.to === email)!.text.match(/dd-[a-z0-9]{30}/)![0];
    await advance(t, '16m');
    expectConcurError(await postToken(t.url, { grant_type: 'otp', ...form, otp }), 83);
  });

  it('ends an idle admin console session after 30 minutes', async () => {
    const loginId = `session-admin-${randomUUID()}`;
    await makeAdmin(t, loginId);
    const admin = new AdminClient(t.url);
    expect((await admin.signIn(loginId)).status).toBe(200);
    expect((await admin.request('GET', '/admin/api/apps')).status).toBe(200);
    await advance(t, '31m');
    expect((await admin.request('GET', '/admin/api/apps')).status).toBe(401);
  });
});

describe('windows and key rotation follow the moved clock', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { ...loose, emulator: true, rateLimitPerClient: 2, rateLimitWindowSeconds: 60 } });
  });
  afterAll(() => t.close());

  it('opens a new rate-limit window once the clock passes the old one', async () => {
    const app = await makeApp(t);
    const call = () => postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    expectConcurError(await call(), 429);
    await advance(t, '61s');
    expect((await call()).status).toBe(200);
  });

  it('rotates the signing key when it falls due, at the move itself; the new key signs once published long enough', async () => {
    const app = await makeApp(t);
    const call = () => postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
    await advance(t, '2m');
    const before = await call();
    expect(before.status).toBe(200);
    const oldKid = kidOf(before.body.access_token);
    expect(await listKeys(t.server.core)).toHaveLength(1);
    await advance(t, '91d');
    const keys = await listKeys(t.server.core);
    expect(keys).toHaveLength(2);
    const jwks = await (await fetch(`${t.url}/oauth2/v0/jwks`)).json() as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining(keys.map((k) => k.kid)));
    await advance(t, '1d');
    const after = await call();
    expect(after.status).toBe(200);
    expect(kidOf(after.body.access_token)).not.toBe(oldKid);

    // Days later the sweeper has removed the old key; back before the new key's activation nothing
    // would sign, so a key that signs from then on is made.
    await advance(t, '3d');
    expect(await listKeys(t.server.core)).toHaveLength(1);
    await clockCall(t, { reset: true });
    const back = await call();
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(await listKeys(t.server.core)).toHaveLength(2);
  });
});

describe('without emulator mode', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('has no /emulator routes: each answers 404 like any unknown path, and /readyz does not mention it', async () => {
    const routes: [string, string][] = [
      ['GET', '/emulator/v0/clock'], ['POST', '/emulator/v0/clock'], ['GET', '/emulator/v0/faults'], ['POST', '/emulator/v0/faults'],
      ['DELETE', '/emulator/v0/faults'], ['DELETE', '/emulator/v0/faults/00000000-0000-4000-8000-000000000000'],
    ];
    const unknown = await fetch(`${t.url}/no/such/path`);
    for (const [method, path] of routes) {
      const answer = await fetch(`${t.url}${path}`, method === 'POST' ? { method, headers: { 'content-type': 'application/json' }, body: '{"advance":"1d"}' } : { method });
      expect(answer.status, `${method} ${path}`).toBe(unknown.status);
      expect(await answer.json()).toMatchObject({ code: 404, error_description: `no resource at ${method} ${path}` });
    }
    expect(await (await fetch(`${t.url}/readyz`)).json()).not.toHaveProperty('emulator');
    expect(t.server.emulator).toBeUndefined();
  });

  it('refuses emulator mode on a host other than loopback unless forced', async () => {
    const { loadSettings } = await import('tessera-server');
    expect(() => loadSettings({ emulator: true, host: '0.0.0.0' }, {})).toThrow(/loopback/);
    expect(() => loadSettings({}, { TESSERA_EMULATOR: '1', TESSERA_HOST: '10.0.0.5' })).toThrow(/TESSERA_EMULATOR_ALLOW_REMOTE/);
    expect(loadSettings({ emulator: true, host: '0.0.0.0', emulatorAllowRemote: true }, {}).emulator).toBe(true);
    expect(loadSettings({ emulator: true, host: '::1' }, {}).emulator).toBe(true);
  });
});
