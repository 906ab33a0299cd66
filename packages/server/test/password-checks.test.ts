/**
 * Admin sign-in has per-address budgets (spraying many accounts from one
 * address ends in 429), password hashing runs under a process-wide concurrency limit with a
 * bounded queue, and the password grant tells nothing about another tenant's users.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, enableAppForCompany, type SettingsInput } from 'tessera-server';
import { HashingGate } from '../src/core/hashing-gate.js';
import { AdminClient, adminPassword, makeAdmin, makeTenant } from './admin-helpers.js';
import { expectConcurError, passwordForm } from './e2e-helpers.js';
import { makeApp, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';

const loose: SettingsInput = {
  rateLimitPerClient: 0, rateLimitPerAddress: 0, failureBudgetPerClient: 0, failureBudgetPerLoginId: 0, failureBudgetPerAddress: 0,
  adminSignInRatePerAddress: 0, adminFailureBudgetPerAddress: 0, takenLoginIdBudgetPerCompany: 0,
};

type Answer = { status: number; headers: Headers; body: any };

/** A 429 in the Concur format with a Retry-After between 1 and `windowSeconds`. */
function expectRateLimited(answer: Answer, windowSeconds: number): void {
  expectConcurError(answer, 429, { description: /./ });
  expect(answer.body.error).toBe('rate_limited');
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

describe('admin sign-in budgets per address', () => {
  let t: TestServer | undefined;
  afterAll(() => t?.close());

  it('spraying wrong passwords over many accounts and unknown ids from one address ends in 429 for the console and the token; another address goes on', async () => {
    t = await startTestServer({ settings: { ...loose, trustProxy: '127.0.0.1', adminFailureBudgetPerAddress: 6, maxFailedLogins: 100 } });
    const accounts = [];
    for (let i = 0; i < 3; i++) accounts.push((await makeAdmin(t, `sprayed-${i}-${randomUUID()}`)).loginId);
    const client = new AdminClient(t.url);
    const sign = (loginId: string, password: string, ip: string) =>
      client.request('POST', '/admin/api/token', { loginId, password }, from(ip));
    for (const loginId of [...accounts, `nobody-${randomUUID()}`, `nobody-${randomUUID()}`, accounts[0]!]) {
      expectConcurError(await sign(loginId, 'wrong password', '203.0.113.50'), 5);
    }
    // The budget is spent: even the right password of a real administrator is refused before it is checked.
    expectRateLimited(await sign(accounts[1]!, adminPassword, '203.0.113.50'), 900);
    const state = await client.request('GET', '/admin/api/session', undefined, from('203.0.113.50'));
    client.csrfToken = state.body.csrfToken;
    expectRateLimited(await client.request('POST', '/admin/api/session', { loginId: accounts[1]!, password: adminPassword }, from('203.0.113.50')), 900);
    expect(await sign(accounts[1]!, adminPassword, '198.51.100.20')).toMatchObject({ status: 200 });

    await t.server.core.audit.flush();
    const tripped = await t.server.core.store.audit.query({ action: 'admin.rate-limited' });
    expect(tripped.items.map((e) => e.detail?.limit)).toEqual(['failures-per-address']);
  });

  it('limits sign-in requests per address, whatever their outcome', async () => {
    await t?.close();
    t = await startTestServer({ settings: { ...loose, trustProxy: '127.0.0.1', adminSignInRatePerAddress: 3 } });
    const { loginId } = await makeAdmin(t, `busy-${randomUUID()}`);
    const client = new AdminClient(t.url);
    for (let i = 0; i < 3; i++) expect((await client.request('POST', '/admin/api/token', { loginId, password: adminPassword }, from('203.0.113.60'))).status).toBe(200);
    expectRateLimited(await client.request('POST', '/admin/api/token', { loginId, password: adminPassword }, from('203.0.113.60')), 60);
    expect((await client.request('POST', '/admin/api/token', { loginId, password: adminPassword }, from('203.0.113.61'))).status).toBe(200);
  });
});

describe('password hashing under a concurrency limit', () => {
  it('never runs more hashes at once than passwordHashConcurrency, and queued sign-ins still succeed', async () => {
    const t = await startTestServer({ settings: { ...loose, passwordHashConcurrency: 2, passwordHashQueue: 100, passwordHashWaitMs: 60_000 } });
    try {
      const app = await makeApp(t);
      const user = await makeUser(t, `queued-${randomUUID()}@example.com`, 'right password');
      const gate = t.server.core.passwordHashing;
      const started = gate.started;
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) =>
        postToken(t.url, passwordForm(app.clientId, app.clientSecret, i % 3 === 2 ? `nobody-${i}@example.com` : user.loginId, i % 3 === 0 ? 'right password' : 'wrong password'))));
      expect(answers.map((a) => a.status).sort()).toEqual([...Array(4).fill(200), ...Array(8).fill(400)]);
      expect(gate.started - started).toBe(12);
      expect(gate.highWater).toBe(2);
      expect(gate.active).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('answers 429 with Retry-After at once when the queue is full, instead of queuing forever', async () => {
    const t = await startTestServer({ settings: { ...loose, passwordHashConcurrency: 1, passwordHashQueue: 0, passwordHashWaitMs: 3000 } });
    try {
      const app = await makeApp(t);
      const user = await makeUser(t, `burst-${randomUUID()}@example.com`, 'right password');
      const answers = await Promise.all(Array.from({ length: 8 }, () =>
        postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, 'right password'))));
      const refused = answers.filter((a) => a.status === 429);
      expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      for (const answer of refused) expectRateLimited(answer, 3);
      expect(t.server.core.passwordHashing.highWater).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('the gate: a bounded queue, and a time limit on the wait', async () => {
    const gate = new HashingGate({ passwordHashConcurrency: 2, passwordHashQueue: 2, passwordHashWaitMs: 50 });
    const releases: (() => void)[] = [];
    const held = () => gate.run(() => new Promise<void>((resolve) => releases.push(resolve)));
    const running = [held(), held()];
    const queued = [held(), held()];
    expect([gate.active, gate.queued]).toEqual([2, 2]);
    await expect(held()).rejects.toMatchObject({ code: 429, headers: { 'retry-after': '1' }, detail: 'password hashing is busy: 2 already waiting' });
    await expect(queued[0]).rejects.toMatchObject({ code: 429, detail: 'password hashing is busy: no turn within 50 ms' });
    await expect(queued[1]).rejects.toMatchObject({ code: 429 });
    expect(gate.queued).toBe(0);
    const third = held();
    releases.shift()!();
    await running[0];
    await new Promise((resolve) => setImmediate(resolve));
    expect([gate.active, gate.queued, gate.highWater]).toEqual([2, 0, 2]);
    for (const release of releases.splice(0)) release();
    await Promise.all([running[1], third]);
    expect(gate.active).toBe(0);
  });
});

describe('no oracle across tenants', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { ...loose } });
  });
  afterAll(() => t.close());

  /** An answer as a caller sees it, but for what differs per request anyway (correlation id, date). */
  const visible = (answer: Answer) => ({
    status: answer.status, body: JSON.stringify(answer.body),
    headers: [...answer.headers].filter(([name]) => name !== 'concur-correlationid' && name !== 'date'),
  });

  it("the password grant answers another company's user exactly as an unknown login id, whatever the password, after the same hashing work, and counts no lock", async () => {
    const appA = await makeApp(t, { name: 'Company A app' });
    const b = await createCompany(t.server.core, { name: `B ${randomUUID()}` });
    const userB = await makeUser(t, `b-user-${randomUUID()}@b.example`, 'b user password', b.id);
    const gate = t.server.core.passwordHashing;
    const answers = [];
    for (const [loginId, password] of [
      [`nobody-${randomUUID()}@b.example`, 'b user password'],
      [userB.loginId, 'b user password'], [userB.loginId, 'wrong password'], [userB.loginId, 'wrong password'], [userB.loginId, 'wrong password'],
    ] as const) {
      const started = gate.started;
      const answer = await postToken(t.url, passwordForm(appA.clientId, appA.clientSecret, loginId, password));
      expect(gate.started - started).toBe(1);
      answers.push(answer);
    }
    for (const answer of answers) expectConcurError(answer, 5);
    expect(new Set(answers.map((a) => JSON.stringify(visible(a)))).size).toBe(1);

    // B's user was not locked by A's guesses: B's own app still signs them in.
    const appB = await makeApp(t, { name: 'Company B app' }, b.id);
    expect((await postToken(t.url, passwordForm(appB.clientId, appB.clientSecret, userB.loginId, 'b user password'))).status).toBe(200);
    // Once B enables A's app, its user signs in through it.
    await enableAppForCompany(t.server.core, appA.clientId, b.id);
    expect((await postToken(t.url, passwordForm(appA.clientId, appA.clientSecret, userB.loginId, 'b user password'))).status).toBe(200);
  });

  it("a locked or disabled user of another company gets the same answer (their state does not leak either)", async () => {
    const appA = await makeApp(t);
    const b = await createCompany(t.server.core, { name: `B ${randomUUID()}` });
    const disabled = await makeUser(t, `b-disabled-${randomUUID()}@b.example`, 'b user password', b.id);
    await t.server.core.store.users.setStatus(disabled.id, 'disabled', Date.now());
    const locked = await makeUser(t, `b-locked-${randomUUID()}@b.example`, 'b user password', b.id);
    await t.server.core.store.users.recordFailedLogin(locked.id, Date.now(), 1, Date.now() + 3_600_000);
    const unknown = await postToken(t.url, passwordForm(appA.clientId, appA.clientSecret, `nobody-${randomUUID()}`, 'b user password'));
    for (const user of [disabled, locked]) {
      const answer = await postToken(t.url, passwordForm(appA.clientId, appA.clientSecret, user.loginId, 'b user password'));
      expect(visible(answer)).toEqual(visible(unknown));
    }
  });

  it("another company's login id spends the failure budgets as an unknown one does", async () => {
    const budgeted = await startTestServer({ settings: { ...loose, failureBudgetPerLoginId: 3, failureBudgetPerClient: 6 } });
    try {
      const appA = await makeApp(budgeted);
      const b = await createCompany(budgeted.server.core, { name: `B ${randomUUID()}` });
      const userB = await makeUser(budgeted, `b-user-${randomUUID()}@b.example`, 'b user password', b.id);
      const attempt = (loginId: string) => postToken(budgeted.url, passwordForm(appA.clientId, appA.clientSecret, loginId, 'b user password'));
      // The login id's budget (3): the fourth try of either is refused before any check.
      for (const loginId of [userB.loginId, `nobody-${randomUUID()}`]) {
        for (let i = 0; i < 3; i++) expectConcurError(await attempt(loginId), 5);
        expectRateLimited(await attempt(loginId), 900);
      }
      // Six failures spent the client's budget (6) too.
      expectRateLimited(await attempt(`nobody-${randomUUID()}`), 900);
    } finally {
      await budgeted.close();
    }
  });
});

