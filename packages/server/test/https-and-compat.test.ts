/**
 * Compatibility with real third-party clients: `--https` serves TLS with the self-signed
 * certificate kept in the data dir; SAP Concur's own Postman collection runs green under newman
 * with only the environment values set; and a standards-strict OIDC library (openid-client v6)
 * discovers the server, completes client_credentials, the authtoken password grant and a refresh,
 * and validates the id_tokens.
 */
import { X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { makeApp, makeRequestToken, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';
import { refreshForm } from './e2e-helpers.js';

/** The part of newman's Node API used here (the package ships no types). */
interface NewmanSummary {
  run: {
    failures: Array<{ source?: { name?: string }; error?: { message?: string } }>;
    executions: Array<{ item: { name: string }; response?: { code: number }; assertions?: Array<{ assertion: string; error?: { message?: string } }> }>;
    stats: { assertions: { total: number; failed: number } };
  };
  environment: { values: { toObject(): Record<string, string> } };
}
const newman = createRequire(import.meta.url)('newman') as {
  run(options: Record<string, unknown>, callback: (error: Error | null, summary: NewmanSummary) => void): void;
};

// Unchanged copies of SAP Concur's published collection and environment (see fixtures/postman/README.md).
const postmanDir = fileURLToPath(new URL('./fixtures/postman/', import.meta.url));
const collection = JSON.parse(readFileSync(join(postmanDir, 'Authentication.postman_collection.json'), 'utf8'));
const environment = JSON.parse(readFileSync(join(postmanDir, 'Concur Default Env.postman_environment.json'), 'utf8'));

/** A fetch over node:https that trusts exactly `ca`: TLS is verified, against the data dir's certificate. */
function fetchTrusting(ca: string) {
  return (url: string | URL, init: { method?: string; headers?: Record<string, string> | Headers; body?: string | URLSearchParams | null } = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const req = httpsRequest(url, { method: init.method ?? 'GET', headers, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers: responseHeaders }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (init.body !== undefined && init.body !== null) req.write(String(init.body)); // openid-client sends URLSearchParams
      req.end();
    });
}

describe('--https with the self-signed certificate of the data dir', () => {
  let t: TestServer;
  let certPem: string;

  beforeAll(async () => {
    t = await startTestServer({ settings: { https: true } });
    certPem = readFileSync(join(t.dataDir, 'localhost-cert.pem'), 'utf8');
  });
  afterAll(async () => t?.close());

  it('listens on https and presents the certificate stored in the data dir, valid for 127.0.0.1 and localhost', async () => {
    expect(t.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const stored = new X509Certificate(certPem);
    expect(stored.subjectAltName).toMatch(/DNS:localhost/);
    expect(stored.subjectAltName).toMatch(/IP Address:127\.0\.0\.1/);

    const presented = await new Promise<{ fingerprint: string; status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(`${t.url}/healthz`, { ca: certPem }, (res) => {
        const peer = (res.socket as TLSSocket).getPeerX509Certificate();
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve({ fingerprint: peer?.fingerprint256 ?? '', status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(presented.status).toBe(200);
    expect(presented.fingerprint).toBe(stored.fingerprint256);
    expect(JSON.parse(presented.body)).toEqual({ status: 'ok' });
  });

  it('refuses a client that does not trust the certificate (it is really TLS, really verified)', async () => {
    await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
  });

  it('runs the SAP Concur Postman collection green under newman, with only the environment values set', async () => {
    const app = await makeApp(t, { grants: ['password', 'refresh_token'], scopes: ['openid'] });
    const { companyUUID, requestToken } = await makeRequestToken(t, app.clientId);
    const values: Record<string, string> = {
      dataCenterURI: new URL(t.url).host, clientId: app.clientId, clientSecret: app.clientSecret, companyUUID, requestToken,
    };
    const env = {
      ...environment,
      values: (environment.values as Array<{ key: string; value: string }>).map((v) => (v.key in values ? { ...v, value: values[v.key] } : v)),
    };
    const summary = await new Promise<NewmanSummary>((resolve, reject) => {
      newman.run({ collection, environment: env, insecure: true, reporters: [], timeoutRequest: 10_000 },
        (error, result) => (error ? reject(error) : resolve(result)));
    });

    expect(summary.run.failures.map((f) => `${f.source?.name}: ${f.error?.message}`)).toEqual([]);
    expect(summary.run.executions.map((e) => e.item.name)).toEqual([
      '(One Time) Convert Request Token To Refresh Token', 'Obtain an Access Token',
    ]);
    for (const execution of summary.run.executions) {
      expect(execution.response?.code).toBe(200);
      expect(execution.assertions?.map((a) => [a.assertion, a.error?.message])).toEqual([['Initialize', undefined]]);
    }
    expect(summary.run.stats.assertions).toMatchObject({ total: 2, failed: 0 });

    // the refresh token the collection stored works for the next run
    const stored = summary.environment.values.toObject();
    expect(stored.accessToken?.split('.')).toHaveLength(3);
    const next = await fetchTrusting(certPem)(`${t.url}/oauth2/v0/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(refreshForm(app.clientId, app.clientSecret, stored.refreshToken!)).toString(),
    });
    expect(next.status).toBe(200);
  });

  it('openid-client completes discovery and grants over verified TLS', async () => {
    const app = await makeApp(t, { scopes: ['openid', 'company.read'] });
    const config = await oidc.discovery(new URL(t.url), app.clientId, app.clientSecret, undefined, {
      [oidc.customFetch]: fetchTrusting(certPem) as unknown as typeof fetch,
    });
    const cc = await oidc.clientCredentialsGrant(config, { scope: 'company.read' });
    expect(cc.access_token.split('.')).toHaveLength(3);
    const { companyUUID, requestToken } = await makeRequestToken(t, app.clientId);
    const company = await oidc.genericGrantRequest(config, 'password', { username: companyUUID, password: requestToken, credtype: 'authtoken' });
    expect(company.claims()).toMatchObject({ sub: companyUUID, iss: t.url });
  });
});

describe('openid-client v6 against the http server', () => {
  let t: TestServer;
  let app: Awaited<ReturnType<typeof makeApp>>;
  let config: oidc.Configuration;

  beforeAll(async () => {
    t = await startTestServer();
    app = await makeApp(t);
    config = await oidc.discovery(new URL(t.url), app.clientId, app.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => t?.close());

  it('discovers the server: issuer = geolocation, token endpoint and JWKS', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(t.url);
    expect(metadata.token_endpoint).toBe(`${t.url}/oauth2/v0/token`);
    expect(metadata.jwks_uri).toBe(`${t.url}/oauth2/v0/jwks`);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['password', 'refresh_token', 'client_credentials']));
  });

  it('client_credentials: an access token, no refresh token, no id_token', async () => {
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'openid user.read' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.scope).toBe('openid user.read');
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.id_token).toBeUndefined();
    expect(tokens.claims()).toBeUndefined();
  });

  it('the authtoken password grant, then a refresh: id_tokens validated by the library', async () => {
    const { companyUUID, requestToken } = await makeRequestToken(t, app.clientId);
    const tokens = await oidc.genericGrantRequest(config, 'password', { username: companyUUID, password: requestToken, credtype: 'authtoken' });
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.claims()).toMatchObject({ sub: companyUUID, iss: t.url, aud: app.clientId, 'concur.type': 'company' });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBe(tokens.refresh_token);
    expect(refreshed.claims()).toMatchObject({ sub: companyUUID, iss: t.url, aud: app.clientId });

    const narrowed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'openid company.read' });
    expect(narrowed.scope).toBe('openid company.read');
    expect(narrowed.claims()?.sub).toBe(companyUUID);
  });

  it('the user password grant and client_secret_basic authentication', async () => {
    await makeUser(t, 'oidc@compat.test', 'correct horse battery');
    const basic = await oidc.discovery(new URL(t.url), app.clientId, app.clientSecret, oidc.ClientSecretBasic(app.clientSecret), { execute: [oidc.allowInsecureRequests] });
    const tokens = await oidc.genericGrantRequest(basic, 'password', { username: 'oidc@compat.test', password: 'correct horse battery' });
    expect(tokens.claims()).toMatchObject({ iss: t.url, aud: app.clientId, 'concur.type': 'user' });
    const refreshed = await oidc.refreshTokenGrant(basic, tokens.refresh_token!);
    expect(refreshed.claims()?.sub).toBe(tokens.claims()?.sub);
  });

  it('a Concur error reaches the library as an OAuth error with the Concur fields', async () => {
    const bad = await oidc.discovery(new URL(t.url), app.clientId, 'not-the-secret', undefined, { execute: [oidc.allowInsecureRequests] });
    // a 401 with WWW-Authenticate: the library reports the challenge, and the Concur body is still there to read
    const error = await oidc.clientCredentialsGrant(bad).catch((e: unknown) => e) as oidc.WWWAuthenticateChallengeError;
    expect(error).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    expect(error.status).toBe(401);
    expect(error.cause[0]).toMatchObject({ scheme: 'basic', parameters: { realm: 'tessera' } });
    expect(await error.response.json()).toEqual({ code: 64, error: 'invalid_client', error_description: 'Incorrect credentials. Please Retry' });

    // a 400 is an OAuth error body with the Concur code alongside
    const refused = await oidc.clientCredentialsGrant(config, { scope: 'receipts.read' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(oidc.ResponseBodyError);
    expect(refused).toMatchObject({ error: 'invalid_scope', status: 400, cause: { code: 54 } });
    // the raw endpoint agrees
    const raw = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, 'nope'));
    expect(raw.body.code).toBe(108);
  });
});
