/**
 * An integrator's own test suite, as docs/six-months-in-a-minute.md shows it: the SDK against an
 * embedded Tessera (`tessera-server/testing`), with the clock, faults and datacenters doing in
 * seconds what takes days (or never happens on demand) against SAP Concur. Only the public
 * surfaces are used: `startTessera`'s answer and `tessera-client`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConcurError, TokenManager, type FetchLike } from 'tessera-client';
import { startTessera, type RunningTessera, type StartTesseraOptions } from 'tessera-server/testing';

const running: RunningTessera[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

async function tessera(options?: StartTesseraOptions) {
  const started = await startTessera(options);
  running.push(started);
  return started;
}

/** A fetch that records each token request as `origin grant_type`, the way an integrator would spy on the SDK. */
function spyingFetch() {
  const tokenRequests: string[] = [];
  const fetch: FetchLike = (input, init) => {
    const url = new URL(String(input));
    if (url.pathname === '/oauth2/v0/token') tokenRequests.push(`${url.origin} ${new URLSearchParams(String(init?.body)).get('grant_type')}`);
    return globalThis.fetch(input, init);
  };
  return { fetch, tokenRequests };
}

const refused = async (promise: Promise<unknown>): Promise<ConcurError> => {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ConcurError);
  return error as ConcurError;
};

const day = 86_400_000;

