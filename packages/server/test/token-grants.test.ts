/**
 * The success shapes of `POST /oauth2/v0/token` exactly as docs/protocol.md §2 shows them:
 * the response fields and their types, the id_token and access-token claims verified against
 * `/oauth2/v0/jwks`, client_credentials without refresh/id token, HTTP Basic, scope narrowing,
 * request-token reuse and regeneration, the sliding refresh window, and the other signing algorithms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { ManualClock, type SettingsInput } from 'tessera-server';
import { convertRequestToken, defaultScopes, makeApp, makeRequestToken, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';
import { atHash, authtokenForm, DAY, expectConcurError, passwordForm, refreshForm, send, uuidPattern } from './e2e-helpers.js';

const password = 'correct horse battery';
const sixMonths = 180 * 24 * 3600;

async function jwksOf(t: TestServer): Promise<JSONWebKeySet> {
  const res = await send(t.url, '/oauth2/v0/jwks');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return res.body as JSONWebKeySet;
}

/** Verifies a JWT against the served JWKS, at the server's time. */
async function verify(t: TestServer, clock: ManualClock, jwt: string, options: { audience?: string; algorithms: string[] }): Promise<JWTPayload> {
  const jwks = createLocalJWKSet(await jwksOf(t));
  const { payload } = await jwtVerify(jwt, jwks, {
    issuer: t.url, currentDate: new Date(clock.now()), algorithms: options.algorithms,
    ...(options.audience ? { audience: options.audience } : {}),
  });
  return payload;
}

