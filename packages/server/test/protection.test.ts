/**
 * The protections of a public token endpoint: request limits per client and per
 * address, failure budgets per client, per login id and per address, all answered with a Concur
 * 429 and Retry-After; the user lock (code 14), visible and liftable in the admin API; and the
 * counters shared by every node through Redis.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { ManualClock, MemoryRateLimiter, type RateLimiter, type SettingsInput } from 'tessera-server';
import type { AuditLog } from '../src/core/audit.js';
import { AdminClient, makeAdmin } from './admin-helpers.js';
import { expectConcurError, passwordForm, authtokenForm } from './e2e-helpers.js';
import { makeApp, makeRequestToken, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';
import { openSharedStore, redisProblem, skipWithoutServices, testRedisUrl, type SharedStore } from './test-services.js';

const clientCredentials = (url: string, app: { clientId: string; clientSecret: string }, headers: Record<string, string> = {}) =>
  postToken(url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret }, { headers });

const wrongSecret = (url: string, app: { clientId: string }) =>
  postToken(url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: randomUUID() });

/** A 429 in the Concur format with a Retry-After of at most `windowSeconds`; answers the Retry-After. */
function expectRateLimited(answer: Awaited<ReturnType<typeof postToken>>, windowSeconds: number): number {
  expectConcurError(answer, 429, { description: 'too many requests' });
  expect(answer.body.error).toBe('rate_limited');
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  return retryAfter;
}

const loose: SettingsInput = {
  rateLimitPerClient: 0, rateLimitPerAddress: 0, failureBudgetPerClient: 0, failureBudgetPerLoginId: 0, failureBudgetPerAddress: 0,
};

describe('request limits', () => {
  let t: TestServer | undefined;
  const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('per client: the request past the limit gets 429 until the window ends; other clients go on; the trip is audited once', async () => {
    t = await startTestServer({ clock, settings: { ...loose, rateLimitPerClient: 5, rateLimitWindowSeconds: 60 } });
    const busy = await makeApp(t, { name: 'Busy' });
    const calm = await makeApp(t, { name: 'Calm' });
    for (let i = 0; i < 5; i++) expect((await clientCredentials(t.url, busy)).status).toBe(200);
    expect(expectRateLimited(await clientCredentials(t.url, busy), 60)).toBe(60);
    clock.advance(20_000);
    expect(expectRateLimited(await clientCredentials(t.url, busy), 60)).toBe(40);
    expect((await clientCredentials(t.url, calm)).status).toBe(200);
    clock.advance(40_000);
    expect((await clientCredentials(t.url, busy)).status).toBe(200);

    await t.server.core.audit.flush();
    const tripped = await t.server.core.store.audit.query({ action: 'token.rate-limited' });
    expect(tripped.total).toBe(1);
    expect(tripped.items[0]).toMatchObject({ appId: busy.clientId, code: 429, detail: { limit: 'requests-per-client', max: 5 } });
    expect((await t.server.core.store.audit.query({ action: 'token.refused', appId: busy.clientId })).total).toBe(0);
  });

  it('per address: every request from one address counts, whatever the client', async () => {
    t = await startTestServer({ clock, settings: { ...loose, rateLimitPerAddress: 4 } });
    const apps = [await makeApp(t), await makeApp(t)];
    for (let i = 0; i < 4; i++) expect((await clientCredentials(t.url, apps[i % 2]!)).status).toBe(200);
    expectRateLimited(await clientCredentials(t.url, apps[0]!), 60);
    expectRateLimited(await postToken(t.url, { grant_type: 'client_credentials' }), 60);
  });

  it('per address behind a trusted proxy: the forwarded address counts; an untrusted X-Forwarded-For is ignored', async () => {
    t = await startTestServer({ clock, settings: { ...loose, rateLimitPerAddress: 2, trustProxy: '127.0.0.1' } });
    const app = await makeApp(t);
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    expect((await clientCredentials(t.url, app, from('203.0.113.7'))).status).toBe(200);
    expect((await clientCredentials(t.url, app, from('203.0.113.7'))).status).toBe(200);
    expectRateLimited(await clientCredentials(t.url, app, from('203.0.113.7')), 60);
    expect((await clientCredentials(t.url, app, from('198.51.100.9'))).status).toBe(200);
    await t.close();

    t = await startTestServer({ clock, settings: { ...loose, rateLimitPerAddress: 2 } });
    const direct = await makeApp(t);
    expect((await clientCredentials(t.url, direct, from('203.0.113.1'))).status).toBe(200);
    expect((await clientCredentials(t.url, direct, from('203.0.113.2'))).status).toBe(200);
    expectRateLimited(await clientCredentials(t.url, direct, from('203.0.113.3')), 60);
  });
});

