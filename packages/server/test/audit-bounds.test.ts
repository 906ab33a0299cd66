/**
 * what unauthenticated callers send is bounded before it is stored. Refused token
 * requests keep only known values in the audit trail (a known grant type or credtype, else
 * "other"; the app only when the client id is one), so a secret typed into any field never lands
 * there; and a flood from one address writes a bounded number of rows, the rest summarised.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, MemoryRateLimiter, type CounterUpdate, type SettingsInput } from 'tessera-server';
import { AdminClient } from './admin-helpers.js';
import { postRaw } from './e2e-helpers.js';
import { makeApp, makeUser, postToken, startTestServer, testStoreKind, type TestServer } from './helpers.js';

const loose: SettingsInput = {
  rateLimitPerClient: 0, rateLimitPerAddress: 0, failureBudgetPerClient: 0, failureBudgetPerLoginId: 0, failureBudgetPerAddress: 0,
};

async function allAuditRows(t: TestServer) {
  await t.server.core.audit.flush();
  return (await t.server.core.store.audit.query({ limit: 1000 })).items;
}

/** Sends `count` requests, `concurrency` at a time. */
async function flood(count: number, concurrency: number, send: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await send(next++);
  }));
}

describe('audit rows of refused token requests', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('never keep what a caller typed: a secret in any field stays out of the audit store', async () => {
    t = await startTestServer({ settings: { ...loose, trustProxy: true } });
    const app = await makeApp(t);
    await makeUser(t, 'ada@example.com', 'right password 1');
    const secret = `s3cr3t-${randomUUID()}`;
    const uuidSecret = randomUUID(); // client secrets are UUIDs: one typed into client_id looks like a client id
    const forms: Record<string, string>[] = [
      { grant_type: secret, client_id: app.clientId, client_secret: app.clientSecret },
      { grant_type: 'password', credtype: secret, client_id: app.clientId, client_secret: app.clientSecret, username: 'x', password: 'y' },
      { grant_type: 'client_credentials', credtype: secret, client_id: app.clientId, client_secret: 'wrong' },
      { grant_type: 'client_credentials', client_id: secret, client_secret: 'wrong' },
      { grant_type: 'client_credentials', client_id: uuidSecret, client_secret: 'wrong' },
      { grant_type: 'password', credtype: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: secret, password: 'y' },
      { grant_type: 'password', credtype: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: 'ada@example.com', password: secret },
      { grant_type: 'password', credtype: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: 'ada@example.com', password: 'right password 1', scope: `openid ${secret}` },
      { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: secret },
    ];
    for (const form of forms) expect((await postToken(t.url, form)).status).toBeGreaterThanOrEqual(400);
    // refusals before the endpoint: a media type, a parameter name twice, a forged forwarded address
    await postRaw(t.url, 'grant_type=x', `application/${secret}`);
    await postRaw(t.url, `${secret}=1&${secret}=2`, 'application/x-www-form-urlencoded');
    await postToken(t.url, { grant_type: secret }, { headers: { 'x-forwarded-for': secret } });

    const rows = await allAuditRows(t);
    const refused = rows.filter((row) => row.action === 'token.refused');
    expect(refused.length).toBeGreaterThanOrEqual(forms.length + 3);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(uuidSecret);
    expect(refused.map((row) => row.detail?.grantType)).toContain('other');
    expect(refused.map((row) => row.detail?.credtype)).toContain('other');
    expect(refused.map((row) => row.detail?.ip)).toContain('other');

    if (testStoreKind === 'sqlite') {
      // And not anywhere in the database files either.
      await t.server.close();
      const files = ['tessera.db', 'tessera.db-wal'].map((name) => join(t!.dataDir, name)).filter((file) => existsSync(file));
      for (const file of files) {
        const bytes = readFileSync(file);
        expect(bytes.includes(secret), file).toBe(false);
        expect(bytes.includes(uuidSecret), file).toBe(false);
      }
      t = undefined;
    }
  });

  it('a tripped limit names only a known app and never the login id as typed', async () => {
    t = await startTestServer({ settings: { ...loose, failureBudgetPerClient: 2, failureBudgetPerLoginId: 2 } });
    const app = await makeApp(t);
    const uuidSecret = randomUUID();
    const loginSecret = `p4ss-${randomUUID()}`;
    for (let i = 0; i < 3; i++) {
      await postToken(t.url, { grant_type: 'client_credentials', client_id: uuidSecret, client_secret: 'wrong' });
      await postToken(t.url, {
        grant_type: 'password', credtype: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: loginSecret, password: 'x',
      });
    }
    await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: 'wrong' });
    // The app lookup of a trip is asynchronous: wait until the app's own trip is recorded.
    const appTrip = (rows: Awaited<ReturnType<typeof allAuditRows>>) =>
      rows.find((row) => row.action === 'token.rate-limited' && row.detail?.limit === 'failures-per-client' && row.appId === app.clientId);
    let rows = await allAuditRows(t);
    for (let i = 0; i < 50 && !appTrip(rows); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      rows = await allAuditRows(t);
    }
    expect(appTrip(rows)).toMatchObject({ companyId: t.companyId });
    // the login id's trip is there too, without its value (an unknown client id has no budget of its own: the address's counts it)
    const tripped = rows.filter((row) => row.action === 'token.rate-limited');
    expect(tripped.map((row) => row.detail?.limit)).toEqual(expect.arrayContaining(['failures-per-client', 'failures-per-login-id']));
    const text = JSON.stringify(rows);
    expect(text).not.toContain(uuidSecret);
    expect(text).not.toContain(loginSecret);
  });

  it('a flood from one address writes a bounded number of rows, summarised by count', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
    t = await startTestServer({ clock, settings: { ...loose, auditRefusalsPerAddress: 5, auditRefusalsTotal: 50 } });
    const junk = 'x'.repeat(8000);
    const count = 300;
    await flood(count, 20, () => postToken(t!.url, { grant_type: junk, credtype: junk }));
    let rows = await allAuditRows(t);
    expect(rows.filter((row) => row.action === 'token.refused')).toHaveLength(5);
    expect(JSON.stringify(rows).length).toBeLessThan(5 * 1000);

    // The window ends: one row says how many were held back, and the next refusals are written again.
    clock.advance(60_000);
    expect((await postToken(t.url, { grant_type: 'nope' })).status).toBe(400);
    rows = await allAuditRows(t);
    const summaries = rows.filter((row) => row.action === 'audit.suppressed');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.detail).toMatchObject({ ip: '127.0.0.1', count: count - 5, codes: { 62: count - 5 } });
    expect(rows.filter((row) => row.action === 'token.refused')).toHaveLength(6);
    expect(JSON.stringify(rows).length).toBeLessThan(8 * 1000);
  });

  it('floods from many addresses are bounded in total', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
    t = await startTestServer({ clock, settings: { ...loose, trustProxy: true, auditRefusalsPerAddress: 5, auditRefusalsTotal: 20 } });
    await flood(200, 20, (i) => postToken(t!.url, { grant_type: 'nope' }, { headers: { 'x-forwarded-for': `10.0.${i >> 8}.${i & 255}` } }));
    expect((await allAuditRows(t)).filter((row) => row.action === 'token.refused')).toHaveLength(20);
    await t.server.core.audit.close();
    const summaries = (await allAuditRows(t)).filter((row) => row.action === 'audit.suppressed');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.detail).toMatchObject({ ip: null, everyOtherAddress: true, count: 180 });
  });
});

