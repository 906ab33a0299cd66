/**
 * One-time passwords by email (docs/protocol.md §5, Decisions 4 and 13), through real HTTP:
 * `POST /oauth2/v0/otp` mails the OTP, through a real SMTP server on loopback or, without one,
 * into the outbox the company's administrators read; `grant_type=otp` exchanges it once, within
 * 15 minutes, with the same channel and extra parameters, for a user token.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, enableAppForCompany, ManualClock, openPostgresStore, openSqliteStore, type Store } from 'tessera-server';
import { AdminClient, makeAdmin, makeTenant } from './admin-helpers.js';
import { makeApp, postToken, startTestServer, testStoreKind, type TestServer } from './helpers.js';
import { dropSchema, freshSchemaName, testDatabaseUrl } from './test-services.js';
import { startSmtpServer, type TestSmtpServer } from './mail-helpers.js';

const otpPattern = /dd-[a-z0-9]{30}/;
const otpGrants = ['otp', 'refresh_token'];

async function postOtp(url: string, form: Record<string, string>, init: { query?: string; headers?: Record<string, string>; body?: string } = {}) {
  const response = await fetch(`${url}/oauth2/v0/otp${init.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...init.headers },
    body: init.body ?? new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, any> };
}

const decodeJwt = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

function expectCode(answer: { status: number; body: Record<string, any>; headers: Headers }, code: number, status = 400) {
  expect(answer.body, JSON.stringify(answer.body)).toMatchObject({ code });
  expect(answer.status).toBe(status);
  expect(answer.headers.get('concur-correlationid')).toBeTruthy();
}

describe('one-time passwords through a real SMTP server', () => {
  let smtp: TestSmtpServer;
  let t: TestServer;
  let app: { clientId: string; clientSecret: string };
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestServer({ settings: { smtpUrl: smtp.url, smtpFrom: 'Tessera Test <otp@tessera.test>' } });
    app = await makeApp(t, { name: 'Expense Sync', grants: otpGrants });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('mails the OTP with the link, and exchanges it once for a user token that refreshes', async () => {
    const email = `pat-${randomUUID()}@acme.example`;
    const user = await createUser(t.server.core, { companyId: t.companyId, loginId: `pat-${randomUUID()}`, password: 'correct horse battery', email });
    const facts = { name: 'Pat Doe', company: 'Acme', link: 'https://app.example/otp/finish?step=2#top', state: 'xyz' };
    const sent = await postOtp(t.url, {
      client_id: app.clientId, client_secret: app.clientSecret, channel_type: 'email', channel_handle: email.toUpperCase(), ...facts,
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ message: 'otp sent' });
    expect(sent.headers.get('concur-correlationid')).toBeTruthy();

    const mail = await smtp.nextMail();
    expect(mail.to).toEqual([email]);
    expect(mail.from).toBe('otp@tessera.test');
    expect(mail.subject).toBe('Your one-time password for Expense Sync');
    expect(mail.text).toContain('Hello Pat Doe,');
    expect(mail.text).toContain('for Expense Sync (Acme)');
    const otp = mail.text.match(otpPattern)![0];
    const link = new URL(mail.text.split('\n').find((line) => line.startsWith('https://app.example/'))!);
    expect(link.searchParams.get('token')).toBe(otp);
    expect(link.searchParams.get('step')).toBe('2');
    expect(link.pathname).toBe('/otp/finish');
    expect(link.hash).toBe('#top');
    // Delivered by SMTP, so nothing waits in the outbox.
    expect(await t.server.core.store.outbox.listByCompany(t.companyId, 10)).toEqual([]);

    const exchange = { grant_type: 'otp', client_id: app.clientId, client_secret: app.clientSecret, otp, channel_type: 'email', channel_handle: email, ...facts };
    const token = await postToken(t.url, exchange);
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', geolocation: t.url });
    expect(token.body.refresh_token).toBeTruthy();
    expect(decodeJwt(token.body.access_token)).toMatchObject({ sub: user.id, 'concur.type': 'user' });
    expect(decodeJwt(token.body.id_token)).toMatchObject({ sub: user.id, aud: app.clientId });
    const refreshed = await postToken(t.url, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: token.body.refresh_token });
    expect(refreshed.status).toBe(200);

    // Single use.
    expectCode(await postToken(t.url, exchange), 83);

    // The code is nowhere in the log or the audit trail.
    await t.server.core.audit.flush();
    const audit = await t.server.core.store.audit.query({ limit: 1000 });
    expect(audit.items.some((e) => e.action === 'otp.sent' && e.principalId === user.id)).toBe(true);
    expect(JSON.stringify(audit.items)).not.toContain(otp);
    expect(JSON.stringify(t.logs)).not.toContain(otp);
  });

  it('answers a 500 without internals when the mail server refuses, and leaves no OTP behind', async () => {
    const email = `sam-${randomUUID()}@acme.example`;
    await createUser(t.server.core, { companyId: t.companyId, loginId: `sam-${randomUUID()}`, password: 'correct horse battery', email });
    const form = { client_id: app.clientId, client_secret: app.clientSecret, channel_type: 'email', channel_handle: email };
    smtp.refuse = true;
    try {
      const failed = await postOtp(t.url, form);
      expect(failed.status).toBe(500);
      expect(failed.body).toEqual({ code: 500, error: 'server_error', error_description: 'internal error' });
      const logged = t.logs.find((line) => line.msg === 'one-time password mail not sent');
      expect(logged).toMatchObject({ mailer: 'smtp', responseCode: 550 });
      expect(JSON.stringify(t.logs)).not.toMatch(otpPattern);
    } finally {
      smtp.refuse = false;
    }
    // The refused one was withdrawn: five more may be open, the sixth is 82.
    for (let i = 0; i < 5; i++) expect((await postOtp(t.url, form)).status).toBe(200);
    expectCode(await postOtp(t.url, form), 82);
    for (let i = 0; i < 5; i++) await smtp.nextMail();
  });
});

describe('one-time passwords through the outbox', () => {
  const clock = new ManualClock(Date.now());
  let t: TestServer;
  let app: { clientId: string; clientSecret: string };
  let admin: AdminClient;
  beforeAll(async () => {
    t = await startTestServer({ clock });
    app = await makeApp(t, { name: 'Expense Sync', grants: otpGrants });
    await makeAdmin(t, 'otp-admin');
    admin = new AdminClient(t.url);
    expect((await admin.signIn('otp-admin')).status).toBe(200);
  });
  afterAll(() => t.close());

  const credentials = () => ({ client_id: app.clientId, client_secret: app.clientSecret });
  async function freshUser(companyId = t.companyId) {
    const email = `user-${randomUUID()}@acme.example`;
    const user = await createUser(t.server.core, { companyId, loginId: `u-${randomUUID()}`, password: 'correct horse battery', email });
    return { user, email };
  }
  const request = (email: string, extra: Record<string, string> = {}, client = credentials()) =>
    postOtp(t.url, { ...client, channel_type: 'email', channel_handle: email, ...extra });
  const exchange = (otp: string, email: string, extra: Record<string, string> = {}, client = credentials()) =>
    postToken(t.url, { grant_type: 'otp', ...client, otp, channel_type: 'email', channel_handle: email, ...extra });
  /** The OTP of the newest outbox mail to `email`, as the company's administrator reads it. */
  async function otpFromOutbox(email: string): Promise<string> {
    const outbox = await admin.request('GET', '/admin/api/outbox');
    expect(outbox.status).toBe(200);
    const mail = (outbox.body as { to: string; text: string }[]).find((m) => m.to === email);
    expect(mail, `a mail to ${email}`).toBeDefined();
    return mail!.text.match(otpPattern)![0];
  }

  it('keeps the mail in the outbox for the company\'s administrators only, newest first, and the OTP from it works', async () => {
    const { user, email } = await freshUser();
    const sentAt = clock.now();
    expect((await request(email, { link: 'https://app.example/finish' })).status).toBe(200);
    const outbox = await admin.request('GET', '/admin/api/outbox');
    expect(outbox.status).toBe(200);
    expect(outbox.headers.get('cache-control')).toMatch(/no-store/);
    const newest = (outbox.body as Record<string, string>[])[0]!;
    expect(Object.keys(newest).sort()).toEqual(['createdAt', 'id', 'subject', 'text', 'to']);
    expect(newest).toMatchObject({ to: email, subject: 'Your one-time password for Expense Sync', createdAt: new Date(sentAt).toISOString() });
    const otp = newest.text!.match(otpPattern)![0];
    expect(newest.text).toContain(`https://app.example/finish?token=${otp}`);

    // Newest first.
    const second = await freshUser();
    clock.advance(1000);
    await request(second.email);
    expect((await admin.request('GET', '/admin/api/outbox')).body[0].to).toBe(second.email);

    // Another company's administrator sees none of it.
    const other = await makeTenant(t, 'Other Co', 'other-otp-admin');
    const stranger = new AdminClient(t.url);
    expect((await stranger.signIn(other.adminLoginId)).status).toBe(200);
    const theirs = await stranger.request('GET', '/admin/api/outbox');
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual([]);
    // Unauthenticated: refused.
    expect((await fetch(`${t.url}/admin/api/outbox`)).status).toBe(401);
    // Each read is audited.
    const audit = await admin.request('GET', '/admin/api/audit?action=outbox.read');
    expect(audit.body.total).toBeGreaterThan(0);

    const token = await exchange(otp, email, { link: 'https://app.example/finish' });
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(decodeJwt(token.body.access_token).sub).toBe(user.id);
  });

  it('refuses a second use of an OTP (83)', async () => {
    const { email } = await freshUser();
    await request(email);
    const otp = await otpFromOutbox(email);
    expect((await exchange(otp, email)).status).toBe(200);
    expectCode(await exchange(otp, email), 83);
  });

  it('lets exactly one of concurrent exchanges of one OTP through', async () => {
    const { email } = await freshUser();
    await request(email);
    const otp = await otpFromOutbox(email);
    const answers = await Promise.all(Array.from({ length: 8 }, () => exchange(otp, email)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status !== 200)) expect(refused.body.code).toBe(83);
  });

  it('works until 15 minutes after it was sent, not at 15 minutes', async () => {
    const { email } = await freshUser();
    await request(email);
    const early = await otpFromOutbox(email);
    clock.advance(1000);
    await request(email);
    const late = await otpFromOutbox(email);
    clock.advance(15 * 60_000 - 1000);
    expectCode(await exchange(early, email), 83);
    expect((await exchange(late, email)).status).toBe(200);
  });

  it('keeps at most 5 open per handle (82); used and expired ones no longer count', async () => {
    const { email } = await freshUser();
    for (let i = 0; i < 5; i++) expect((await request(email)).status).toBe(200);
    expectCode(await request(email), 82);
    // The handle folds: another spelling is the same handle.
    expectCode(await request(email.toUpperCase()), 82);
    expect((await exchange(await otpFromOutbox(email), email)).status).toBe(200);
    expect((await request(email)).status).toBe(200);
    expectCode(await request(email), 82);
    clock.advance(15 * 60_000);
    expect((await request(email)).status).toBe(200);
  });

  it('lets exactly 5 of 12 concurrent requests for one handle through', async () => {
    const { email } = await freshUser();
    const answers = await Promise.all(Array.from({ length: 12 }, () => request(email)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    for (const refused of answers.filter((a) => a.status !== 200)) expect(refused.body.code).toBe(82);
  });

  it('requires the same extra parameters at /token (84) and the same handle (85), and a refusal uses nothing up', async () => {
    const { email } = await freshUser();
    const facts = { name: 'Pat', link: 'https://app.example/x', tenant: 'blue' };
    await request(email, facts);
    const otp = await otpFromOutbox(email);
    expectCode(await exchange(otp, email), 84);
    expectCode(await exchange(otp, email, { ...facts, tenant: 'green' }), 84);
    expectCode(await exchange(otp, email, { name: 'Pat', link: 'https://app.example/x' }), 84);
    expectCode(await exchange(otp, email, { ...facts, extra: '1' }), 84);
    const other = await freshUser();
    expectCode(await exchange(otp, other.email, facts), 85);
    // scope is not a fact: it only narrows (and a wider one is 54, nothing used).
    expectCode(await exchange(otp, email, { ...facts, scope: 'nope.read' }), 54);
    const token = await exchange(otp, email.toUpperCase(), { ...facts, scope: 'openid' });
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(token.body.scope).toBe('openid');
  });

  it('refuses an OTP presented by another app as unknown (83), and it still works for its own', async () => {
    const { email } = await freshUser();
    await request(email);
    const otp = await otpFromOutbox(email);
    const otherApp = await makeApp(t, { name: 'Other', grants: otpGrants });
    expectCode(await exchange(otp, email, {}, { client_id: otherApp.clientId, client_secret: otherApp.clientSecret }), 83);
    expectCode(await exchange(otp, email, {}, { client_id: app.clientId, client_secret: randomUUID() }), 64, 401);
    expect((await exchange(otp, email)).status).toBe(200);
  });

  it('answers 16 with the geolocation for a user of another datacenter', async () => {
    const elsewhere = 'https://eu2.api.concursolutions.com';
    const company = await createCompany(t.server.core, { name: 'EU Co', geolocation: elsewhere });
    await enableAppForCompany(t.server.core, app.clientId, company.id);
    const { email } = await freshUser(company.id);
    const answer = await request(email);
    expectCode(answer, 16);
    expect(answer.body.geolocation).toBe(elsewhere);
  });

  it('answers an email it cannot serve like any other and sends nothing (Decision 16)', async () => {
    const count = async () => (await admin.request('GET', '/admin/api/outbox')).body.length as number;
    const before = await count();
    const unknown = await request(`nobody-${randomUUID()}@acme.example`);
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({ message: 'otp sent' });
    // A user of a company that has not enabled the app.
    const foreign = await createCompany(t.server.core, { name: 'Not connected' });
    const { email } = await freshUser(foreign.id);
    expect(await request(email)).toMatchObject({ status: 200, body: { message: 'otp sent' } });
    expect(await t.server.core.store.outbox.listByCompany(foreign.id, 10)).toEqual([]);
    expect(await count()).toBe(before);
  });

  it('answers the /otp and otp-grant codes', async () => {
    const { email } = await freshUser();
    const good = { ...credentials(), channel_type: 'email', channel_handle: email };
    expectCode(await postOtp(t.url, { ...good, channel_type: '' }), 57);
    expectCode(await postOtp(t.url, { ...good, channel_type: 'sms' }), 80);
    expectCode(await postOtp(t.url, { ...good, channel_handle: '' }), 58);
    for (const bad of ['not-an-email', 'a@b', 'two@@acme.example', 'sp ace@acme.example', `${'x'.repeat(250)}@acme.example`]) {
      expectCode(await postOtp(t.url, { ...good, channel_handle: bad }), 81);
    }
    for (const link of ['javascript:alert(1)', 'not a url', 'ftp://app.example/x']) {
      const answer = await postOtp(t.url, { ...good, link });
      expectCode(answer, 400);
      expect(answer.body.fields).toEqual([{ field: 'link', message: expect.stringContaining('http') }]);
    }
    expectCode(await postOtp(t.url, { ...good, client_id: '' }), 62);
    expectCode(await postOtp(t.url, { ...good, client_secret: '' }), 63);
    expectCode(await postOtp(t.url, { ...good, client_id: randomUUID() }), 61, 401);
    expectCode(await postOtp(t.url, { ...good, client_secret: randomUUID() }), 64, 401);
    const noOtp = await makeApp(t, { name: 'No OTP', grants: ['password'] });
    expectCode(await postOtp(t.url, { ...good, client_id: noOtp.clientId, client_secret: noOtp.clientSecret }), 60);
    expectCode(await postOtp(t.url, good, { query: `?client_id=${app.clientId}` }), 135);
    expectCode(await postOtp(t.url, good, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(good) }), 135);
    // None of these stored an OTP: five may still be sent.
    for (let i = 0; i < 5; i++) expect((await postOtp(t.url, good)).status).toBe(200);

    const grant = { grant_type: 'otp', ...credentials(), otp: 'dd-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', channel_type: 'email', channel_handle: email };
    expectCode(await postToken(t.url, { ...grant, otp: '' }), 56);
    expectCode(await postToken(t.url, { ...grant, channel_type: '' }), 57);
    expectCode(await postToken(t.url, { ...grant, channel_type: 'sms' }), 80);
    expectCode(await postToken(t.url, { ...grant, channel_handle: '' }), 58);
    expectCode(await postToken(t.url, grant), 83);
    expectCode(await postToken(t.url, { ...grant, otp: 'not-an-otp' }), 83);
    expectCode(await postToken(t.url, { ...grant, client_id: noOtp.clientId, client_secret: noOtp.clientSecret }), 60);
  });

  it('sweeps used and expired OTPs at once, and outbox mail after outboxRetentionHours (24)', async () => {
    const { email } = await freshUser();
    await request(email);
    clock.advance(15 * 60_000);
    const first = await t.server.maintenance.runSweeperTurn();
    expect(first!.otps).toBeGreaterThan(0);
    expect(first!.outboxMessages).toBe(0);
    expect((await admin.request('GET', '/admin/api/outbox')).body.length).toBeGreaterThan(0);
    clock.advance(24 * 3600_000);
    const later = await t.server.maintenance.runSweeperTurn();
    expect(later!.outboxMessages).toBeGreaterThan(0);
    // A day later the console session has ended too: sign in again.
    expect((await admin.signIn('otp-admin')).status).toBe(200);
    expect((await admin.request('GET', '/admin/api/outbox')).body).toEqual([]);
  });
});

