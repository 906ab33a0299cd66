/**
 * What operators see (docs/protocol.md §9, Decision 5): the `concur-correlationid` on every
 * response and every log line, an audit trail of issued, refused and revoked tokens, and never a
 * secret in either: not a client secret, password, request token, refresh token or access token.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredAuditEvent } from 'tessera-server';
import { createLoggers } from '../src/logger.js';
import { makeApp, makeRequestToken, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';
import { authtokenForm, expectConcurError, passwordForm, postRaw, refreshForm, send, uuidPattern } from './e2e-helpers.js';

const password = 'Sup3r-Secret-Passw0rd!';
let t: TestServer;
let app: Awaited<ReturnType<typeof makeApp>>;

beforeAll(async () => {
  // trace: the most the server ever logs, so that "no secret in any line" covers every line it can write
  t = await startTestServer({ settings: { logLevel: 'trace', bodyLimit: 2048 } });
  app = await makeApp(t);
  await makeUser(t, 'olivia@observe.test', password);
});
afterAll(async () => t?.close());

const correlation = (res: { headers: Headers }) => res.headers.get('concur-correlationid');

describe('concur-correlationid', () => {
  it('is echoed when the client sends one, free text included, on successes, errors and 404s', async () => {
    const id = 'nameofapp';
    const h = { 'concur-correlationid': id };
    const answers = [
      await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret }, { headers: h }),
      await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: randomUUID() }, { headers: h }),
      await postToken(t.url, { grant_type: 'client_credentials' }, { headers: { 'Concur-CorrelationId': 'githubwiki' } }),
      await postRaw(t.url, 'a'.repeat(4096), 'application/x-www-form-urlencoded', h),
      await postRaw(t.url, '{}', 'application/json', h),
      await send(t.url, '/nope', { headers: h }),
      await send(t.url, '/profile/v1/me', { headers: h }),
      await send(t.url, '/healthz', { headers: h }),
      await send(t.url, '/readyz', { headers: h }),
      await send(t.url, '/oauth2/v0/jwks', { headers: h }),
      await send(t.url, '/.well-known/openid-configuration', { headers: h }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 401, 400, 413, 400, 404, 401, 200, 200, 200, 200]);
    expect(answers.map(correlation)).toEqual([id, id, 'githubwiki', id, id, id, id, id, id, id, id]);
  });

  it('is a fresh UUID when none (or an unusable one) is sent', async () => {
    const answers = [
      await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret }),
      await postToken(t.url, { grant_type: 'nope', client_id: app.clientId, client_secret: app.clientSecret }),
      await send(t.url, '/nope'),
      await send(t.url, '/healthz'),
      await send(t.url, '/healthz', { headers: { 'concur-correlationid': 'x'.repeat(500) } }),
      await send(t.url, '/healthz', { headers: { 'concur-correlationid': 'na\u00efve' } }),
      await send(t.url, '/healthz', { headers: { 'concur-correlationid': 'tab\there' } }),
    ];
    const ids = answers.map(correlation);
    for (const id of ids) expect(id).toMatch(uuidPattern);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every captured log line carries a correlation id, and a request\'s lines carry its own', async () => {
    const id = `observe-${randomUUID()}`;
    await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: randomUUID() }, { headers: { 'concur-correlationid': id } });
    await send(t.url, '/nope', { headers: { 'concur-correlationid': `${id}-404` } });
    expect(t.logs.length).toBeGreaterThan(0);
    for (const line of t.logs) {
      expect(typeof line.correlationId, JSON.stringify(line)).toBe('string');
      expect((line.correlationId as string).length).toBeGreaterThan(0);
    }
    const own = t.logs.filter((line) => line.correlationId === id);
    expect(own.length).toBeGreaterThanOrEqual(2); // at least the request and its answer
    expect(own.some((line) => line.code === 64)).toBe(true);
    expect(t.logs.some((line) => line.correlationId === `${id}-404`)).toBe(true);
  });
});

describe('secrets never reach the logs or the audit trail', () => {
  const secrets: Record<string, string> = {};
  let events: StoredAuditEvent[] = [];
  const run = `secret-run-${randomUUID()}`;

  beforeAll(async () => {
    const h = { 'concur-correlationid': run };
    secrets.clientSecret = app.clientSecret;
    secrets.password = password;
    const { requestToken } = await makeRequestToken(t, app.clientId);
    secrets.requestToken = requestToken;

    const user = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, 'olivia@observe.test', password), { headers: h });
    expect(user.status).toBe(200);
    const company = await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, t.companyId, requestToken), { headers: h });
    expect(company.status).toBe(200);
    secrets.userRefresh = user.body.refresh_token;
    secrets.companyRefresh = company.body.refresh_token;
    secrets.userAccess = user.body.access_token;
    secrets.companyAccess = company.body.access_token;
    secrets.idToken = user.body.id_token;

    const basic = Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64');
    secrets.basic = basic;
    const wrongSecret = randomUUID();
    secrets.wrongSecret = wrongSecret;
    const wrongPassword = `Wr0ng-${randomUUID()}`;
    secrets.wrongPassword = wrongPassword;
    const form = 'application/x-www-form-urlencoded';

    const attempts = [
      postToken(t.url, refreshForm(app.clientId, app.clientSecret, secrets.userRefresh!), { headers: h }),
      postToken(t.url, { grant_type: 'client_credentials' }, { headers: { ...h, authorization: `Basic ${basic}` } }),
      postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: wrongSecret }, { headers: h }),
      postToken(t.url, passwordForm(app.clientId, app.clientSecret, 'olivia@observe.test', wrongPassword), { headers: h }),
      postToken(t.url, passwordForm(app.clientId, app.clientSecret, 'olivia@observe.test', password, { scope: 'nope.read' }), { headers: h }),
      postToken(t.url, refreshForm(app.clientId, app.clientSecret, secrets.companyRefresh!, { scope: 'nope.read' }), { headers: h }),
      postToken(t.url, authtokenForm(app.clientId, app.clientSecret, randomUUID(), requestToken), { headers: h }),
      postToken(t.url, refreshForm(app.clientId, wrongSecret, secrets.userRefresh!), { headers: h }),
      postToken(t.url, { grant_type: 'client_credentials', client_secret: app.clientSecret }, { headers: { ...h, authorization: `Basic ${basic}` } }),
      postToken(t.url, { grant_type: 'client_credentials' }, { headers: { ...h, authorization: `Bearer ${secrets.userAccess}` } }),
      send(t.url, `/oauth2/v0/token?client_secret=${app.clientSecret}&password=${encodeURIComponent(password)}&refresh_token=${secrets.userRefresh}`,
        { method: 'POST', headers: { ...h, 'content-type': form }, body: `grant_type=client_credentials&client_id=${app.clientId}&client_secret=${app.clientSecret}` }),
      postRaw(t.url, `{"client_id":"${app.clientId}","client_secret":"${app.clientSecret}"x, "password":"${password}"`, 'application/json', h),
      postRaw(t.url, `client_secret=${app.clientSecret}&password=${encodeURIComponent(password)}&refresh_token=${secrets.userRefresh}&pad=${'p'.repeat(2048)}`, form, h),
      postRaw(t.url, `client_secret=${app.clientSecret}&client_secret=${app.clientSecret}&password=${encodeURIComponent(password)}&password=x`, form, h),
      postRaw(t.url, `grant_type=password&client_id=${app.clientId}&client_secret=${app.clientSecret}&username=${requestToken}&password=${requestToken}`, form, h),
      postRaw(t.url, `client_secret=${app.clientSecret}`, 'text/plain', h),
      send(t.url, `/nope?client_secret=${app.clientSecret}&access_token=${secrets.userAccess}`, { headers: h }),
      send(t.url, '/profile/v1/me', { token: secrets.userAccess, headers: h }),
      send(t.url, '/profile/identity/v4/Users', { token: secrets.companyAccess, headers: h }),
      send(t.url, '/profile/v1/me', { token: `${secrets.userAccess}x`, headers: h }),
      send(t.url, '/profile/v1/me', { token: secrets.idToken, headers: h }),
    ];
    for (const attempt of attempts) await attempt;

    // a request the HTTP parser refuses, with secrets in it
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
      socket.on('data', () => {}); // read the answer, so the socket can end and close
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.write(`POST /oauth2/v0/token?client_secret=${app.clientSecret} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 9\r\n`
        + `Authorization: Basic ${basic}\r\n\r\npassword=${encodeURIComponent(password)}`);
      setTimeout(() => socket.end(), 200);
    });

    const disconnect = await send(t.url, '/app-mgmt/v0/connections', { method: 'DELETE', token: secrets.userAccess, headers: h });
    expect(disconnect.status).toBe(200);

    await t.server.core.audit.flush();
    events = (await t.server.core.store.audit.query({ limit: 1000 })).items;
  });

  /** The secret and every 12-character piece of it (for JWTs, of the signature), so a partial leak is caught too. */
  function fragments(value: string): string[] {
    const secretPart = value.split('.').length === 3 ? value.split('.')[2]! : value;
    const pieces = [value];
    for (let i = 0; i + 12 <= secretPart.length; i += 4) pieces.push(secretPart.slice(i, i + 12));
    return pieces;
  }

  /** Every string in a log line, with Buffers (a raw packet) decoded back to text. */
  function flatten(value: unknown): string {
    if (value && typeof value === 'object') {
      const v = value as { type?: unknown; data?: unknown };
      if (v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data as number[]).toString('latin1');
      return Object.entries(value).map(([k, x]) => `${k} ${flatten(x)}`).join('\n');
    }
    return String(value);
  }

  it('one line per request, a summary: method, path, address, status and time, never the raw request or reply', () => {
    expect(t.logs.filter((line) => line.msg === 'incoming request')).toEqual([]);
    const completed = t.logs.filter((line) => line.msg === 'request completed');
    expect(completed.length).toBeGreaterThan(10);
    for (const line of completed) {
      expect(Object.keys(line.req as object).sort()).toEqual(['method', 'path', 'remoteAddress']);
      expect(line.res).toEqual({ statusCode: expect.any(Number) });
      expect(line.responseTime).toEqual(expect.any(Number));
      expect(line.correlationId).toEqual(expect.any(String));
    }
    for (const line of t.logs) expect(JSON.stringify(line).length, String(line.msg)).toBeLessThan(4000);
  });

  it('no log line holds any secret, whole or in part', () => {
    expect(t.logs.some((line) => line.correlationId === run)).toBe(true);
    const text = t.logs.map(flatten).join('\n');
    const encodedPassword = encodeURIComponent(password);
    for (const [name, value] of Object.entries({ ...secrets, encodedPassword })) {
      for (const piece of fragments(value)) {
        expect(text.includes(piece), `${name} (${piece}) appears in a log line`).toBe(false);
      }
    }
  });

  it('no audit event holds any secret, whole or in part', () => {
    expect(events.length).toBeGreaterThan(0);
    const text = JSON.stringify(events);
    for (const [name, value] of Object.entries(secrets)) {
      for (const piece of fragments(value)) {
        expect(text.includes(piece), `${name} (${piece}) appears in an audit event`).toBe(false);
      }
    }
  });

  it('audit events record issued, refused and revoked tokens under the request\'s correlation id', () => {
    const ours = events.filter((e) => e.correlationId === run);
    const issued = ours.filter((e) => e.action === 'token.issued');
    expect(issued.map((e) => e.detail?.grantType).sort()).toEqual(['client_credentials', 'password', 'password', 'refresh_token']);
    for (const e of issued) {
      expect(e).toMatchObject({ outcome: 'success', appId: app.clientId });
      expect(e.principalId).toBeTruthy();
    }
    expect(issued.find((e) => e.detail?.credtype === 'authtoken')).toMatchObject({ principalId: t.companyId, actorType: 'company' });

    const refused = ours.filter((e) => e.action === 'token.refused');
    expect(refused.every((e) => e.outcome === 'failure')).toBe(true);
    const codes = refused.map((e) => e.code);
    for (const code of [64, 5, 54, 136]) expect(codes, `refusal ${code}`).toContain(code);
    // refusals before the grant runs: credentials in the query, JSON, a parameter twice, text/plain
    expect(codes.filter((code) => code === 135).length, 'format refusals').toBeGreaterThanOrEqual(4);
    for (const e of refused) expect(e.detail?.reason, `reason of ${e.code}`).toBeTruthy();
    // a wrong secret is attributed to the app it was tried against, so its company sees the attempt
    const wrongSecret = refused.filter((e) => e.code === 64);
    expect(wrongSecret.length).toBeGreaterThanOrEqual(2);
    for (const e of wrongSecret) expect(e).toMatchObject({ appId: app.clientId, companyId: t.companyId });

    const revoked = ours.filter((e) => e.action === 'connection.revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ outcome: 'success', appId: app.clientId, detail: { revoked: 1 } });
  });
});

describe('the loggers', () => {
  it('log anything under `req` as its summary alone: no header, no query string, whoever logs it', () => {
    const lines: string[] = [];
    const { root } = createLoggers('info', { write: (line: string) => void lines.push(line) });
    const secret = randomUUID();
    root.info({
      req: { method: 'POST', url: `/oauth2/v0/token?client_secret=${secret}`, ip: '192.0.2.7', headers: { authorization: `Basic ${secret}` } },
      res: { statusCode: 200, request: { headers: { authorization: secret } } },
    }, 'raw request and reply');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(secret);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line.req).toEqual({ method: 'POST', path: '/oauth2/v0/token', remoteAddress: '192.0.2.7' });
    expect(line.res).toEqual({ statusCode: 200 });
  });
});