describe('admin sign-in tells nothing about accounts', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { ...loose, maxFailedLogins: 3 } });
  });
  afterAll(() => t.close());

  const sign = (loginId: string, password: string) => new AdminClient(t.url).request('POST', '/admin/api/token', { loginId, password });

  it('an existing and an unknown login id get the same answers, down to the lock through the console', async () => {
    const admin = await makeAdmin(t, `real-${randomUUID()}`);
    for (const loginId of [admin.loginId, `nobody-${randomUUID()}`]) {
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await sign(loginId, 'wrong password')).body.code);
      expect(codes, loginId).toEqual([5, 5, 14, 14]);
    }
  });

  it('a locked or disabled account is answered only after the same password-hashing work', async () => {
    const gate = t.server.core.passwordHashing;
    const locked = await makeAdmin(t, `locked-${randomUUID()}`);
    const stored = (await t.server.core.store.users.findByLoginId(locked.loginId))!;
    await t.server.core.store.users.recordFailedLogin(stored.id, Date.now(), 1, Date.now() + 3_600_000);
    const disabled = await makeAdmin(t, `disabled-${randomUUID()}`);
    await t.server.core.store.users.setStatus((await t.server.core.store.users.findByLoginId(disabled.loginId))!.id, 'disabled', Date.now());
    for (const [loginId, code] of [[locked.loginId, 14], [disabled.loginId, 10], [`nobody-${randomUUID()}`, 5]] as const) {
      const started = gate.started;
      expect((await sign(loginId, adminPassword)).body.code).toBe(code);
      expect(gate.started - started, loginId).toBe(1);
    }
  });
});

