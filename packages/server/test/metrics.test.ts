/**
 * Prometheus metrics: a scrape over HTTP of the metrics listener after real token
 * requests shows tokens issued and refused by grant and code, request latency by route pattern,
 * store latency by operation, rate-limit trips, the signing key's age and the process metrics,
 * with no client id or raw path in any label. Off unless `metricsPort` is set; a token guards it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from './admin-helpers.js';
import { convertRequestToken, makeApp, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';

/** The value of one series in Prometheus text format, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const found = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (Object.entries(labels).every(([k, v]) => found.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics on the metrics listener', () => {
  let t: TestServer;
  let text: string;
  let app: Awaited<ReturnType<typeof makeApp>>;
  let userId: string;
  let wrongSecretCode: number;

  beforeAll(async () => {
    t = await startTestServer({ settings: { metricsPort: 0, failureBudgetPerClient: 2, adminSignInRatePerAddress: 2, passwordHashConcurrency: 1 } });
    app = await makeApp(t);
    const bob = await makeUser(t, `bob-${randomUUID()}@example.com`, 'correct horse battery');
    userId = bob.id;
    for (let i = 0; i < 3; i++) {
      expect((await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret })).status).toBe(200);
    }
    const converted = await convertRequestToken(t, app.clientId, app.clientSecret);
    expect(converted.status).toBe(200);
    const refreshed = await postToken(t.url, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: converted.body.refresh_token });
    expect(refreshed.status).toBe(200);
    // Refusals: an unknown refresh token (108), a grant type nobody knows, and a wrong secret of
    // another app until its failure budget trips (twice the wrong-secret code, then 429).
    expect((await postToken(t.url, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: randomUUID() })).body.code).toBe(108);
    expect((await postToken(t.url, { grant_type: 'x-made-up', client_id: app.clientId, client_secret: app.clientSecret })).status).toBe(400);
    const other = await makeApp(t, { name: 'Other' });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      codes.push((await postToken(t.url, { grant_type: 'client_credentials', client_id: other.clientId, client_secret: 'wrong' })).body.code);
    }
    wrongSecretCode = codes[0]!;
    expect(codes).toEqual([wrongSecretCode, wrongSecretCode, 429]);
    // The console's sign-in trips its own per-address limit: counted under door="admin-sign-in".
    const signIns: number[] = [];
    for (let i = 0; i < 3; i++) signIns.push((await new AdminClient(t.url).useBearer('nobody-here', 'wrong password')).status);
    expect(signIns).toEqual([400, 400, 429]);
    expect((await fetch(`${t.url}/profile/identity/v4/Users/${userId}`)).status).toBe(401);
    expect((await fetch(`${t.url}/no-such-page-${userId}`)).status).toBe(404);
    const response = await fetch(t.server.metricsUrl!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    text = await response.text();
  });
  afterAll(() => t.close());

  it('counts tokens issued by grant type and credtype', () => {
    expect(sample(text, 'tessera_tokens_issued_total', { grant_type: 'client_credentials', credtype: 'none' })).toBe(3);
    expect(sample(text, 'tessera_tokens_issued_total', { grant_type: 'password', credtype: 'authtoken' })).toBe(1);
    expect(sample(text, 'tessera_tokens_issued_total', { grant_type: 'refresh_token', credtype: 'none' })).toBe(1);
  });

  it('counts refusals by grant type and Concur code, 429s included; unknown grant types are "other"', () => {
    expect(sample(text, 'tessera_tokens_refused_total', { grant_type: 'refresh_token', code: '108' })).toBe(1);
    expect(sample(text, 'tessera_tokens_refused_total', { grant_type: 'client_credentials', code: String(wrongSecretCode) })).toBe(2);
    expect(sample(text, 'tessera_tokens_refused_total', { grant_type: 'client_credentials', code: '429' })).toBe(1);
    expect(sample(text, 'tessera_tokens_refused_total', { grant_type: 'other' })).toBe(1);
    expect(text).not.toContain('x-made-up');
  });

  it('counts the moment a limit trips, by door: the token endpoint apart from the console sign-in', () => {
    expect(sample(text, 'tessera_rate_limit_trips_total', { limit: 'failures-per-client', door: 'token' })).toBe(1);
    expect(sample(text, 'tessera_rate_limit_trips_total', { limit: 'requests-per-address', door: 'admin-sign-in' })).toBe(1);
    expect(sample(text, 'tessera_rate_limit_trips_total', { limit: 'requests-per-address', door: 'token' })).toBeUndefined();
  });

  it('shows the password hashing gate: hashes running and waiting now', async () => {
    expect(sample(text, 'tessera_password_hashing_active')).toBe(0);
    expect(sample(text, 'tessera_password_hashing_queued')).toBe(0);
    // One turn (passwordHashConcurrency 1): one hash runs, the next waits, while the scrape reads.
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const gate = t.server.core.passwordHashing;
    const hashes = [gate.run(() => held), gate.run(() => held)];
    const during = await (await fetch(t.server.metricsUrl!)).text();
    release();
    await Promise.all(hashes);
    expect(sample(during, 'tessera_password_hashing_active')).toBe(1);
    expect(sample(during, 'tessera_password_hashing_queued')).toBe(1);
  });

  it('times requests by route pattern, never by raw path or client id', () => {
    expect(sample(text, 'tessera_http_request_duration_seconds_count', { method: 'POST', route: '/oauth2/v0/token', status_code: '200' })).toBe(5);
    expect(sample(text, 'tessera_http_request_duration_seconds_count', { route: '/oauth2/v0/token', status_code: '429' })).toBe(1);
    expect(sample(text, 'tessera_http_request_duration_seconds_bucket', { route: '/oauth2/v0/token', status_code: '200', le: '+Inf' })).toBe(5);
    expect(text).toMatch(/route="\/profile\/identity\/v4\/Users\/:[a-zA-Z]+"/);
    expect(sample(text, 'tessera_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    expect(text).not.toContain(userId);
    expect(text).not.toContain(app.clientId);
  });

  it('times store operations by kind', () => {
    // Client lookups go through the per-node client cache (Decision 11), so only some reach the store.
    expect(sample(text, 'tessera_store_operation_duration_seconds_count', { operation: 'apps.getClient' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tessera_store_operation_duration_seconds_count', { operation: 'requestTokens.consume' })).toBe(1);
  });

  it('shows the signing key age and the process metrics', () => {
    const age = sample(text, 'tessera_signing_key_age_seconds');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(600);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('answers nothing but /metrics, and is not on the public port', async () => {
    expect((await fetch(t.server.metricsUrl!.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(`${t.url}/metrics`)).status).toBe(404);
  });
});

describe('metrics exposure', () => {
  it('is off unless metricsPort is set', async () => {
    const t = await startTestServer();
    try {
      expect(t.server.metricsUrl).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('asks for the bearer token when metricsToken is set', async () => {
    const token = 'scrape-token-0123456789';
    const t = await startTestServer({ settings: { metricsPort: 0, metricsToken: token } });
    try {
      const url = t.server.metricsUrl!;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer scrape-token-wrong-0000' } })).status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('tessera_tokens_issued_total');
    } finally {
      await t.close();
    }
  });
});
