/**
 * The token manager's client-side duties against a scripted `fetch` (docs/protocol.md §2, §3, §13):
 * what a real server does not show on demand.
 */
import { describe, expect, it } from 'vitest';
import { ConcurError, MemoryTokenStore, TokenManager, type ConnectionState, type RetryEvent, type TokenStore } from 'tessera-client';
import { fakeFetch, json, tokenResponse } from './fake-concur.js';

const glz = 'https://glz.api.concursolutions.com';
const us2 = 'https://us2.api.concursolutions.com';
const eu2 = 'https://eu2.api.concursolutions.com';
const connected = (geolocation = us2): ConnectionState => ({
  refreshToken: 'refresh-0', refreshExpiresAt: '2030-01-01T00:00:00.000Z', geolocation, updatedAt: '2025-01-01T00:00:00.000Z',
});
const manager = (fetch: ReturnType<typeof fakeFetch>, store: TokenStore = new MemoryTokenStore(connected()), extra = {}) =>
  new TokenManager({ clientId: 'client', clientSecret: 'secret', datacenter: 'glz', store, fetch, retry: { minDelayMs: 1, maxDelayMs: 5 }, ...extra });

describe('token manager (scripted fetch)', () => {
  it('follows code 16 once, to the returned geolocation, and stores the geolocation of the answer', async () => {
    const fetch = fakeFetch((request) => request.url.startsWith(glz)
      ? json(400, { code: 16, error: 'invalid_request', error_description: 'user lives elsewhere', geolocation: eu2 })
      : json(200, tokenResponse(eu2)));
    const store = new MemoryTokenStore();
    const token = await manager(fetch, store).passwordGrant('ann@example.com', 'pw');
    expect(fetch.requests.map((r) => r.url)).toEqual([`${glz}/oauth2/v0/token`, `${eu2}/oauth2/v0/token`]);
    expect(fetch.requests[1]!.form?.get('username')).toBe('ann@example.com');
    expect(token.geolocation).toBe(eu2);
    expect((await store.load())?.geolocation).toBe(eu2);
  });

  it('does not follow code 16 a second time', async () => {
    const fetch = fakeFetch((request) => json(400, {
      code: 16, error: 'invalid_request', error_description: 'user lives elsewhere', geolocation: request.url.startsWith(eu2) ? us2 : eu2,
    }));
    const error = await manager(fetch, new MemoryTokenStore()).passwordGrant('ann', 'pw').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurError);
    expect((error as ConcurError).concurCode).toBe(16);
    expect(fetch.requests).toHaveLength(2);
  });

  it('follows code 16 on a refresh too, and refreshes at the stored geolocation, not the configured datacenter', async () => {
    const fetch = fakeFetch((request) => request.url.startsWith(us2)
      ? json(400, { code: 16, error: 'invalid_request', error_description: 'user lives elsewhere', geolocation: eu2 })
      : json(200, tokenResponse(eu2)));
    const store = new MemoryTokenStore(connected(us2));
    await manager(fetch, store).getAccessToken();
    expect(fetch.requests.map((r) => new URL(r.url).origin)).toEqual([us2, eu2]);
    expect(fetch.requests[0]!.form?.get('grant_type')).toBe('refresh_token');
    expect((await store.load())?.geolocation).toBe(eu2);
  });

  it('accepts expires_in as a number as well as a string', async () => {
    let now = 1_000_000;
    for (const expiresIn of [3600, '3600', 120, '120']) {
      const fetch = fakeFetch(() => json(200, tokenResponse(us2, { expires_in: expiresIn })));
      const token = await manager(fetch, new MemoryTokenStore(connected()), { now: () => now }).getToken();
      expect(token.expiresAt).toBe(now + Number(expiresIn) * 1000);
      now += 1;
    }
  });

  it('keeps the access token in memory and renews it shortly before it expires', async () => {
    let now = 1_000_000;
    const fetch = fakeFetch(() => json(200, tokenResponse(us2)));
    const tokens = manager(fetch, new MemoryTokenStore(connected()), { now: () => now, refreshLeewaySeconds: 60 });
    const first = await tokens.getAccessToken();
    now += 3500_000;
    expect(await tokens.getAccessToken()).toBe(first);
    now += 50_000; // 50 s left: inside the leeway
    expect(await tokens.getAccessToken()).not.toBe(first);
    expect(fetch.requests).toHaveLength(2);
  });

  it('shares one refresh among concurrent callers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const fetch = fakeFetch(async () => {
      await gate;
      return json(200, tokenResponse(us2));
    });
    const tokens = manager(fetch);
    const callers = Array.from({ length: 25 }, () => tokens.getAccessToken());
    release();
    const results = await Promise.all(callers);
    expect(new Set(results).size).toBe(1);
    expect(fetch.requests).toHaveLength(1);
  });

  it('saves the new refresh token, its expiry and geolocation before handing out the access token', async () => {
    const events: string[] = [];
    const inner = new MemoryTokenStore(connected());
    const store: TokenStore = {
      load: () => inner.load(),
      save: async (state) => {
        events.push(`save ${state.refreshToken} ${state.refreshExpiresAt} ${state.geolocation}`);
        await inner.save(state);
      },
      clear: () => inner.clear(),
    };
    const fetch = fakeFetch(() => json(200, tokenResponse(eu2, { refresh_token: 'rotated', refresh_expires_in: '1900000000' })));
    const access = await manager(fetch, store).getAccessToken().then((token) => { events.push('handed out'); return token; });
    expect(access).toBeTruthy();
    expect(events).toEqual([`save rotated ${new Date(1_900_000_000_000).toISOString()} ${eu2}`, 'handed out']);
  });

  it('hands out no access token when the store cannot save the rotated refresh token', async () => {
    const store: TokenStore = {
      load: async () => connected(),
      save: async () => { throw new Error('disk full'); },
      clear: async () => undefined,
    };
    const fetch = fakeFetch(() => json(200, tokenResponse(us2)));
    await expect(manager(fetch, store).getAccessToken()).rejects.toThrow('disk full');
  });

  it('keeps the stored refresh token when a refresh answer carries none', async () => {
    const store = new MemoryTokenStore(connected());
    const fetch = fakeFetch(() => json(200, tokenResponse(us2, { refresh_token: undefined, refresh_expires_in: undefined })));
    await manager(fetch, store).getAccessToken();
    const state = await store.load();
    expect(state?.refreshToken).toBe('refresh-0');
    expect(state?.refreshExpiresAt).toBe('2030-01-01T00:00:00.000Z');
  });

  it('throws one error class with the Concur code, error, description, status, correlation id and meaning', async () => {
    const fetch = fakeFetch(() => json(400, { code: 108, error: 'invalid_grant', error_description: 'refresh token is invalid or expired' },
      { 'concur-correlationid': 'corr-123' }));
    const error = (await manager(fetch).getAccessToken().catch((e: unknown) => e)) as ConcurError;
    expect(error).toBeInstanceOf(ConcurError);
    expect(error).toMatchObject({
      code: 'ERR_TOKEN_REFUSED', concurCode: 108, error: 'invalid_grant', errorDescription: 'refresh token is invalid or expired',
      status: 400, correlationId: 'corr-123',
    });
    expect(error.meaning).toMatch(/Company Request Token/);
  });

  it('sends the credentials in a form body, never the query string, with a correlation id', async () => {
    const fetch = fakeFetch(() => json(200, tokenResponse(us2)));
    await manager(fetch, new MemoryTokenStore(), { correlationId: 'nameofapp' }).convertRequestToken('company-uuid', 'at-123');
    const [request] = fetch.requests;
    expect(new URL(request!.url).search).toBe('');
    expect(request!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(request!.headers.get('concur-correlationid')).toBe('nameofapp');
    expect(Object.fromEntries(request!.form!)).toEqual({
      grant_type: 'password', credtype: 'authtoken', username: 'company-uuid', password: 'at-123', client_id: 'client', client_secret: 'secret',
    });
  });

  it('refuses to convert a second time while a live refresh token is stored, unless forced', async () => {
    const fetch = fakeFetch(() => json(200, tokenResponse(us2)));
    const tokens = manager(fetch);
    await expect(tokens.convertRequestToken('c', 'at-1')).rejects.toMatchObject({ code: 'ERR_ALREADY_CONNECTED' });
    expect(fetch.requests).toHaveLength(0);
    await tokens.convertRequestToken('c', 'at-1', { force: true });
    expect(fetch.requests).toHaveLength(1);
  });

  it('retries a token request that met a 503, telling onRetry', async () => {
    const events: RetryEvent[] = [];
    let calls = 0;
    const fetch = fakeFetch(() => (++calls < 3 ? new Response('busy', { status: 503 }) : json(200, tokenResponse(us2))));
    const tokens = manager(fetch, undefined, { retry: { retries: 3, minDelayMs: 1, maxDelayMs: 5, onRetry: (e: RetryEvent) => events.push(e) } });
    await tokens.getAccessToken();
    expect(events.map((e) => [e.attempt, e.reason])).toEqual([[1, 'HTTP 503'], [2, 'HTTP 503']]);
  });

  it('reports a service that cannot be reached as ERR_NETWORK after the retries', async () => {
    const fetch = fakeFetch(() => { throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }); });
    await expect(manager(fetch).getAccessToken()).rejects.toMatchObject({ code: 'ERR_NETWORK' });
    expect(fetch.requests).toHaveLength(3);
  });

  it('sends the Bearer token only to the token geolocation', async () => {
    const fetch = fakeFetch((request) => request.url.includes('/oauth2/') ? json(200, tokenResponse(us2)) : json(200, { ok: true }));
    const tokens = manager(fetch);
    const response = await tokens.fetch('/profile/v1/me');
    expect(await response.json()).toEqual({ ok: true });
    const call = fetch.requests[1]!;
    expect(call.url).toBe(`${us2}/profile/v1/me`);
    expect(call.headers.get('authorization')).toMatch(/^Bearer /);
    expect(call.headers.get('concur-correlationid')).toMatch(/^[0-9a-f-]{36}$/);
    await expect(tokens.fetch('https://evil.example/steal')).rejects.toMatchObject({ code: 'ERR_FOREIGN_URL' });
    expect(fetch.requests).toHaveLength(2);
  });

  it('refreshes once and retries once when an API answers 401', async () => {
    let apiCalls = 0;
    const fetch = fakeFetch((request) => {
      if (request.url.includes('/oauth2/')) return json(200, tokenResponse(us2));
      apiCalls += 1;
      return apiCalls === 1 ? json(401, { code: 401, error: 'invalid_token', error_description: 'expired' }) : json(200, { id: 'me' });
    });
    const tokens = manager(fetch);
    const response = await tokens.fetch('/profile/v1/me', { method: 'POST', body: '{"a":1}' });
    expect(response.status).toBe(200);
    const [, first, , second] = fetch.requests;
    expect(first!.headers.get('authorization')).not.toBe(second!.headers.get('authorization'));
    expect(fetch.requests.map((r) => new URL(r.url).pathname)).toEqual(['/oauth2/v0/token', '/profile/v1/me', '/oauth2/v0/token', '/profile/v1/me']);
  });

  it('answers the second 401 as it is, without a loop', async () => {
    const fetch = fakeFetch((request) => request.url.includes('/oauth2/')
      ? json(200, tokenResponse(us2)) : json(401, { code: 401, error: 'invalid_token', error_description: 'no' }));
    const response = await manager(fetch).fetch('/profile/v1/me');
    expect(response.status).toBe(401);
    expect(fetch.requests).toHaveLength(4);
  });

  it('renews an application token by client_credentials and stores nothing', async () => {
    const store = new MemoryTokenStore();
    const fetch = fakeFetch(() => json(200, { expires_in: 3600, scope: 'app.read', token_type: 'Bearer', access_token: 'a.b.c' }));
    const tokens = manager(fetch, store);
    const token = await tokens.clientCredentials({ scope: ['app.read'] });
    expect(token.geolocation).toBe(glz);
    expect(fetch.requests[0]!.form?.get('grant_type')).toBe('client_credentials');
    expect(fetch.requests[0]!.form?.get('scope')).toBe('app.read');
    await tokens.refresh();
    expect(fetch.requests[1]!.form?.get('grant_type')).toBe('client_credentials');
    expect(await store.load()).toBeUndefined();
  });

  it('says ERR_NOT_CONNECTED when there is no refresh token', async () => {
    const fetch = fakeFetch(() => json(200, tokenResponse(us2)));
    await expect(manager(fetch, new MemoryTokenStore()).getAccessToken()).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    expect(fetch.requests).toHaveLength(0);
  });
});