describe('the default server (RS256, expires_in as a string)', () => {
  const clock = new ManualClock();
  let t: TestServer;
  let app: Awaited<ReturnType<typeof makeApp>>;
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    t = await startTestServer({ clock });
    app = await makeApp(t);
    user = await makeUser(t, 'alice@grants.test', password);
  });
  afterAll(async () => t?.close());

  it('a user password grant answers exactly the documented fields', async () => {
    const res = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(
      ['access_token', 'expires_in', 'geolocation', 'id_token', 'refresh_expires_in', 'refresh_token', 'scope', 'token_type'].sort());
    expect(res.body.expires_in).toBe('3600');
    expect(res.body.token_type).toBe('Bearer');
    expect(res.body.scope).toBe(defaultScopes.join(' '));
    expect(res.body.refresh_token).toMatch(uuidPattern);
    expect(typeof res.body.refresh_expires_in).toBe('number');
    expect(res.body.refresh_expires_in).toBe(Math.floor(clock.now() / 1000) + sixMonths);
    expect(res.body.geolocation).toBe(t.url);
  });

  it('the id_token: aud=client_id, iss=geolocation, sub, at_hash, verified against /oauth2/v0/jwks', async () => {
    const res = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password));
    const header = decodeProtectedHeader(res.body.id_token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const jwks = await jwksOf(t);
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
    const claims = await verify(t, clock, res.body.id_token, { audience: app.clientId, algorithms: ['RS256'] });
    const now = Math.floor(clock.now() / 1000);
    expect(claims).toMatchObject({
      aud: app.clientId, iss: t.url, sub: user.id, iat: now, nbf: now, exp: now + 3600,
      'concur.type': 'user', 'concur.version': 2, 'concur.profile': `${t.url}/profile/v1/principals/${user.id}`,
      at_hash: atHash('RS256', res.body.access_token),
    });
  });

  it('the access token: aud "*", sub, iss, concur.* claims, kid in the header', async () => {
    const res = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password, { scope: 'openid user.read' }));
    const header = decodeProtectedHeader(res.body.access_token);
    expect(header.alg).toBe('RS256');
    expect(typeof header.kid).toBe('string');
    const claims = await verify(t, clock, res.body.access_token, { algorithms: ['RS256'] });
    const now = Math.floor(clock.now() / 1000);
    expect(claims).toMatchObject({
      aud: '*', sub: user.id, iss: t.url, iat: now, nbf: now, exp: now + 3600,
      'concur.version': 2, 'concur.type': 'user', 'concur.scopes': ['openid', 'user.read'],
      'concur.app': `${t.url}/profile/v1/apps/${app.clientId}`,
      'concur.profile': `${t.url}/profile/v1/principals/${user.id}`,
      useruuid: user.id, userURI: `${t.url}/profile/v1/principals/${user.id}`,
    });
    expect(claims.sub).toMatch(uuidPattern);
  });

  it('a company request-token conversion gives a company token with a refresh token and an id_token', async () => {
    const res = await convertRequestToken(t, app.clientId, app.clientSecret);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ expires_in: '3600', token_type: 'Bearer', scope: defaultScopes.join(' '), geolocation: t.url });
    expect(res.body.refresh_token).toMatch(uuidPattern);
    expect(res.body.refresh_expires_in).toBe(Math.floor(clock.now() / 1000) + sixMonths);
    const access = await verify(t, clock, res.body.access_token, { algorithms: ['RS256'] });
    expect(access).toMatchObject({ sub: t.companyId, 'concur.type': 'company', aud: '*' });
    const id = await verify(t, clock, res.body.id_token, { audience: app.clientId, algorithms: ['RS256'] });
    expect(id).toMatchObject({ sub: t.companyId, 'concur.type': 'company', at_hash: atHash('RS256', res.body.access_token) });
  });

  it('client_credentials: an application token, no refresh_token, no id_token', async () => {
    const res = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'geolocation', 'scope', 'token_type']);
    expect(res.body).toMatchObject({ expires_in: '3600', token_type: 'Bearer', scope: defaultScopes.join(' ') });
    const access = await verify(t, clock, res.body.access_token, { algorithms: ['RS256'] });
    expect(access).toMatchObject({ sub: app.clientId, 'concur.type': 'application', 'concur.app': `${t.url}/profile/v1/apps/${app.clientId}` });
  });

  it('HTTP Basic client authentication, both parts form-encoded (RFC 6749 §2.3.1)', async () => {
    // `-` form-encoded as %2D and the id in upper case still name the same client and secret
    const encodedSecret = app.clientSecret.replace(/-/g, '%2D');
    const basic = Buffer.from(`${app.clientId.toUpperCase()}:${encodedSecret}`).toString('base64');
    const cc = await postToken(t.url, { grant_type: 'client_credentials' }, { headers: { authorization: `Basic ${basic}` } });
    expect(cc.status).toBe(200);
    const pw = await postToken(t.url, { grant_type: 'password', username: user.loginId, password }, { headers: { authorization: `Basic ${basic}` } });
    expect(pw.status).toBe(200);
    const id = await verify(t, clock, pw.body.id_token, { audience: app.clientId, algorithms: ['RS256'] });
    expect(id.sub).toBe(user.id);
    // client_id may also appear in the body when it is the same
    const same = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId }, { headers: { authorization: `Basic ${basic}` } });
    expect(same.status).toBe(200);
  });

  it('scope narrows on every grant, and a refresh can narrow further but not widen', async () => {
    const cc = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope: 'company.read' });
    expect(cc.body.scope).toBe('company.read');

    const narrow = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password, { scope: 'user.read  openid' }));
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope.split(' ').sort()).toEqual(['openid', 'user.read']);
    expect((await verify(t, clock, narrow.body.access_token, { algorithms: ['RS256'] }))['concur.scopes']).toEqual(narrow.body.scope.split(' '));

    const again = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, narrow.body.refresh_token));
    expect(again.body.scope).toBe(narrow.body.scope);
    const narrower = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, narrow.body.refresh_token, { scope: 'user.read' }));
    expect(narrower.body.scope).toBe('user.read');
    // narrowing one refresh does not shrink the connection
    const full = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, narrow.body.refresh_token));
    expect(full.body.scope).toBe(narrow.body.scope);
    expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, narrow.body.refresh_token, { scope: 'company.read' })), 54);

    const company = await convertRequestToken(t, app.clientId, app.clientSecret);
    const companyNarrow = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, company.body.refresh_token, { scope: 'company.read' }));
    expect(companyNarrow.body.scope).toBe('company.read');
  });

  it('a request token works up to requestTokenMaxUses (5) times, all joining one connection', async () => {
    const fresh = await makeApp(t, { name: 'Five uses' });
    expect(t.server.core.settings.requestTokenMaxUses).toBe(5);
    const { companyUUID, requestToken } = await makeRequestToken(t, fresh.clientId);
    expect(companyUUID).toBe(t.companyId);
    expect(requestToken).toMatch(/^at-[a-z0-9]{30}$/);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, companyUUID, requestToken));
      expect(res.status).toBe(200);
      tokens.push(res.body.refresh_token);
    }
    expectConcurError(await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, companyUUID, requestToken)), 136);
    expect(await t.server.core.store.connections.listByApp(fresh.clientId)).toHaveLength(1);
    for (const token of tokens) {
      expect((await postToken(t.url, refreshForm(fresh.clientId, fresh.clientSecret, token))).status).toBe(200);
    }
  });

  it('a retried conversion joins the first one\'s connection and is granted at most its scopes', async () => {
    const fresh = await makeApp(t, { name: 'Retry scopes' });
    const { companyUUID, requestToken } = await makeRequestToken(t, fresh.clientId);
    const first = await postToken(t.url, { ...authtokenForm(fresh.clientId, fresh.clientSecret, companyUUID, requestToken), scope: 'openid company.read' });
    expect(first.body.scope).toBe('openid company.read');
    const retry = await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, companyUUID, requestToken));
    expect(retry.status).toBe(200);
    expect(retry.body.scope).toBe('openid company.read');
    const [connection] = await t.server.core.store.connections.listByApp(fresh.clientId);
    expect(connection!.scopes).toEqual(['openid', 'company.read']);
    const wider = await postToken(t.url, { ...authtokenForm(fresh.clientId, fresh.clientSecret, companyUUID, requestToken), scope: 'user.read' });
    expectConcurError(wider, 54);
  });

  it('five concurrent conversions of one request token (a client retrying) all succeed into one connection', async () => {
    const fresh = await makeApp(t, { name: 'Concurrent uses' });
    const { companyUUID, requestToken } = await makeRequestToken(t, fresh.clientId);
    const answers = await Promise.all(Array.from({ length: 5 }, () =>
      postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, companyUUID, requestToken))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    // Truly concurrent conversions (PostgreSQL) may each start a connection; the losers are revoked at once.
    const connections = await t.server.core.store.connections.listByApp(fresh.clientId);
    expect(connections.filter((c) => c.revokedAt === null)).toHaveLength(1);
    for (const answer of answers) {
      expect((await postToken(t.url, refreshForm(fresh.clientId, fresh.clientSecret, answer.body.refresh_token))).status).toBe(200);
    }
  });

  it('once its connection is revoked, a request token cannot connect again; a regenerated one can', async () => {
    const fresh = await makeApp(t, { name: 'Reconnect' });
    const { companyUUID, requestToken } = await makeRequestToken(t, fresh.clientId);
    const first = await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, companyUUID, requestToken));
    expect(first.status).toBe(200);
    const disconnect = await send(t.url, '/app-mgmt/v0/connections', { method: 'DELETE', token: first.body.access_token });
    expect(disconnect.status).toBe(200);
    expectConcurError(await postToken(t.url, refreshForm(fresh.clientId, fresh.clientSecret, first.body.refresh_token)), 108);

    // uses are left, but the disconnection stands: no 200 that hands out a dead refresh token
    expectConcurError(await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, companyUUID, requestToken)), 136);

    const regenerated = await makeRequestToken(t, fresh.clientId);
    const again = await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, companyUUID, regenerated.requestToken));
    expect(again.status).toBe(200);
    expect((await postToken(t.url, refreshForm(fresh.clientId, fresh.clientSecret, again.body.refresh_token))).status).toBe(200);
    const live = (await t.server.core.store.connections.listByApp(fresh.clientId)).filter((c) => c.revokedAt === null);
    expect(live).toHaveLength(1);
  });

  it('a regenerated request token replaces the old one at once', async () => {
    const fresh = await makeApp(t, { name: 'Regenerate' });
    const first = await makeRequestToken(t, fresh.clientId);
    const second = await makeRequestToken(t, fresh.clientId);
    expect(second.requestToken).not.toBe(first.requestToken);
    expectConcurError(await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, t.companyId, first.requestToken)), 136);
    expect((await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, t.companyId, second.requestToken))).status).toBe(200);
  });

  it('a refreshed user token is still the user\'s, with a fresh id_token', async () => {
    const granted = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password));
    clock.advance(60_000);
    const res = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, granted.body.refresh_token));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ expires_in: '3600', token_type: 'Bearer', refresh_token: granted.body.refresh_token, geolocation: t.url });
    const id = await verify(t, clock, res.body.id_token, { audience: app.clientId, algorithms: ['RS256'] });
    expect(id).toMatchObject({ sub: user.id, 'concur.type': 'user', iat: Math.floor(clock.now() / 1000), at_hash: atHash('RS256', res.body.access_token) });
  });

  // Last in this block: it moves the clock by years, past the app-inactivity deadline of the other apps here.
  it('the refresh window slides on every use, and expires after refreshTokenTtl of idleness', async () => {
    const fresh = await makeApp(t, { name: 'Sliding' });
    const start = await convertRequestToken(t, fresh.clientId, fresh.clientSecret);
    let expiry = start.body.refresh_expires_in as number;
    expect(expiry).toBe(Math.floor(clock.now() / 1000) + sixMonths);
    // used every 100 days for two years: never expires, and each use moves the window forward
    for (let i = 0; i < 8; i++) {
      clock.advance(100 * DAY);
      const res = await postToken(t.url, refreshForm(fresh.clientId, fresh.clientSecret, start.body.refresh_token));
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBe(start.body.refresh_token);
      expect(res.body.refresh_expires_in).toBe(expiry + 100 * 24 * 3600);
      expect(res.body.refresh_expires_in).toBe(Math.floor(clock.now() / 1000) + sixMonths);
      expiry = res.body.refresh_expires_in;
    }
    clock.advance(sixMonths * 1000 - 1000);
    expect((await postToken(t.url, refreshForm(fresh.clientId, fresh.clientSecret, start.body.refresh_token))).status).toBe(200);
    clock.advance(sixMonths * 1000 + 1000);
    expectConcurError(await postToken(t.url, refreshForm(fresh.clientId, fresh.clientSecret, start.body.refresh_token)), 108);
  });
});