describe('one-time passwords across datacenters', () => {
  const us2 = 'https://us2.tessera.test';
  const eu2 = 'https://eu2.tessera.test';
  const secretKey = 'a shared server key of at least 32 characters';
  let store: Store;
  let schema: string | undefined;
  let home: TestServer;
  let away: TestServer;
  beforeAll(async () => {
    if (testStoreKind === 'postgres') {
      schema = freshSchemaName();
      store = await openPostgresStore(testDatabaseUrl, { schema, maxConnections: 4 });
    } else {
      store = await openSqliteStore(':memory:');
    }
    // Two nodes of one service on one store, each serving its own datacenter; the store is closed once, here.
    const shared = { ...store, close: async () => undefined } as Store;
    home = await startTestServer({ store: shared, settings: { geolocation: us2, secretKey } });
    away = await startTestServer({ store: shared, settings: { geolocation: eu2, secretKey } });
  });
  afterAll(async () => {
    await away.close();
    await home.close();
    await store.close();
    if (schema) await dropSchema(schema);
  });

  it('exchanges an OTP only in the user\'s datacenter: elsewhere 16 with its geolocation, and nothing used up', async () => {
    const company = await createCompany(home.server.core, { name: 'US Co', geolocation: us2 });
    const app = await makeApp(home, { name: 'Expense Sync', grants: otpGrants }, company.id);
    const email = `pat-${randomUUID()}@us.example`;
    await createUser(home.server.core, { companyId: company.id, loginId: `pat-${randomUUID()}`, password: 'correct horse battery', email });
    const form = { client_id: app.clientId, client_secret: app.clientSecret, channel_type: 'email', channel_handle: email };
    const elsewhere = await postOtp(away.url, form);
    expectCode(elsewhere, 16);
    expect(elsewhere.body.geolocation).toBe(us2);
    expect((await postOtp(home.url, form)).status).toBe(200);
    const [mail] = await store.outbox.listByCompany(company.id, 1);
    const otp = mail!.text.match(otpPattern)![0];
    const exchange = { grant_type: 'otp', ...form, otp };
    const refused = await postToken(away.url, exchange);
    expectCode(refused, 16);
    expect(refused.body.geolocation).toBe(us2);
    const token = await postToken(home.url, exchange);
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(token.body.geolocation).toBe(us2);
  });
});
