/**
 * The grant seam (docs/architecture.md, "Grants"): a grant registered through `createServer`
 * goes through the same checklist as the built-in ones, over real HTTP: client authentication,
 * the app's Allowed Grants (60), its declared parameters (their declared codes), and tokens that
 * only its context can issue, for the app that authenticated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurError, createCompany, createServer, grantedScopes, loadSettings, type Grant } from 'tessera-server';
import { allGrants, defaultScopes, makeApp, makeRequestToken, postToken, startTestServer, type TestServer } from './helpers.js';
import { expectConcurError, refreshForm, send } from './e2e-helpers.js';

const exampleGrantType = 'urn:example:grant';

/** A company token from a parameter: the kind of grant an emulator or a partner integration adds. */
const exampleGrant: Grant = {
  grantType: exampleGrantType,
  parameters: [
    { name: 'company_uuid', required: true, missingCode: 51 },
    { name: 'mode', values: ['connect'], invalidCode: 120 },
  ],
  companyIdOf: (params) => params.company_uuid,
  async handle(ctx) {
    const companyId = ctx.params.company_uuid!;
    const company = await ctx.companies.get(companyId);
    if (!company?.enabled) throw new ConcurError(11);
    await ctx.companies.assertAppEnabled(companyId);
    const scopes = grantedScopes(ctx.params.scope, ctx.app.scopes);
    const connection = await ctx.connections.open({ principalType: 'company', principalId: companyId, companyId, scopes });
    return ctx.tokens.issue({ connection, scopes });
  },
};

/** Grants that try what the context must not allow. */
const misbehaving: Grant[] = [
  {
    grantType: 'urn:example:forged-connection',
    async handle(ctx) {
      const connection = {
        connection: { id: 'forged', appId: 'another-app', principalType: 'company' as const, principalId: 'x', companyId: 'x', scopes: [], refreshExpiresAt: 0, createdAt: 0, lastUsedAt: 0, revokedAt: null },
        refreshToken: 'forged', expiresAt: 0,
      };
      return ctx.tokens.issue({ connection, scopes: ['openid'] });
    },
  },
  {
    grantType: 'urn:example:own-response',
    async handle(ctx) {
      // Issued for what the app may have, answered as if for more.
      const issued = ctx.tokens.issue({ scopes: ['openid'] });
      return { ...issued, scope: 'openid company.write' };
    },
  },
  {
    grantType: 'urn:example:reach-around',
    async handle(ctx) {
      const loose = ctx as unknown as Record<string, unknown>;
      const reachable = ['store', 'core', 'serverKeys', 'keys'].filter((name) => loose[name] !== undefined);
      if (reachable.length > 0) throw new Error(`reached ${reachable.join(', ')}`);
      if ('secretKey' in ctx.settings || 'databaseUrl' in ctx.settings) throw new Error('reached a secret setting');
      return ctx.tokens.issue({ scopes: ['openid'] });
    },
  },
];

const allGrantTypes = [exampleGrantType, ...misbehaving.map((grant) => grant.grantType)];

