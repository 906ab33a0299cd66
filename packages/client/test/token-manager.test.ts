/**
 * The SDK against a real Tessera token service on loopback: the four steps, rotation, a 401
 * healed by a refresh, the token's geolocation, expired request and refresh tokens, revoke.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConcurError, FileTokenStore, MemoryTokenStore, TokenManager, type FetchLike, type TokenStore } from 'tessera-client';
import { createCompany, ManualClock, type Store } from 'tessera-server';
import { makeApp, makeRequestToken, makeUser, postToken, startTestServer, type TestServer } from '../../server/test/helpers.js';

const servers: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startTestServer>[0] = {}) {
  const t = await startTestServer(options);
  servers.push(t);
  return t;
}

/** A fetch that counts token requests per origin. */
function countingFetch() {
  const tokenRequests: string[] = [];
  const fetch: FetchLike = (input, init) => {
    const url = new URL(String(input));
    if (url.pathname === '/oauth2/v0/token') tokenRequests.push(`${url.origin} ${new URLSearchParams(String(init?.body)).get('grant_type')}`);
    return globalThis.fetch(input, init);
  };
  return { fetch, tokenRequests };
}

async function connectedManager(t: TestServer, store: TokenStore = new MemoryTokenStore(), extra: Partial<ConstructorParameters<typeof TokenManager>[0]> = {}) {
  const { clientId, clientSecret } = await makeApp(t);
  const { companyUUID, requestToken } = await makeRequestToken(t, clientId);
  const manager = new TokenManager({ clientId, clientSecret, datacenter: t.url, store, ...extra });
  await manager.convertRequestToken(companyUUID, requestToken);
  return { manager, clientId, clientSecret, companyUUID, store };
}