describe('failure budgets', () => {
  let t: TestServer | undefined;
  const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('per client: after the budget of wrong secrets even the right secret gets 429, until the window ends', async () => {
    t = await startTestServer({ clock, settings: { ...loose, failureBudgetPerClient: 3, failureWindowSeconds: 900 } });
    const target = await makeApp(t, { name: 'Target' });
    const bystander = await makeApp(t, { name: 'Bystander' });
    for (let i = 0; i < 3; i++) expectConcurError(await wrongSecret(t.url, target), 64);
    expect(expectRateLimited(await clientCredentials(t.url, target), 900)).toBe(900);
    expectRateLimited(await wrongSecret(t.url, target), 900);
    expect((await clientCredentials(t.url, bystander)).status).toBe(200);
    clock.advance(900_000);
    expect((await clientCredentials(t.url, target)).status).toBe(200);

    await t.server.core.audit.flush();
    const tripped = await t.server.core.store.audit.query({ action: 'token.rate-limited' });
    expect(tripped.items.map((e) => e.detail?.limit)).toEqual(['failures-per-client']);
  });

  it("unknown client ids spend the address's budget, and get no counters of their own", async () => {
    const limiter = new MemoryRateLimiter(clock);
    t = await startTestServer({ clock, rateLimiter: limiter, settings: { ...loose, rateLimitPerClient: 100, failureBudgetPerClient: 2, failureBudgetPerAddress: 3 } });
    const ghost = { clientId: randomUUID(), clientSecret: randomUUID() };
    for (let i = 0; i < 3; i++) expectConcurError(await clientCredentials(t.url, ghost), 61);
    // Counters: the address's failure budget only (no request or failure counter per made-up client id).
    expect(limiter.size).toBe(1);
    expectRateLimited(await clientCredentials(t.url, ghost), 900);
  });

  it('a malformed Basic header is a failed client authentication at the token endpoint and at introspection alike: it spends the address\'s budget', async () => {
    t = await startTestServer({ clock, settings: { ...loose, failureBudgetPerAddress: 3 } });
    const malformed = async (path: string) => {
      const response = await fetch(`${t!.url}${path}`, {
        method: 'POST', body: 'grant_type=client_credentials&token=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic !!!not-base64!!!' },
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
    };
    for (const path of ['/oauth2/v0/introspect', '/oauth2/v0/token', '/oauth2/v0/introspect']) expectConcurError(await malformed(path), 64, { description: 'malformed Basic authorization' });
    expectRateLimited(await malformed('/oauth2/v0/introspect'), 900);
    expectRateLimited(await malformed('/oauth2/v0/token'), 900);
  });

  it('per login id: wrong passwords for one login id, known or not, end in 429 before any password is checked', async () => {
    t = await startTestServer({ clock, settings: { ...loose, failureBudgetPerLoginId: 3, maxFailedLogins: 100 } });
    const app = await makeApp(t);
    const user = await makeUser(t, `budget-${randomUUID()}@example.com`, 'right password');
    for (const loginId of ['nobody@example.com', user.loginId]) {
      for (let i = 0; i < 3; i++) expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, loginId, 'wrong password')), 5);
    }
    expectRateLimited(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, 'NOBODY@example.com', 'wrong password')), 900);
    expectRateLimited(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, 'right password')), 900);
    const other = await makeUser(t, `other-${randomUUID()}@example.com`, 'right password');
    expect((await postToken(t.url, passwordForm(app.clientId, app.clientSecret, other.loginId, 'right password'))).status).toBe(200);
  });

  it('per login id: every spelling the store takes for one user counts as one (non-ASCII case folded alike)', async () => {
    t = await startTestServer({ clock, settings: { ...loose, failureBudgetPerLoginId: 3, maxFailedLogins: 100 } });
    const app = await makeApp(t);
    const user = await makeUser(t, `jürgen-${randomUUID()}@straße.example`, 'right password');
    const spellings = [user.loginId.toUpperCase(), user.loginId.normalize('NFD'), user.loginId.replace('straße', 'STRASSE')];
    for (const loginId of spellings) expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, loginId, 'wrong password')), 5);
    expectRateLimited(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, 'right password')), 900);
  });

  it('per login id: guessing a company\'s request token is budgeted like a password', async () => {
    t = await startTestServer({ clock, settings: { ...loose, failureBudgetPerLoginId: 2 } });
    const app = await makeApp(t);
    const { companyUUID, requestToken } = await makeRequestToken(t, app.clientId);
    for (let i = 0; i < 2; i++) expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, companyUUID, `at-${i}`)), 136);
    expectRateLimited(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, companyUUID, requestToken)), 900);
  });

  it('per address: failures spread over clients and login ids add up', async () => {
    t = await startTestServer({ clock, settings: { ...loose, failureBudgetPerAddress: 4 } });
    const app = await makeApp(t);
    expectConcurError(await wrongSecret(t.url, app), 64);
    expectConcurError(await wrongSecret(t.url, { clientId: randomUUID() }), 61);
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, 'a@example.com', 'nope-nope')), 5);
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, 'b@example.com', 'nope-nope')), 5);
    expectRateLimited(await clientCredentials(t.url, app), 900);
  });

  it('never counts a refusal that is no guess (a bad refresh token, a missing field)', async () => {
    t = await startTestServer({ clock, settings: { ...loose, failureBudgetPerClient: 1, failureBudgetPerAddress: 1 } });
    const app = await makeApp(t);
    for (let i = 0; i < 3; i++) {
      expectConcurError(await postToken(t.url, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: randomUUID() }), 108);
      expectConcurError(await postToken(t.url, { grant_type: 'password', client_id: app.clientId, client_secret: app.clientSecret }), 51);
    }
    expect((await clientCredentials(t.url, app)).status).toBe(200);
  });
});