describe('settings.expiresInFormat "number"', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { expiresInFormat: 'number', accessTokenTtl: 1800 } });
  });
  afterAll(async () => t?.close());

  it('expires_in is the number of seconds on every grant', async () => {
    const app = await makeApp(t);
    const cc = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
    expect(cc.body.expires_in).toBe(1800);
    const converted = await convertRequestToken(t, app.clientId, app.clientSecret);
    expect(converted.body.expires_in).toBe(1800);
    const refreshed = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, converted.body.refresh_token));
    expect(refreshed.body.expires_in).toBe(1800);
    expect(typeof refreshed.body.refresh_expires_in).toBe('number');
  });
});

describe.each([
  { signingAlg: 'ES256', kty: 'EC', crv: 'P-256' },
  { signingAlg: 'EdDSA', kty: 'OKP', crv: 'Ed25519' },
] as const)('settings.signingAlg $signingAlg', ({ signingAlg, kty, crv }) => {
  const clock = new ManualClock();
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ clock, settings: { signingAlg } satisfies SettingsInput });
  });
  afterAll(async () => t?.close());

  it('signs access and id tokens with that algorithm, published in JWKS and in discovery', async () => {
    const jwks = await jwksOf(t);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty, crv, alg: signingAlg, use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const discovery = await send(t.url, '/.well-known/openid-configuration');
    expect(discovery.body.id_token_signing_alg_values_supported).toEqual([signingAlg]);

    const app = await makeApp(t);
    await makeUser(t, 'eve@alg.test', password);
    const res = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, 'eve@alg.test', password));
    expect(res.status).toBe(200);
    for (const jwt of [res.body.access_token, res.body.id_token]) {
      expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: signingAlg, kid: jwks.keys[0]!.kid });
    }
    const access = await verify(t, clock, res.body.access_token, { algorithms: [signingAlg] });
    expect(access).toMatchObject({ aud: '*', 'concur.type': 'user', iss: t.url });
    const id = await verify(t, clock, res.body.id_token, { audience: app.clientId, algorithms: [signingAlg] });
    expect(id.at_hash).toBe(atHash(signingAlg, res.body.access_token));
  });
});
