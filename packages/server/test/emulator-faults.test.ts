/**
 * Emulator mode's faults on demand (docs/emulator.md, docs/protocol.md Decision 19): rules added
 * over HTTP make the next matching requests fail as described, for a count or a share of them,
 * and a client (fetch, the SDK) sees each effect. Runs on SQLite, and on PostgreSQL with
 * TESSERA_TEST_STORE=postgres.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultRules, faultMatches, type RequestFacts } from 'tessera-server';
import { isConcurError, TokenManager } from 'tessera-client';
import { convertRequestToken, makeApp, makeRequestToken, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
let app: Awaited<ReturnType<typeof makeApp>>;

beforeAll(async () => {
  t = await startTestServer({ settings: { emulator: true } });
  app = await makeApp(t);
});
afterEach(async () => {
  await fetch(`${t.url}/emulator/v0/faults`, { method: 'DELETE' });
});
afterAll(() => t.close());

async function addFault(rule: unknown) {
  const response = await fetch(`${t.url}/emulator/v0/faults`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule),
  });
  return { status: response.status, headers: response.headers, body: await response.json() as Record<string, any> };
}

async function listFaults(): Promise<Record<string, any>[]> {
  return ((await (await fetch(`${t.url}/emulator/v0/faults`)).json()) as { faults: Record<string, any>[] }).faults;
}

const clientCredentials = (extra: Record<string, string> = {}) =>
  postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, ...extra });

async function auditActions(action: string) {
  await t.server.core.audit.flush();
  return (await t.server.core.store.audit.query({ action, limit: 100 })).items;
}

describe('the faults API', () => {
  it('adds, lists with remaining counts, and clears one or all rules', async () => {
    const added = await addFault({ match: { path: '/oauth2/v0/token' }, effect: { type: 'http-status', status: 503 }, times: 2 });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ id: expect.any(String), remaining: 2, probability: 1, effect: { type: 'http-status', status: 503 } });
    expect(added.headers.get('concur-correlationid')).toBeTruthy();
    await addFault({ effect: { type: 'delay', ms: 1 } });
    expect(await listFaults()).toHaveLength(2);

    const one = await fetch(`${t.url}/emulator/v0/faults/${added.body.id}`, { method: 'DELETE' });
    expect(one.status).toBe(204);
    expect((await listFaults()).map((f) => f.effect.type)).toEqual(['delay']);
    const again = await fetch(`${t.url}/emulator/v0/faults/${added.body.id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: 404 });

    expect((await fetch(`${t.url}/emulator/v0/faults`, { method: 'DELETE' })).status).toBe(204);
    expect(await listFaults()).toEqual([]);
    expect((await auditActions('emulator.fault-added')).length).toBeGreaterThanOrEqual(2);
    expect((await auditActions('emulator.fault-cleared')).length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a malformed rule with a 400 naming the field, and adds nothing', async () => {
    for (const rule of [
      {}, { effect: { type: 'concur-error', code: 999 } }, { effect: { type: 'http-status', status: 404 } },
      { effect: { type: 'delay', ms: 60_001 } }, { effect: { type: 'explode' } }, { effect: { type: 'drop' }, times: 0 },
      { effect: { type: 'drop' }, probability: 1.5 }, { effect: { type: 'drop' }, match: { host: 'x' } }, { effect: { type: 'drop' }, extra: 1 },
    ]) {
      const answer = await addFault(rule);
      expect(answer.status, JSON.stringify(rule)).toBe(400);
      expect(answer.body).toMatchObject({ code: 400, error: 'invalid_request' });
      expect(answer.body.fields.length).toBeGreaterThan(0);
    }
    expect(await listFaults()).toEqual([]);
  });
});

describe('effects', () => {
  it('answers a Concur error code with its status and body for the next N matching requests, then the real answer', async () => {
    await addFault({ match: { path: '/oauth2/v0/token', grantType: 'client_credentials', clientId: app.clientId.toUpperCase() }, effect: { type: 'concur-error', code: 134 }, times: 2 });
    // Another grant type does not match.
    expect((await postToken(t.url, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: 'x' })).body.code).toBe(108);
    for (let i = 0; i < 2; i++) {
      const faulted = await clientCredentials();
      expect(faulted.status).toBe(503);
      expect(faulted.body).toEqual({ code: 134, error: 'invalid_request', error_description: 'Company undergoing scheduled maintenance' });
      expect(faulted.headers.get('concur-correlationid')).toBeTruthy();
    }
    expect((await clientCredentials()).status).toBe(200);
    expect(await listFaults()).toEqual([]);
    const fired = await auditActions('emulator.fault-fired');
    expect(fired.filter((e) => (e.detail?.effect as { code?: number })?.code === 134)).toHaveLength(2);
    expect(t.logs.filter((line) => line.msg === 'emulator.fault-fired' && line.correlationId).length).toBeGreaterThanOrEqual(2);
  });

  it('changes nothing when it answers instead of the route: the request token is still unused', async () => {
    const { companyUUID, requestToken } = await makeRequestToken(t, app.clientId);
    await addFault({ match: { principal: companyUUID }, effect: { type: 'http-status', status: 502 }, times: 1 });
    const form = { grant_type: 'password', credtype: 'authtoken', client_id: app.clientId, client_secret: app.clientSecret, username: companyUUID, password: requestToken };
    const faulted = await postToken(t.url, form);
    expect(faulted.status).toBe(502);
    expect(faulted.body).toEqual({ code: 500, error: 'server_error', error_description: 'internal error' });
    expect((await postToken(t.url, form)).status).toBe(200);
  });

  it('matches the principal of a login id, and the sub of a Bearer token', async () => {
    const user = await makeUser(t, `fault-${Date.now()}@example.com`, 'right password');
    await addFault({ match: { principal: user.loginId }, effect: { type: 'concur-error', code: 14 }, times: 1 });
    const locked = await postToken(t.url, { grant_type: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: user.loginId, password: 'right password' });
    expect(locked.body.code).toBe(14);

    const tokens = await convertRequestToken(t, app.clientId, app.clientSecret);
    const sub = JSON.parse(Buffer.from(tokens.body.access_token.split('.')[1], 'base64url').toString('utf8')).sub as string;
    await addFault({ match: { path: '/profile/v1/me', principal: sub }, effect: { type: 'concur-error', code: 401 }, times: 1 });
    const me = () => fetch(`${t.url}/profile/v1/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    expect((await me()).status).toBe(401);
    expect((await me()).status).toBe(200);
  });

  it('matches the datacenter answering by its base URL or host, and no other', async () => {
    await addFault({ match: { datacenter: 'https://eu2.example' }, effect: { type: 'http-status', status: 500 } });
    expect((await clientCredentials()).status).toBe(200);
    await addFault({ match: { datacenter: new URL(t.url).host }, effect: { type: 'http-status', status: 504 }, times: 1 });
    expect((await clientCredentials()).status).toBe(504);
    await addFault({ match: { datacenter: `${t.url}/` }, effect: { type: 'http-status', status: 503 }, times: 1 });
    expect((await clientCredentials()).status).toBe(503);
  });

  it('delays the real answer by at least the delay', async () => {
    await addFault({ match: { path: '/oauth2/v0/token' }, effect: { type: 'delay', ms: 400 }, times: 1 });
    const started = Date.now();
    const answer = await clientCredentials();
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBe(200);
    expect(answer.body.access_token).toBeTruthy();
  });

  it('drops the connection without an answer: fetch and the SDK see a socket error', async () => {
    await addFault({ match: { path: '/oauth2/v0/token' }, effect: { type: 'drop' }, times: 2 });
    const error = await clientCredentials().then(() => undefined, (e: unknown) => e as Error & { cause?: { code?: string } });
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.cause?.code).toMatch(/UND_ERR_SOCKET|ECONNRESET/);

    const manager = new TokenManager({ clientId: app.clientId, clientSecret: app.clientSecret, datacenter: t.url, retry: false });
    const sdkError = await manager.clientCredentials().then(() => undefined, (e: unknown) => e);
    expect(isConcurError(sdkError) && sdkError.code).toBe('ERR_NETWORK');
    expect((await clientCredentials()).status).toBe(200);
  });

  it('truncates the answer: the body does not parse as JSON', async () => {
    await addFault({ match: { path: '/oauth2/v0/token' }, effect: { type: 'truncate' }, times: 1 });
    const response = await fetch(`${t.url}/oauth2/v0/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret }).toString(),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('concur-correlationid')).toBeTruthy();
    await expect(response.json()).rejects.toBeInstanceOf(SyntaxError);
  });

  it('lets the SDK retry past a 503 it is told to expect', async () => {
    await addFault({ match: { path: '/oauth2/v0/token' }, effect: { type: 'http-status', status: 503 }, times: 1 });
    const manager = new TokenManager({ clientId: app.clientId, clientSecret: app.clientSecret, datacenter: t.url, retry: { retries: 2, minDelayMs: 10, maxDelayMs: 20 } });
    expect((await manager.clientCredentials()).accessToken).toBeTruthy();
    expect(await listFaults()).toEqual([]);
  });

  it('counts atomically: of concurrent matching requests exactly N are faulted', async () => {
    await addFault({ match: { path: '/oauth2/v0/token' }, effect: { type: 'concur-error', code: 429 }, times: 3 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => clientCredentials()));
    expect(answers.filter((a) => a.status === 429)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(7);
  });

  it('fires by probability: 0 never, 1 always', async () => {
    await addFault({ match: { path: '/oauth2/v0/token' }, effect: { type: 'http-status', status: 500 }, probability: 0 });
    for (let i = 0; i < 5; i++) expect((await clientCredentials()).status).toBe(200);
    await fetch(`${t.url}/emulator/v0/faults`, { method: 'DELETE' });
    await addFault({ match: { path: '/oauth2/v0/token' }, effect: { type: 'http-status', status: 500 }, probability: 1 });
    for (let i = 0; i < 3; i++) expect((await clientCredentials()).status).toBe(500);
    expect((await listFaults())[0]).toMatchObject({ remaining: null, fired: 3 });
  });

  it('never faults the emulator routes themselves', async () => {
    await addFault({ effect: { type: 'drop' } });
    expect(await listFaults()).toHaveLength(1);
    expect((await fetch(`${t.url}/emulator/v0/faults`, { method: 'DELETE' })).status).toBe(204);
  });
});

describe('the matcher and the counting (pure)', () => {
  const facts: RequestFacts = { path: '/oauth2/v0/token', grantType: 'password', clientId: 'ABC', principals: ['pat@example.com'], datacenters: ['https://us2.example', 'us2.example'] };

  it('holds only when every criterion it names holds', () => {
    expect(faultMatches({}, facts)).toBe(true);
    expect(faultMatches({ path: '/oauth2/v0/token/' }, facts)).toBe(true);
    expect(faultMatches({ path: '/oauth2/*' }, facts)).toBe(true);
    expect(faultMatches({ path: '/oauth2/v0/otp' }, facts)).toBe(false);
    expect(faultMatches({ grantType: 'password', clientId: 'abc', principal: 'PAT@example.com' }, facts)).toBe(true);
    expect(faultMatches({ grantType: 'password', clientId: 'abd' }, facts)).toBe(false);
    expect(faultMatches({ principal: 'someone@example.com' }, facts)).toBe(false);
    expect(faultMatches({ datacenter: 'https://us2.example/' }, facts)).toBe(true);
    expect(faultMatches({ datacenter: 'eu2.example' }, facts)).toBe(false);
  });

  it('fires by the probability it was given, and stops after its times', () => {
    let next = 0.3;
    const rules = new FaultRules(() => Date.now(), () => next);
    rules.add({ effect: { type: 'drop' }, probability: 0.5, times: 2 });
    expect(rules.take(facts)?.remaining).toBe(1);
    next = 0.7;
    expect(rules.take(facts)).toBeUndefined();
    next = 0.1;
    expect(rules.take(facts)?.remaining).toBe(0);
    expect(rules.list()).toEqual([]);
  });
});