describe('the user lock (code 14)', () => {
  let t: TestServer;
  const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
  const password = 'right password';
  beforeAll(async () => {
    t = await startTestServer({ clock, settings: { ...loose, maxFailedLogins: 3, maxFailedLoginsAnyClient: 10, lockoutSeconds: 600, failureBudgetPerLoginId: 6 } });
    await makeAdmin(t, 'lock-admin');
  });
  afterAll(() => t.close());

  it('locks a login id through the client that failed only; the user goes on through another; an administrator lifts it', async () => {
    const appA = await makeApp(t, { name: 'Client A' });
    const appB = await makeApp(t, { name: 'Client B' });
    const user = await makeUser(t, `locked-${randomUUID()}@example.com`, password);
    const through = (app: { clientId: string; clientSecret: string }, pw: string) =>
      postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, pw));
    expectConcurError(await through(appA, 'wrong 1'), 5);
    expectConcurError(await through(appA, 'wrong 2'), 5);
    expectConcurError(await through(appA, 'wrong 3'), 14);
    expectConcurError(await through(appA, password), 14);
    // Client A's failures do not lock the user out of client B.
    expect((await through(appB, password)).status).toBe(200);
    expectConcurError(await through(appA, password), 14);

    const admin = new AdminClient(t.url);
    expect((await admin.signIn('lock-admin')).status).toBe(200);
    const listed = (await admin.get('/users')).body.items.find((u: { id: string }) => u.id === user.id);
    expect(listed).toMatchObject({ locked: false, status: 'active' });

    // Hammering the account locked through A does not spend the login id's budget over every client (6).
    for (let i = 0; i < 6; i++) expectConcurError(await through(appA, password), 14);
    expect((await through(appB, password)).status).toBe(200);

    const unlocked = await admin.post(`/users/${user.id}/unlock`);
    expect(unlocked.status).toBe(200);
    expect(unlocked.body).toMatchObject({ locked: false, status: 'active', failedLogins: 0, lockedUntil: null });
    expect((await through(appA, password)).status).toBe(200);
  });

  it('lifts by itself after lockoutSeconds, and the count starts over', async () => {
    const app = await makeApp(t);
    const user = await makeUser(t, `timed-${randomUUID()}@example.com`, password);
    const attempt = (pw: string) => postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, pw));
    for (const expected of [5, 5, 14]) expectConcurError(await attempt('wrong'), expected);
    clock.advance(599_000);
    expectConcurError(await attempt(password), 14);
    clock.advance(2_000);
    expectConcurError(await attempt('wrong again'), 5);
    expect((await attempt(password)).status).toBe(200);
  });
});

