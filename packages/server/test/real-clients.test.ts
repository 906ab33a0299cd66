/**
 * What real clients do: SAP's Tutorial 3 sample calls `/profile/identity/v4/Users/`
 * with a trailing slash, openid-client calls `fetchUserInfo` with the discovery's
 * `userinfo_endpoint`, and Concur's Identity answers point `meta.location` at the Identity resource.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { makeApp, makeRequestToken, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';
import { authtokenForm, expectConcurError, passwordForm, send } from './e2e-helpers.js';

const password = 'correct horse battery';
let t: TestServer;
let app: Awaited<ReturnType<typeof makeApp>>;
let user: Awaited<ReturnType<typeof makeUser>>;

/** A user access token with `scope`. */
async function userToken(scope: string): Promise<string> {
  const res = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password, { scope }));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token as string;
}

beforeAll(async () => {
  t = await startTestServer();
  app = await makeApp(t, { scopes: ['openid', 'profile', 'email', 'user.read', 'company.read', 'identity.user.core.read'] });
  user = await makeUser(t, 'tutorial3@clients.test', password);
});
afterAll(async () => t?.close());

describe('a trailing slash answers like the path without it', () => {
  it('Identity v4 and v4.1 Users, the list and one user (SAP Tutorial 3 sends `/Users/`)', async () => {
    const token = await userToken('identity.user.core.read');
    for (const version of ['v4', 'v4.1']) {
      const plain = await send(t.url, `/profile/identity/${version}/Users`, { token });
      const slashed = await send(t.url, `/profile/identity/${version}/Users/`, { token });
      expect(plain.status).toBe(200);
      expect(slashed.status).toBe(200);
      expect(slashed.body).toEqual(plain.body);
      expect(slashed.body.Resources.map((r: { id: string }) => r.id)).toContain(user.id);

      const one = await send(t.url, `/profile/identity/${version}/Users/${user.id}`, { token });
      const oneSlashed = await send(t.url, `/profile/identity/${version}/Users/${user.id}/`, { token });
      expect(one.status).toBe(200);
      expect(oneSlashed.body).toEqual(one.body);
    }
  });

  it('Profile v1, the token endpoint, JWKS, discovery, app-mgmt connections and secrets, the console', async () => {
    const token = await userToken('user.read');
    expect((await send(t.url, '/profile/v1/me/', { token })).body).toMatchObject({ id: user.id });
    expect((await send(t.url, `/profile/v1/principals/${user.id}/`, { token })).body).toMatchObject({ id: user.id });
    expect((await send(t.url, '/oauth2/v0/jwks/')).body.keys.length).toBeGreaterThan(0);
    expect((await send(t.url, '/.well-known/openid-configuration/')).body.issuer).toBe(t.url);

    const appToken = await fetch(`${t.url}/oauth2/v0/token/`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret }),
    });
    expect(appToken.status).toBe(200);
    const secrets = await send(t.url, `/app-mgmt/v4/${app.clientId}/secrets/`, { token: ((await appToken.json()) as { access_token: string }).access_token });
    expect(secrets.status).toBe(200);
    expect(Array.isArray(secrets.body)).toBe(true);

    const { requestToken } = await makeRequestToken(t, app.clientId);
    const company = await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, t.companyId, requestToken));
    const revoked = await send(t.url, '/app-mgmt/v0/connections/', { method: 'DELETE', token: company.body.access_token });
    expect(revoked.status).toBe(200);

    for (const path of ['/admin', '/admin/']) {
      const console = await send(t.url, path);
      expect(console.status, path).toBe(200);
      expect(console.text).toMatch(/<html/i);
    }
  });

  it('an unknown path still answers 404 with or without the slash', async () => {
    for (const path of ['/profile/identity/v4/Nope', '/profile/identity/v4/Nope/']) {
      expectConcurError(await send(t.url, path), 404, { description: /no resource/ });
    }
  });
});

describe('Identity meta.location', () => {
  it('points to the Identity Users resource of the version asked, as Concur answers; Profile v1 keeps its principal URL', async () => {
    const token = await userToken('identity.user.core.read user.read');
    for (const version of ['v4', 'v4.1']) {
      const expected = `${t.url}/profile/identity/${version}/Users/${user.id}`;
      expect((await send(t.url, `/profile/identity/${version}/Users/${user.id}`, { token })).body.meta.location).toBe(expected);
      const list = await send(t.url, `/profile/identity/${version}/Users`, { token });
      expect(list.body.Resources.find((r: { id: string }) => r.id === user.id).meta.location).toBe(expected);
    }
    expect((await send(t.url, '/profile/v1/me', { token })).body.meta.location).toBe(`${t.url}/profile/v1/principals/${user.id}`);
  });
});