describe('login ids taken in another company', () => {
  it('"taken" answers to concurrent creations of one login id spend the budget too', async () => {
    const t = await startTestServer({ settings: { ...loose, takenLoginIdBudgetPerCompany: 3 } });
    try {
      const a = await makeTenant(t, 'Racer', `racer-${randomUUID()}`);
      const admin = new AdminClient(t.url);
      expect((await admin.signIn(a.adminLoginId)).status).toBe(200);
      const loginId = `raced-${randomUUID()}@racer.example`;
      const answers = await Promise.all(Array.from({ length: 6 }, () => admin.post('/users', { loginId, password: 'a new password' })));
      expect(answers.filter((x) => x.status === 201)).toHaveLength(1);
      for (const answer of answers.filter((x) => x.status !== 201)) {
        expect(answer).toMatchObject({ status: 400, body: { fields: [{ field: 'loginId', message: 'this login id is taken' }] } });
      }
      // Five "taken" answers: the budget (3) is spent.
      expectRateLimited(await admin.post('/users', { loginId: `free-${randomUUID()}`, password: 'a new password' }), 900);
    } finally {
      await t.close();
    }
  });

  it('a company may hear "taken" only a few times per window; then creating any user answers 429, other companies go on', async () => {
    const t = await startTestServer({ settings: { ...loose, takenLoginIdBudgetPerCompany: 3 } });
    try {
      const a = await makeTenant(t, 'Prober', `prober-${randomUUID()}`);
      const b = await makeTenant(t, 'Victim', `victim-${randomUUID()}`);
      const victims = [];
      for (let i = 0; i < 4; i++) victims.push((await makeUser(t, `victim-${i}-${randomUUID()}@victim.example`, 'victim password', b.companyId)).loginId);
      const prober = new AdminClient(t.url);
      expect((await prober.signIn(a.adminLoginId)).status).toBe(200);
      const create = (client: AdminClient, loginId: string) => client.post('/users', { loginId, password: 'a new password' });
      for (let i = 0; i < 3; i++) {
        expect(await create(prober, victims[i]!)).toMatchObject({ status: 400, body: { code: 400, fields: [{ field: 'loginId', message: 'this login id is taken' }] } });
      }
      // Spent: neither a taken nor a free login id is answered, so the probe learns nothing more.
      expectRateLimited(await create(prober, victims[3]!), 900);
      expectRateLimited(await create(prober, `free-${randomUUID()}`), 900);

      const victim = new AdminClient(t.url);
      await victim.signIn(b.adminLoginId);
      expect((await create(victim, `fresh-${randomUUID()}`)).status).toBe(201);
      await t.server.core.audit.flush();
      expect((await t.server.core.store.audit.query({ action: 'user.rate-limited' })).items).toMatchObject([{ companyId: a.companyId }]);
    } finally {
      await t.close();
    }
  });
});