describe('floods of made-up client ids and addresses', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('wipe no lock or failure budget; full failure counters refuse what they cannot count', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
    // Small bounds so a flood fits in a test: 20 request counters, 12 failure counters.
    const limiter = new MemoryRateLimiter(clock, 20, 12);
    t = await startTestServer({
      clock, rateLimiter: limiter,
      settings: { ...loose, trustProxy: '127.0.0.1', rateLimitPerClient: 1000, rateLimitPerAddress: 1000, failureBudgetPerLoginId: 4, maxFailedLogins: 2, lockoutSeconds: 900, failureWindowSeconds: 900 },
    });
    const server = t;
    const [a, b, c, d] = [await makeApp(t), await makeApp(t), await makeApp(t), await makeApp(t)];
    const u = await makeUser(t, `locked-${randomUUID()}@example.com`, 'right password');
    const v = await makeUser(t, `budget-${randomUUID()}@example.com`, 'right password');
    const through = (app: { clientId: string; clientSecret: string }, loginId: string, pw: string, ip = '198.51.100.1') =>
      postToken(server.url, passwordForm(app.clientId, app.clientSecret, loginId, pw), { headers: { 'x-forwarded-for': ip } });
    // u is locked through a (2 tries); v's budget over every client (4) is spent through b and c.
    for (const expected of [5, 14]) expectConcurError(await through(a, u.loginId, 'wrong'), expected);
    for (const app of [b, c]) for (const expected of [5, 14]) expectConcurError(await through(app, v.loginId, 'wrong'), expected);

    // 300 requests, each from a new address with a new client id.
    for (let i = 0; i < 300; i++) {
      const ip = `2001:db8::${i.toString(16)}`;
      expectConcurError(await postToken(server.url, { grant_type: 'client_credentials', client_id: randomUUID(), client_secret: 'x' }, { headers: { 'x-forwarded-for': ip } }), 61);
    }
    expect(limiter.size).toBeLessThanOrEqual(32);
    expectConcurError(await through(a, u.loginId, 'right password'), 14);
    expectRateLimited(await through(d, v.loginId, 'right password'), 900);
    expect((await through(b, u.loginId, 'right password')).status).toBe(200);

    // Unknown login ids fill the failure counters (12; each wrong password adds its login id's budget
    // and its lock through d): then an attempt they cannot count is refused.
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push((await through(d, `nobody-${i}-${randomUUID()}`, 'wrong')).status);
    expect(answers).toEqual([400, 400, 400, 400, 429, 429]);
    expectRateLimited(await through(c, u.loginId, 'right password'), 900);
    // Room again once the windows end.
    clock.advance(900_000);
    expect((await through(c, u.loginId, 'right password')).status).toBe(200);
  });

  it('an address past its request limit stops there: its requests spend no client\'s limit', async () => {
    t = await startTestServer({ settings: { ...loose, trustProxy: '127.0.0.1', rateLimitPerAddress: 2, rateLimitPerClient: 3 } });
    const app = await makeApp(t);
    const from = (ip: string) => clientCredentials(t!.url, app, { 'x-forwarded-for': ip });
    for (let i = 0; i < 2; i++) expect((await from('203.0.113.7')).status).toBe(200);
    for (let i = 0; i < 5; i++) expectRateLimited(await from('203.0.113.7'), 60);
    expect((await from('203.0.113.8')).status).toBe(200);
  });
});