describe('OpenID Connect userinfo (a Tessera extension)', () => {
  let config: oidc.Configuration;
  beforeAll(async () => {
    config = await oidc.discovery(new URL(t.url), app.clientId, app.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  });

  it('openid-client fetchUserInfo answers sub and the claims of the granted scopes', async () => {
    expect(config.serverMetadata().userinfo_endpoint).toBe(`${t.url}/oauth2/v0/userinfo`);
    const tokens = await oidc.genericGrantRequest(config, 'password', { username: user.loginId, password, scope: 'openid profile email' });
    const sub = tokens.claims()!.sub;
    expect(sub).toBe(user.id);
    const info = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    expect(info).toEqual({
      sub: user.id, name: user.loginId, preferred_username: user.loginId, email: user.loginId,
      updated_at: Math.floor(user.updatedAt / 1000),
    });

    const openidOnly = await oidc.genericGrantRequest(config, 'password', { username: user.loginId, password, scope: 'openid' });
    expect(await oidc.fetchUserInfo(config, openidOnly.access_token, sub)).toEqual({ sub: user.id });
    const noEmail = await oidc.genericGrantRequest(config, 'password', { username: user.loginId, password, scope: 'openid profile' });
    expect(await oidc.fetchUserInfo(config, noEmail.access_token, sub)).not.toHaveProperty('email');
  });

  it('describes a company for a company token, and answers POST too (OIDC Core §5.3.1)', async () => {
    const { requestToken } = await makeRequestToken(t, app.clientId);
    const tokens = await oidc.genericGrantRequest(config, 'password', {
      username: t.companyId, password: requestToken, credtype: 'authtoken', scope: 'openid profile',
    });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, t.companyId)).toEqual({
      sub: t.companyId, name: 'Test Company', updated_at: expect.any(Number),
    });
    const posted = await send(t.url, '/oauth2/v0/userinfo', { method: 'POST', token: tokens.access_token });
    expect(posted.status).toBe(200);
    expect(posted.body.sub).toBe(t.companyId);
    expect(posted.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a token without openid (403), an application token (403) and no token (401)', async () => {
    expectConcurError(await send(t.url, '/oauth2/v0/userinfo', { token: await userToken('user.read') }), 403, { description: /openid/ });
    const appToken = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope: 'openid' });
    expectConcurError(await send(t.url, '/oauth2/v0/userinfo', { token: appToken.body.access_token }), 403, { description: /application token/ });
    const none = await send(t.url, '/oauth2/v0/userinfo');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});

describe('discovery advertises only what exists', () => {
  it('the authorization endpoint with the code flow and S256 only; the grants the token endpoint takes', async () => {
    const discovery = (await send(t.url, '/.well-known/openid-configuration')).body;
    expect(discovery.authorization_endpoint).toBe(`${t.url}/oauth2/v0/authorize`);
    expect(discovery.response_types_supported).toEqual(['code']);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect([...discovery.grant_types_supported].sort()).toEqual(['authorization_code', 'client_credentials', 'otp', 'password', 'refresh_token']);
    expect(discovery.claims_supported).toEqual(expect.arrayContaining(['sub', 'name', 'preferred_username', 'email', 'updated_at']));
  });

  it('every endpoint and URI it names answers (none is a 404)', async () => {
    const discovery = (await send(t.url, '/.well-known/openid-configuration')).body as Record<string, unknown>;
    const named = Object.entries(discovery).filter(([key]) => key.endsWith('_endpoint') || key.endsWith('_uri'));
    expect(named.map(([key]) => key).sort()).toEqual(['authorization_endpoint', 'introspection_endpoint', 'jwks_uri', 'token_endpoint', 'userinfo_endpoint']);
    const token = await userToken('openid');
    const methods: Record<string, 'GET' | 'POST'> = {
      authorization_endpoint: 'GET', token_endpoint: 'POST', introspection_endpoint: 'POST', jwks_uri: 'GET', userinfo_endpoint: 'GET',
    };
    for (const [key, url] of named) {
      const response = await fetch(url as string, {
        method: methods[key], headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        ...(methods[key] === 'POST' ? { body: 'grant_type=client_credentials' } : {}),
      });
      expect(response.status, key).not.toBe(404);
      // The POST endpoints want client credentials this request does not carry: anything but a 404 proves they exist.
      // The authorization endpoint without a client answers its error page (400), never a redirect.
      if (methods[key] === 'GET') expect(response.status, key).toBe(key === 'authorization_endpoint' ? 400 : 200);
    }
  });
});
