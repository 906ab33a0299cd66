/**
 * Test scaffolding: a real token service on loopback with its own data dir, and the usual
 * fixtures (a company, an app, a request token, a user). Tests talk to it over real HTTP.
 *
 * With `TESSERA_TEST_STORE=postgres` (`npm run test:postgres`) every test server runs on a
 * PostgreSQL schema of its own, dropped again by `close()`, so the same suites prove both stores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  createApp, createServer, createUser, generateRequestToken, loadSettings, type NewApp, type SettingsInput,
  openPostgresStore, type Store, type TesseraServer, type Clock, type Grant, type RateLimiter,
} from 'tessera-server';
import { dropSchema, freshSchemaName, testDatabaseUrl } from './test-services.js';

/** The store every test server runs on: `TESSERA_TEST_STORE=postgres` for PostgreSQL, else the embedded SQLite. */
export const testStoreKind: 'sqlite' | 'postgres' = process.env.TESSERA_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export interface TestServer {
  url: string;
  server: TesseraServer;
  dataDir: string;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, unknown>[];
  companyId: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  settings?: SettingsInput;
  store?: Store;
  clock?: Clock;
  /** Grants to serve besides the built-in ones. */
  grants?: Grant[];
  /** Rate-limit counters instead of the default ones. */
  rateLimiter?: RateLimiter;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const logs: Record<string, unknown>[] = [];
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const settings = loadSettings({ port: 0, dataDir, logLevel: 'info', ...options.settings }, {});
  let store = options.store;
  let schema: string | undefined;
  if (!store && testStoreKind === 'postgres') {
    schema = freshSchemaName();
    store = await openPostgresStore(testDatabaseUrl, { schema, maxConnections: 4 });
  }
  const server = await createServer(settings, {
    logDestination, ...(store ? { store } : {}), ...(options.clock ? { clock: options.clock } : {}), ...(options.grants ? { grants: options.grants } : {}),
    ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
  });
  const url = await server.listen();
  const { createCompany } = await import('tessera-server');
  const company = await createCompany(server.core, { name: 'Test Company' });
  return {
    url, server, dataDir, logs, companyId: company.id,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (schema) await dropSchema(schema);
    },
  };
}

export const allGrants = ['password', 'refresh_token', 'client_credentials'] as const;
export const defaultScopes = ['openid', 'user.read', 'company.read', 'identity.user.core.read'];

export async function makeApp(t: TestServer, input: Partial<NewApp> = {}, companyId = t.companyId) {
  const { app, clientSecret } = await createApp(t.server.core, companyId, {
    name: 'Test App', description: 'for tests', grants: [...allGrants], scopes: defaultScopes, ...input,
  });
  return { clientId: app.id, clientSecret, app };
}

export async function makeRequestToken(t: TestServer, clientId: string, companyId = t.companyId) {
  return generateRequestToken(t.server.core, clientId, companyId);
}

export async function makeUser(t: TestServer, loginId: string, password: string, companyId = t.companyId) {
  return createUser(t.server.core, { companyId, loginId, password });
}

/** POSTs a form to the token endpoint; answers status, headers and parsed JSON body. */
export async function postToken(url: string, form: Record<string, string>, init: { headers?: Record<string, string> } = {}) {
  const response = await fetch(`${url}/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...init.headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, any> };
}

/** Client credentials, company conversion: the usual path to a company refresh token. */
export async function convertRequestToken(t: TestServer, clientId: string, clientSecret: string) {
  const { companyUUID, requestToken } = await makeRequestToken(t, clientId);
  return postToken(t.url, {
    grant_type: 'password', credtype: 'authtoken', client_id: clientId, client_secret: clientSecret,
    username: companyUUID, password: requestToken,
  });
}