describe('the user lock over every client', () => {
  it('maxFailedLoginsAnyClient wrong passwords spread over clients lock the user everywhere, shown in the admin API', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
    const password = 'right password';
    const t = await startTestServer({ clock, settings: { ...loose, maxFailedLogins: 3, maxFailedLoginsAnyClient: 10, lockoutSeconds: 600 } });
    try {
      await makeAdmin(t, 'spread-admin');
      const user = await makeUser(t, `spread-${randomUUID()}@example.com`, password);
      const through = (app: { clientId: string; clientSecret: string }, pw: string) =>
        postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, pw));
      // Two wrong passwords through each of five clients (never one client's lock): the tenth locks the user.
      const clients = [];
      for (let i = 0; i < 5; i++) clients.push(await makeApp(t));
      for (const [i, app] of clients.entries()) {
        expectConcurError(await through(app, 'wrong'), 5);
        expectConcurError(await through(app, 'wrong'), i === clients.length - 1 ? 14 : 5);
      }
      expectConcurError(await through(await makeApp(t), password), 14);
      const admin = new AdminClient(t.url);
      await admin.signIn('spread-admin');
      const listed = (await admin.get('/users')).body.items.find((u: { id: string }) => u.id === user.id);
      expect(listed).toMatchObject({ locked: true, status: 'locked', failedLogins: 10, lockedUntil: new Date(clock.now() + 600_000).toISOString() });
      await admin.post(`/users/${user.id}/unlock`);
      expect((await through(clients[0]!, password)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('request-token failures are budgeted per app and company', () => {
  it("one app's wrong request tokens block that app's conversions for the company, not another app's", async () => {
    const t = await startTestServer({ settings: { ...loose, failureBudgetPerLoginId: 2 } });
    try {
      const appX = await makeApp(t, { name: 'X' });
      const appY = await makeApp(t, { name: 'Y' });
      const x = await makeRequestToken(t, appX.clientId);
      const y = await makeRequestToken(t, appY.clientId);
      for (let i = 0; i < 2; i++) expectConcurError(await postToken(t.url, authtokenForm(appX.clientId, appX.clientSecret, x.companyUUID, `at-wrong-${i}`)), 136);
      expectRateLimited(await postToken(t.url, authtokenForm(appX.clientId, appX.clientSecret, x.companyUUID, x.requestToken)), 900);
      expect((await postToken(t.url, authtokenForm(appY.clientId, appY.clientSecret, y.companyUUID, y.requestToken))).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

const redisMissing = await redisProblem();
const skipRedis = skipWithoutServices('protections shared through Redis', [redisMissing]);

describe.skipIf(skipRedis)('counters in Redis, shared by two nodes on one store', () => {
  let a: TestServer;
  let b: TestServer;
  let shared: SharedStore;
  beforeAll(async () => {
    shared = await openSharedStore();
    const settings: SettingsInput = {
      ...loose, secretKey: `shared-${randomUUID()}`, redisUrl: testRedisUrl, redisKeyPrefix: `tessera-test:${randomUUID()}:`,
      rateLimitPerClient: 6, failureBudgetPerClient: 3, adminFailureBudgetPerAddress: 3, maxFailedLogins: 2,
    };
    a = await startTestServer({ settings, store: shared.stores[0] });
    b = await startTestServer({ settings, store: shared.stores[1] });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await shared.cleanup();
  });

  it('counts a client\'s requests on every node against one limit', async () => {
    expect(a.server.core.protection.limiter.kind).toBe('redis');
    const app = await makeApp(a);
    for (let i = 0; i < 3; i++) {
      expect((await clientCredentials(a.url, app)).status).toBe(200);
      expect((await clientCredentials(b.url, app)).status).toBe(200);
    }
    expectRateLimited(await clientCredentials(a.url, app), 60);
    expectRateLimited(await clientCredentials(b.url, app), 60);
  });

  it('spends a client\'s failure budget on every node', async () => {
    const app = await makeApp(a);
    expectConcurError(await wrongSecret(b.url, app), 64);
    expectConcurError(await wrongSecret(a.url, app), 64);
    expectConcurError(await wrongSecret(b.url, app), 64);
    expectRateLimited(await clientCredentials(a.url, app), 900);
  });

  it("spends an address's admin sign-in budget and a login id's lock through one client on every node", async () => {
    const { loginId } = await makeAdmin(a, `shared-${randomUUID()}`);
    const signIn = (node: TestServer, password: string) => new AdminClient(node.url).request('POST', '/admin/api/token', { loginId: `${loginId}-${password}`, password });
    expectConcurError(await signIn(a, 'wrong-1'), 5);
    expectConcurError(await signIn(b, 'wrong-2'), 5);
    expectConcurError(await signIn(a, 'wrong-3'), 5);
    expectRateLimited(await new AdminClient(b.url).request('POST', '/admin/api/token', { loginId, password: 'correct horse battery' }), 900);

    const app = await makeApp(a);
    const user = await makeUser(a, `shared-lock-${randomUUID()}@example.com`, 'right password');
    expectConcurError(await postToken(a.url, passwordForm(app.clientId, app.clientSecret, user.loginId, 'wrong')), 5);
    expectConcurError(await postToken(b.url, passwordForm(app.clientId, app.clientSecret, user.loginId, 'wrong')), 14);
    expectConcurError(await postToken(a.url, passwordForm(app.clientId, app.clientSecret, user.loginId, 'right password')), 14);
  });
});

describe('when the counters cannot be reached', () => {
  it('lets requests pass and warns, at most once every 10 seconds', async () => {
    const { Protection } = await import('../src/core/protection.js');
    const { loadSettings } = await import('tessera-server');
    const down: RateLimiter = {
      kind: 'redis',
      update: async () => {
        throw new Error('Connection is closed.');
      },
      reset: async () => {
        throw new Error('Connection is closed.');
      },
      close: async () => undefined,
    };
    const warnings: string[] = [];
    const log = { warn: (_details: object, message: string) => warnings.push(message) } as unknown as Logger;
    const audit = { record: () => undefined } as unknown as AuditLog;
    const protection = new Protection(down, loadSettings({ rateLimitPerClient: 1, failureBudgetPerClient: 1 }, {}), audit, log, (v) => v);
    const attempt = { door: 'token' as const, clientId: randomUUID(), loginId: 'someone', address: '203.0.113.9', correlationId: 'c-1' };
    for (let i = 0; i < 5; i++) {
      await expect(protection.admit(attempt)).resolves.toBeUndefined();
      await protection.recordFailure(attempt, 'password');
      await expect(protection.recordWrongPassword(attempt)).resolves.toBe(false);
    }
    await protection.forgetLoginFailures('someone');
    expect(warnings).toEqual(['rate-limit counters unavailable: requests pass unlimited']);
  });
});