/** In-memory counters that remember every key they were asked about. */
class KeyRecordingLimiter extends MemoryRateLimiter {
  readonly keys = new Set<string>();
  override update(updates: readonly CounterUpdate[]) {
    for (const { key } of updates) this.keys.add(key);
    return super.update(updates);
  }
}

describe('audit rows of failed admin sign-ins', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('go through the floodgate and keep only an IP address; forwarded text reaches neither the trail nor the counters', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
    const limiter = new KeyRecordingLimiter(clock);
    t = await startTestServer({
      clock, rateLimiter: limiter, settings: { ...loose, trustProxy: true, auditRefusalsPerAddress: 5, auditRefusalsTotal: 50, adminSignInRatePerAddress: 1000, adminFailureBudgetPerAddress: 1000 },
    });
    const client = new AdminClient(t.url);
    const secret = `s3cr3t-${randomUUID()}`;
    const sign = (headers: Record<string, string> = {}) =>
      client.request('POST', '/admin/api/token', { loginId: `nobody-${randomUUID()}`, password: 'wrong password' }, { headers });
    for (let i = 0; i < 30; i++) expect((await sign()).status).toBe(400);
    expect((await sign({ 'x-forwarded-for': secret })).status).toBe(400);
    const rows = await allAuditRows(t);
    const failed = rows.filter((row) => row.action === 'admin.token-issued' && row.outcome === 'failure');
    expect(failed).toHaveLength(6);
    expect(failed.map((row) => row.detail?.ip).sort()).toEqual([...Array(5).fill('127.0.0.1'), 'other']);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(limiter.keys).toContain('req:admin-addr:other');
    expect(limiter.keys).toContain('req:admin-addr:127.0.0.1');
    expect(JSON.stringify([...limiter.keys])).not.toContain(secret);
  });
});