describe('an integrator suite on startTessera', () => {
  it('the four steps: app credentials, a request token, its conversion, refreshes and API calls', async () => {
    const t = await tessera();
    // Step 1: the app's credentials. Step 2: the company's request token.
    const { companyUUID, requestToken } = await t.requestToken();
    expect(companyUUID).toBe(t.company.id);
    const manager = new TokenManager({ clientId: t.app.clientId, clientSecret: t.app.clientSecret, datacenter: t.url });
    // Step 3: converted once into a refresh token.
    const first = await manager.convertRequestToken(companyUUID, requestToken);
    expect((await manager.connection())?.refreshToken).toBeTruthy();
    // Step 4: API calls with the access token; a refresh renews it.
    const company = await manager.fetch('/profile/v1/me');
    expect(company.status).toBe(200);
    const renewed = await manager.refresh();
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect((await manager.fetch('/profile/v1/me')).status).toBe(200);
  });

  it('an access token expired on the server (61 minutes later) gets a 401, one refresh and a retry', async () => {
    const t = await tessera();
    const { fetch, tokenRequests } = spyingFetch();
    // The SDK keeps its own (real) clock here, so it still believes its access token is fresh: only the server knows better.
    const manager = new TokenManager({ clientId: t.app.clientId, clientSecret: t.app.clientSecret, datacenter: t.url, fetch, retry: false });
    const { companyUUID, requestToken } = await t.requestToken();
    await manager.convertRequestToken(companyUUID, requestToken);
    const before = await manager.getAccessToken();

    await t.clock.advance('61m');
    const expired = await globalThis.fetch(`${t.url}/profile/v1/me`, { headers: { authorization: `Bearer ${before}` } });
    expect(expired.status).toBe(401);
    const answer = await manager.fetch('/profile/v1/me');
    expect(answer.status).toBe(200);
    expect(tokenRequests).toEqual([`${t.url} password`, `${t.url} refresh_token`]);
    expect(await manager.getAccessToken()).not.toBe(before);
  });

  it('a request token 25 hours old is refused with code 136 and a clear SDK error', async () => {
    const t = await tessera();
    const manager = new TokenManager({ clientId: t.app.clientId, clientSecret: t.app.clientSecret, datacenter: t.url, now: t.clock.now });
    const { companyUUID, requestToken } = await t.requestToken();
    await t.clock.advance('25h');
    const error = await refused(manager.convertRequestToken(companyUUID, requestToken));
    expect(error.code).toBe('ERR_TOKEN_REFUSED');
    expect(error.concurCode).toBe(136);
    expect(error.status).toBe(400);
    expect(error.meaning).toMatch(/Request Token is unknown, expired/);
    expect(await manager.connection()).toBeUndefined();
    // A fresh one (what the administrator would generate again) converts.
    const fresh = await t.requestToken();
    await manager.convertRequestToken(fresh.companyUUID, fresh.requestToken);
  });

  it('a refresh token left idle for 181 days answers 108; refreshed at day 170 (keep-alive) it lives on', async () => {
    const t = await tessera();
    const connect = async () => {
      const manager = new TokenManager({ clientId: t.app.clientId, clientSecret: t.app.clientSecret, datacenter: t.url, now: t.clock.now });
      const { companyUUID, requestToken } = await t.requestToken();
      await manager.convertRequestToken(companyUUID, requestToken);
      return manager;
    };

    const idle = await connect();
    await t.clock.advance('181d');
    const error = await refused(idle.refresh());
    expect(error.concurCode).toBe(108);
    expect(error.code).toBe('ERR_TOKEN_REFUSED');

    await t.clock.reset();
    const kept = await connect();
    const start = t.clock.now();
    await t.clock.advance('170d');
    // What `tessera keep-alive` does for an environment due within its window: one refresh, which slides the six months.
    await kept.refresh();
    const slid = Date.parse((await kept.connection())!.refreshExpiresAt!);
    expect(slid).toBeGreaterThan(start + 340 * day);
    await t.clock.advance('20d'); // day 190: 20 days after the keep-alive, 190 after the conversion
    expect((await kept.fetch('/profile/v1/me')).status).toBe(200);
    await kept.refresh();
  });

  it('code 16 is followed once: a user homed on eu2 signs in through us2', async () => {
    const t = await tessera({
      datacenters: ['us2', 'eu2'],
      company: { datacenter: 'eu2' },
      users: [{ loginId: 'ana@eu.example', password: 'correct horse battery' }],
    });
    const us2 = t.datacenters.us2!;
    const eu2 = t.datacenters.eu2!;
    expect(us2).not.toBe(eu2);
    const { fetch, tokenRequests } = spyingFetch();
    const manager = new TokenManager({ clientId: t.app.clientId, clientSecret: t.app.clientSecret, datacenter: us2, fetch });
    await manager.passwordGrant('ana@eu.example', 'correct horse battery');
    expect(tokenRequests).toEqual([`${us2} password`, `${eu2} password`]);
    expect((await manager.connection())?.geolocation).toBe(eu2);
    // Refreshes and API calls now go straight to eu2.
    await manager.refresh();
    expect(tokenRequests.at(-1)).toBe(`${eu2} refresh_token`);
    expect((await manager.fetch('/profile/v1/me')).status).toBe(200);
  });

  it('a 5xx in the middle of a conversion: the SDK retries with the same request token and connects once', async () => {
    const t = await tessera();
    const { fetch, tokenRequests } = spyingFetch();
    const manager = new TokenManager({
      clientId: t.app.clientId, clientSecret: t.app.clientSecret, datacenter: t.url, fetch, retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    });
    const { companyUUID, requestToken } = await t.requestToken();
    const rule = await t.faults.add({ match: { path: '/oauth2/v0/token', grantType: 'password' }, effect: { type: 'http-status', status: 503 }, times: 1 });
    expect(rule.id).toBeTruthy();

    await manager.convertRequestToken(companyUUID, requestToken);
    expect(tokenRequests).toEqual([`${t.url} password`, `${t.url} password`]);
    // The faulted attempt never reached the grant (nothing changed); the retry opened the one connection.
    expect(await conversions(t)).toHaveLength(1);
    expect(await t.server.core.store.connections.listByApp(t.app.clientId, t.company.id)).toHaveLength(1);
    expect((await t.faults.list()).filter((fault) => fault.id === rule.id && Number(fault.remaining) > 0)).toEqual([]);
    expect((await manager.fetch('/profile/v1/me')).status).toBe(200);
  });

  it('a conversion whose answer is lost (slower than the SDK waits): the retry and the late first conversion share one connection', async () => {
    const t = await tessera();
    const { fetch, tokenRequests } = spyingFetch();
    const manager = new TokenManager({
      clientId: t.app.clientId, clientSecret: t.app.clientSecret, datacenter: t.url, fetch, timeoutMs: 1000, retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    });
    const { companyUUID, requestToken } = await t.requestToken();
    await t.faults.add({ match: { path: '/oauth2/v0/token', grantType: 'password' }, effect: { type: 'delay', ms: 2500 }, times: 1 });

    await manager.convertRequestToken(companyUUID, requestToken);
    expect(tokenRequests).toEqual([`${t.url} password`, `${t.url} password`]);
    // The delayed first attempt still converts once its delay is over (docs/protocol.md Decision 3): it joins.
    const issued = await waitFor(() => conversions(t), (list) => list.length === 2);
    expect(issued).toHaveLength(2);
    expect(new Set(issued.map((event) => event.detail?.connectionId)).size).toBe(1);
    expect(await t.server.core.store.connections.listByApp(t.app.clientId, t.company.id)).toHaveLength(1);
    expect((await manager.fetch('/profile/v1/me')).status).toBe(200);
  });
});

/** The request-token conversions the server answered with tokens, from its audit trail. */
async function conversions(t: RunningTessera) {
  await t.server.core.audit.flush();
  const page = await t.server.core.store.audit.query({ appId: t.app.clientId, action: 'token.issued' });
  return page.items.filter((event) => (event.detail as { credtype?: string } | null)?.credtype === 'authtoken') as Array<{ detail: { connectionId?: string } | null }>;
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
