/**
 * an access token's power ends with its connection, user, company and app. After
 * each kind of revocation or disable, Tessera's own protected APIs answer 401 in the Concur format
 * within the documented staleness (`tokenStatusCacheSeconds`; the clock is moved, nothing sleeps),
 * while tokens that still stand keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from 'tessera-server';
import { AdminClient, makeAdmin } from './admin-helpers.js';
import { convertRequestToken, makeApp, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';
import { expectConcurError, passwordForm, refreshForm, send, setCompanyEnabled } from './e2e-helpers.js';

const password = 'correct horse battery';
const scopes = ['openid', 'user.read', 'company.read', 'identity.user.core.read'];

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** Every protected API a user token of `userId` may call, with the scopes above. */
const userApis = (userId: string) => [
  '/profile/v1/me', `/profile/v1/principals/${userId}`, '/profile/identity/v4/Users', `/profile/identity/v4.1/Users/${userId}`,
];

function expectRevoked(res: Awaited<ReturnType<typeof send>>, reason: RegExp) {
  expectConcurError(res, 401, { description: reason });
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
}

describe('access tokens end with what they stand on (default staleness)', () => {
  const clock = new ManualClock();
  let t: TestServer;
  let staleness: number;
  let app: Awaited<ReturnType<typeof makeApp>>;
  let admin: AdminClient;

  const userToken = async (loginId: string, client = app) => {
    const res = await postToken(t.url, passwordForm(client.clientId, client.clientSecret, loginId, password));
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };
  const appToken = async (client = app) =>
    (await postToken(t.url, { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret })).body.access_token as string;
  /** Moves past the staleness, so every node has read the change. */
  const afterStaleness = () => clock.advance(staleness + 1);
  const statusOf = async (path: string, token: string) => (await send(t.url, path, { token })).status;

  beforeAll(async () => {
    t = await startTestServer({ clock, settings: { refreshRotation: true } });
    staleness = t.server.core.settings.tokenStatusCacheSeconds * 1000;
    expect(staleness).toBe(5000);
    app = await makeApp(t, { scopes });
    await makeAdmin(t, 'revoking-admin');
    admin = new AdminClient(t.url);
    expect((await admin.signIn('revoking-admin')).status).toBe(200);
  });
  afterAll(() => t.close());

  it('names the connection in user and company tokens', async () => {
    const user = await makeUser(t, 'named@standing.test', password);
    const { access_token } = await userToken(user.loginId);
    const [connection] = await t.server.core.store.connections.listByApp(app.clientId);
    expect(claimsOf(access_token)['tessera.connection']).toBe(connection!.id);
    const company = await convertRequestToken(t, app.clientId, app.clientSecret);
    expect(claimsOf(company.body.access_token)['tessera.connection']).toEqual(expect.any(String));
    expect(claimsOf(await appToken())['tessera.connection']).toBeUndefined();
  });

  it('DELETE /app-mgmt/v0/connections: the caller\'s tokens answer 401 on every protected API; others keep working', async () => {
    const alice = await makeUser(t, 'alice@standing.test', password);
    const bob = await makeUser(t, 'bob@standing.test', password);
    const first = await userToken(alice.loginId);
    const second = await userToken(alice.loginId);
    const bobs = await userToken(bob.loginId);
    for (const path of userApis(alice.id)) expect(await statusOf(path, first.access_token)).toBe(200);

    expect((await send(t.url, '/app-mgmt/v0/connections', { method: 'DELETE', token: first.access_token })).status).toBe(200);
    afterStaleness();
    for (const token of [first.access_token, second.access_token]) {
      for (const path of userApis(alice.id)) expectRevoked(await send(t.url, path, { token }), /connection was revoked/);
      expectRevoked(await send(t.url, '/app-mgmt/v0/connections', { method: 'DELETE', token }), /connection was revoked/);
    }
    for (const path of userApis(bob.id)) expect(await statusOf(path, bobs.access_token)).toBe(200);
  });

  it('admin Connections › Revoke: that connection\'s company token answers 401; another connection keeps working', async () => {
    const revoked = await convertRequestToken(t, app.clientId, app.clientSecret);
    const kept = await convertRequestToken(t, app.clientId, app.clientSecret);
    const connectionId = claimsOf(revoked.body.access_token)['tessera.connection'] as string;
    expect(claimsOf(kept.body.access_token)['tessera.connection']).not.toBe(connectionId);
    expect(await statusOf('/profile/v1/me', revoked.body.access_token)).toBe(200);

    expect((await admin.delete(`/apps/${app.clientId}/connections/${connectionId}`)).status).toBe(204);
    afterStaleness();
    expectRevoked(await send(t.url, '/profile/v1/me', { token: revoked.body.access_token }), /connection was revoked/);
    expectRevoked(await send(t.url, `/profile/v1/principals/${t.companyId}`, { token: revoked.body.access_token }), /connection was revoked/);
    expect(await statusOf('/profile/v1/me', kept.body.access_token)).toBe(200);
  });

  it('a replayed refresh token revokes its family: the family\'s access tokens answer 401', async () => {
    const user = await makeUser(t, 'replayed@standing.test', password);
    const granted = await userToken(user.loginId);
    const refreshed = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, granted.refresh_token));
    expect(refreshed.status).toBe(200);
    // The successor is used, so a later replay of the first value is theft, not a client's retry.
    expect((await postToken(t.url, refreshForm(app.clientId, app.clientSecret, refreshed.body.refresh_token))).status).toBe(200);
    clock.advance(61_000); // past the rotation grace window
    const replay = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, granted.refresh_token));
    expect(replay.body.code).toBe(108);
    afterStaleness();
    for (const token of [granted.access_token, refreshed.body.access_token]) {
      expectRevoked(await send(t.url, '/profile/v1/me', { token }), /connection was revoked/);
    }
  });

  it('a disabled user: their tokens answer 401 until they are enabled again', async () => {
    const user = await makeUser(t, 'disabled@standing.test', password);
    const other = await makeUser(t, 'enabled@standing.test', password);
    const { access_token } = await userToken(user.loginId);
    const others = await userToken(other.loginId);
    expect((await admin.patch(`/users/${user.id}`, { status: 'disabled' })).status).toBe(200);
    afterStaleness();
    for (const path of userApis(user.id)) expectRevoked(await send(t.url, path, { token: access_token }), /user is disabled/);
    expect(await statusOf('/profile/v1/me', others.access_token)).toBe(200);
    expect((await admin.patch(`/users/${user.id}`, { status: 'active' })).status).toBe(200);
    afterStaleness();
    expect(await statusOf('/profile/v1/me', access_token)).toBe(200);
  });

  it('a disabled app: its user, company and application tokens answer 401; another app\'s keep working', async () => {
    const own = await makeApp(t, { name: 'Soon disabled', scopes, grants: ['password', 'refresh_token', 'client_credentials'] });
    const otherApp = await makeApp(t, { name: 'Still enabled', scopes });
    const user = await makeUser(t, 'app-user@standing.test', password);
    const userOfApp = await userToken(user.loginId, own);
    const company = await convertRequestToken(t, own.clientId, own.clientSecret);
    const application = await appToken(own);
    const viaOther = await userToken(user.loginId, otherApp);
    expect(await statusOf(`/profile/v1/principals/${user.id}`, application)).toBe(200);

    expect((await admin.patch(`/apps/${own.clientId}`, { enabled: false })).status).toBe(200);
    afterStaleness();
    expectRevoked(await send(t.url, '/profile/v1/me', { token: userOfApp.access_token }), /app is disabled/);
    expectRevoked(await send(t.url, '/profile/v1/me', { token: company.body.access_token }), /app is disabled/);
    expectRevoked(await send(t.url, `/profile/v1/principals/${user.id}`, { token: application }), /app is disabled/);
    expectRevoked(await send(t.url, `/app-mgmt/v4/${own.clientId}/secrets`, { token: application }), /app is disabled/);
    expect(await statusOf('/profile/v1/me', viaOther.access_token)).toBe(200);
  });

  it('a disabled company: its tokens answer 401 until it is enabled again', async () => {
    const user = await makeUser(t, 'company-off@standing.test', password);
    const userTokens = await userToken(user.loginId);
    const company = await convertRequestToken(t, app.clientId, app.clientSecret);
    await setCompanyEnabled(t, t.companyId, false);
    afterStaleness();
    try {
      expectRevoked(await send(t.url, '/profile/v1/me', { token: userTokens.access_token }), /company is disabled/);
      expectRevoked(await send(t.url, '/profile/v1/me', { token: company.body.access_token }), /company is disabled/);
    } finally {
      await setCompanyEnabled(t, t.companyId, true);
    }
    afterStaleness();
    expect(await statusOf('/profile/v1/me', company.body.access_token)).toBe(200);
  });

  it('reads the state again only after the staleness: an answer is reused for at most tokenStatusCacheSeconds', async () => {
    const user = await makeUser(t, 'cached@standing.test', password);
    const { access_token } = await userToken(user.loginId);
    expect(await statusOf('/profile/v1/me', access_token)).toBe(200); // read and remembered
    await t.server.core.store.connections.revokeByPrincipal(app.clientId, user.id, clock.now());
    clock.advance(staleness - 1);
    expect(await statusOf('/profile/v1/me', access_token)).toBe(200); // within the documented staleness
    clock.advance(2);
    expectRevoked(await send(t.url, '/profile/v1/me', { token: access_token }), /connection was revoked/);
  });
});

describe('access tokens end at once with tokenStatusCacheSeconds=0', () => {
  let t: TestServer;
  afterAll(() => t.close());

  it('answers 401 on the very next call after a revocation', async () => {
    t = await startTestServer({ settings: { tokenStatusCacheSeconds: 0 } });
    const app = await makeApp(t, { scopes });
    const user = await makeUser(t, 'instant@standing.test', password);
    const res = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password));
    const token = res.body.access_token as string;
    expect((await send(t.url, '/profile/v1/me', { token })).status).toBe(200);
    expect((await send(t.url, '/app-mgmt/v0/connections', { method: 'DELETE', token })).status).toBe(200);
    expectRevoked(await send(t.url, '/profile/v1/me', { token }), /connection was revoked/);
  });
});