describe('a grant registered through createServer', () => {
  let t: TestServer;
  let app: Awaited<ReturnType<typeof makeApp>>;
  let notAllowed: Awaited<ReturnType<typeof makeApp>>;

  const exampleForm = (client: { clientId: string; clientSecret: string }, extra: Record<string, string> = {}) => ({
    grant_type: exampleGrantType, client_id: client.clientId, client_secret: client.clientSecret, company_uuid: t.companyId, ...extra,
  });

  beforeAll(async () => {
    t = await startTestServer({ grants: [exampleGrant, ...misbehaving] });
    // A registered grant is one an app may be allowed, like the protocol's own.
    app = await makeApp(t, { grants: [...allGrants, ...allGrantTypes] });
    notAllowed = await makeApp(t, { name: 'Without the example grant' });
  });
  afterAll(async () => t?.close());

  it('an app may be allowed a registered grant, never one the server does not serve', async () => {
    expect(app.app.grants).toContain(exampleGrantType);
    // The message names the grant types the server serves, the registered one among them.
    await expect(makeApp(t, { grants: ['password', 'urn:example:unregistered'] })).rejects.toThrow(exampleGrantType);
  });

  it('issues a company token end to end: usable on a protected API, refreshable, audited, in discovery', async () => {
    const res = await postToken(t.url, exampleForm(app, { scope: 'openid company.read' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'openid company.read', geolocation: t.url });
    expect(typeof res.body.refresh_token).toBe('string');
    expect(typeof res.body.id_token).toBe('string');

    const me = await send(t.url, '/profile/v1/me', { token: res.body.access_token });
    expect(me.status).toBe(200);

    const refreshed = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, res.body.refresh_token));
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.scope).toBe('openid company.read');

    await t.server.core.audit.flush();
    const issued = (await t.server.core.store.audit.query({ appId: app.clientId })).items
      .filter((event) => event.action === 'token.issued' && (event.detail as { grantType?: string }).grantType === exampleGrantType);
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ companyId: t.companyId, principalId: t.companyId, actorType: 'company' });

    const discovery = await send(t.url, '/.well-known/openid-configuration');
    expect(discovery.body.grant_types_supported).toEqual(expect.arrayContaining(['password', 'refresh_token', 'client_credentials', exampleGrantType]));
  });

  it('answers 60 to an app whose Allowed Grants lack it, audited under its grant type', async () => {
    expectConcurError(await postToken(t.url, exampleForm(notAllowed)), 60);
    await t.server.core.audit.flush();
    const refused = (await t.server.core.store.audit.query({ appId: notAllowed.clientId })).items.filter((event) => event.action === 'token.refused');
    expect(refused.map((event) => (event.detail as { grantType?: string }).grantType)).toEqual([exampleGrantType]);
  });

  it('enforces its declared parameters with their declared codes, before it runs', async () => {
    expectConcurError(await postToken(t.url, exampleForm(app, { company_uuid: '' })), 51);
    const { company_uuid: _omitted, ...withoutCompany } = exampleForm(app);
    expectConcurError(await postToken(t.url, withoutCompany), 51);
    expectConcurError(await postToken(t.url, exampleForm(app, { mode: 'other' })), 120);
    expect((await postToken(t.url, exampleForm(app, { mode: 'connect' }))).status).toBe(200);
  });

  it('answers the refusals it throws, through capabilities bound to the app (53 for a company that has not enabled it)', async () => {
    const other = await createCompany(t.server.core, { name: 'Other Company' });
    expectConcurError(await postToken(t.url, exampleForm(app, { company_uuid: other.id })), 53);
    expectConcurError(await postToken(t.url, exampleForm(app, { scope: 'openid expense.report.read' })), 54);
    // Client authentication still comes first.
    expectConcurError(await postToken(t.url, exampleForm({ clientId: app.clientId, clientSecret: 'wrong' })), 64);
  });

  it('cannot issue for a connection it did not open, answer a response of its own, or reach the store or secrets', async () => {
    for (const grant_type of ['urn:example:forged-connection', 'urn:example:own-response']) {
      const res = await postToken(t.url, { ...exampleForm(app), grant_type });
      expect(res.status).toBe(500);
      expect(res.body.access_token).toBeUndefined();
    }
    const application = await postToken(t.url, { ...exampleForm(app), grant_type: 'urn:example:reach-around' });
    expect(application.status).toBe(200);
    // An application token of the app itself: no refresh token, no id token.
    expect(application.body.refresh_token).toBeUndefined();
    expect(application.body.id_token).toBeUndefined();
  });

  it('leaves the built-in grants as they were', async () => {
    const { companyUUID, requestToken } = await makeRequestToken(t, app.clientId);
    const converted = await postToken(t.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: app.clientId, client_secret: app.clientSecret, username: companyUUID, password: requestToken,
    });
    expect(converted.status).toBe(200);
    expect(converted.body.scope).toBe(defaultScopes.join(' '));
  });
});

describe('registering grants', () => {
  const settings = () => loadSettings({ port: 0, dataDir: '/nonexistent/tessera-grant-test', logLevel: 'silent' }, {});
  const handle: Grant['handle'] = async (ctx) => ctx.tokens.issue({ scopes: [] });

  it('refuses a grant that takes a built-in name, or one name twice, before anything opens', async () => {
    for (const grantType of ['password', 'refresh_token', 'client_credentials']) {
      await expect(createServer(settings(), { grants: [{ grantType, handle }] })).rejects.toThrow(`grant ${grantType} is already registered`);
    }
    await expect(createServer(settings(), { grants: [{ grantType: 'urn:x', handle }, { grantType: 'urn:x', handle }] }))
      .rejects.toThrow('grant urn:x is already registered');
  });

  it('refuses declarations that name no code or one the error table lacks', async () => {
    await expect(createServer(settings(), { grants: [{ grantType: 'urn:x', parameters: [{ name: 'a', required: true }], handle }] }))
      .rejects.toThrow('needs a missingCode');
    await expect(createServer(settings(), { grants: [{ grantType: 'urn:x', parameters: [{ name: 'a', values: ['b'] }], handle }] }))
      .rejects.toThrow('needs an invalidCode');
    await expect(createServer(settings(), { grants: [{ grantType: 'urn:x', notAllowedCode: 9999 as unknown as Grant['notAllowedCode'], handle }] }))
      .rejects.toThrow('9999 is not a Concur code');
  });
});