describe('tessera-client against Tessera', () => {
  it('does the four steps: app, request token, conversion, access token on demand for an API call', async () => {
    const t = await start();
    const { clientId, clientSecret } = await makeApp(t); // step 1
    const { companyUUID, requestToken } = await makeRequestToken(t, clientId); // step 2
    const store = new MemoryTokenStore();
    const manager = new TokenManager({ clientId, clientSecret, datacenter: t.url, store });

    const converted = await manager.convertRequestToken(companyUUID, requestToken); // step 3
    expect(converted.principal).toEqual({ type: 'company', id: companyUUID });
    const state = await store.load();
    expect(state).toMatchObject({ geolocation: t.url, principal: { type: 'company', id: companyUUID } });
    expect(state!.refreshToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(state!.refreshExpiresAt!) - Date.now()).toBeGreaterThan(179 * 24 * 3600_000);

    const me = await manager.fetch('/profile/v1/me'); // step 4
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: companyUUID, meta: { principalType: 'company' } });

    // A later process with only the stored refresh token gets its own access token.
    const later = new TokenManager({ clientId, clientSecret, datacenter: t.url, store });
    const refreshed = await later.getToken();
    expect(refreshed.accessToken).not.toBe(converted.accessToken);
    expect(refreshed.scopes).toContain('company.read');
  });

  it('keeps working when the server rotates the refresh token, storing each new value', async () => {
    const t = await start({ settings: { refreshRotation: true } });
    const { manager, store, clientId, clientSecret } = await connectedManager(t);
    const seen = new Set([(await store.load())!.refreshToken]);
    for (let i = 0; i < 3; i++) {
      await manager.refresh();
      seen.add((await store.load())!.refreshToken);
    }
    expect(seen.size).toBe(4);
    const last = await postToken(t.url, { grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: (await store.load())!.refreshToken });
    expect(last.status).toBe(200);
  });

  it('shares one file store between managers (as between processes) under rotation', async () => {
    const t = await start({ settings: { refreshRotation: true, rotationGraceSeconds: 1 } });
    const dir = mkdtempSync(join(tmpdir(), 'tessera-client-'));
    dirs.push(dir);
    const path = join(dir, 'connection.json');
    const { clientId, clientSecret } = await connectedManager(t, new FileTokenStore(path));
    const presented: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const fetch: FetchLike = async (input, init) => {
      presented.push(new URLSearchParams(String(init?.body)).get('refresh_token') ?? '');
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await globalThis.fetch(input, init);
      } finally {
        inFlight -= 1;
      }
    };
    const managers = Array.from({ length: 8 }, () => new TokenManager({ clientId, clientSecret, datacenter: t.url, store: new FileTokenStore(path), fetch }));
    const tokens = await Promise.all(managers.map((m) => m.getAccessToken()));
    expect(new Set(tokens).size).toBe(8);
    // Read → refresh → write ran one at a time, each refresh with the value the previous one stored.
    expect(maxInFlight).toBe(1);
    expect(new Set(presented).size).toBe(8);
    await new Promise((resolve) => setTimeout(resolve, 2100)); // past the grace window: only the newest value may work
    const stored = await new FileTokenStore(path).load();
    const answer = await postToken(t.url, { grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: stored!.refreshToken });
    expect(answer.status).toBe(200);
  });

  it('answers an API 401 with one refresh and a retry, transparently', async () => {
    const clock = new ManualClock();
    const t = await start({ clock });
    const counting = countingFetch();
    const { manager } = await connectedManager(t, new MemoryTokenStore(), { fetch: counting.fetch });
    const first = await manager.getAccessToken();
    expect((await manager.fetch('/profile/v1/me')).status).toBe(200);
    clock.advance(2 * 3600_000); // the server sees the cached token as expired; the client does not know yet
    const response = await manager.fetch('/profile/v1/me');
    expect(response.status).toBe(200);
    expect(await manager.getAccessToken()).not.toBe(first);
    expect(counting.tokenRequests).toEqual([`${t.url} password`, `${t.url} refresh_token`]);
  });

  it('refreshes and calls at the token geolocation, not at the datacenter first configured', async () => {
    const secretKey = 'k'.repeat(40);
    const home = await start({ settings: { secretKey } });
    const store: Store = home.server.core.store;
    // A second datacenter on the same data (like GLZ routing for US2); it must not close the shared store.
    const landing = await start({ settings: { secretKey }, store: Object.create(store, { close: { value: async () => undefined } }) as Store });
    const company = await createCompany(home.server.core, { name: 'Lives at home', geolocation: home.url });
    const { clientId, clientSecret } = await makeApp(landing, {}, company.id);
    const { companyUUID, requestToken } = await makeRequestToken(landing, clientId, company.id);
    const counting = countingFetch();
    const manager = new TokenManager({ clientId, clientSecret, datacenter: landing.url, fetch: counting.fetch });

    const converted = await manager.convertRequestToken(companyUUID, requestToken);
    expect(converted.geolocation).toBe(home.url);
    expect((await manager.connection())?.geolocation).toBe(home.url);
    await servers.splice(servers.indexOf(landing), 1)[0]!.close(); // the landing host is gone: nothing may need it now

    await manager.refresh();
    const me = await manager.fetch('/profile/v1/me');
    expect(me.status).toBe(200);
    expect(new URL(me.url).origin).toBe(home.url);
    expect(counting.tokenRequests).toEqual([`${landing.url} password`, `${home.url} refresh_token`]);
  });

  it('reports an expired request token as code 136 with what to do', async () => {
    const clock = new ManualClock();
    const t = await start({ clock, settings: { requestTokenTtl: 3600 } });
    const { clientId, clientSecret } = await makeApp(t);
    const { companyUUID, requestToken } = await makeRequestToken(t, clientId);
    clock.advance(3601_000);
    const manager = new TokenManager({ clientId, clientSecret, datacenter: t.url });
    const error = (await manager.convertRequestToken(companyUUID, requestToken).catch((e: unknown) => e)) as ConcurError;
    expect(error).toBeInstanceOf(ConcurError);
    expect(error).toMatchObject({ code: 'ERR_TOKEN_REFUSED', concurCode: 136, error: 'invalid_grant', status: 400 });
    expect(error.correlationId).toBeTruthy();
    expect(error.meaning).toMatch(/Generate a new one in Company Request Token/);
    expect(await manager.connection()).toBeUndefined();
  });

  it('reports a refresh token left unused past its lifetime as code 108', async () => {
    const clock = new ManualClock();
    const t = await start({ clock, settings: { refreshTokenTtl: 7200 } });
    const { store, clientId, clientSecret } = await connectedManager(t);
    clock.advance(7201_000);
    const manager = new TokenManager({ clientId, clientSecret, datacenter: t.url, store });
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'ERR_TOKEN_REFUSED', concurCode: 108, status: 400 });
  });

  it('gets a user token with the password grant and an application token with client_credentials', async () => {
    const t = await start();
    const { clientId, clientSecret } = await makeApp(t);
    const user = await makeUser(t, 'ann@example.com', 'correct horse battery');
    const users = new TokenManager({ clientId, clientSecret, datacenter: t.url });
    const token = await users.passwordGrant('ann@example.com', 'correct horse battery', { scope: 'openid user.read' });
    expect(token.principal).toEqual({ type: 'user', id: user.id });
    expect(token.scopes.sort()).toEqual(['openid', 'user.read']);
    expect(await (await users.fetch('/profile/v1/me')).json()).toMatchObject({ id: user.id });

    const apps = new TokenManager({ clientId, clientSecret, datacenter: t.url });
    const app = await apps.clientCredentials();
    expect(app.principal?.type).toBe('application');
    expect(await apps.connection()).toBeUndefined();
  });

  it('revokes the connection and forgets it', async () => {
    const t = await start();
    const { manager, store, clientId, clientSecret } = await connectedManager(t);
    const refreshToken = (await store.load())!.refreshToken;
    await manager.revoke();
    expect(await store.load()).toBeUndefined();
    const answer = await postToken(t.url, { grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken });
    expect(answer.body.code).toBe(108);
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
  });
});
