/**
 * Fixtures for Tessera, written into its data dir *before* the server starts (so seeding is not
 * counted in its start time), with the same code the server runs: `createCore` on the data dir,
 * then the exported core functions and the store API. The large "scale" store is bulk-inserted
 * with SQL in a few transactions (a million rows through the async store API one by one would
 * take minutes); its rows have the shapes and keyed digests the store API writes.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  createApp, createCompany, createCore, generateRequestToken, loadSettings, type Core,
} from 'tessera-server';
import type { Alg } from './workload.js';

export const benchScopes = ['openid', 'company.read', 'user.read', 'identity.user.core.read'];

export interface TesseraFixtures {
  clientId: string;
  clientSecret: string;
  /** Company UUID and request token, each convertible `requestTokenMaxUses` times. */
  pairs: Array<{ username: string; password: string }>;
  /** Refresh tokens of distinct company connections. */
  refreshTokens: string[];
  /** Company access tokens for the protected API. */
  accessTokens: string[];
}

export interface FixtureCounts {
  companies: number;
  refreshTokens: number;
  accessTokens: number;
}

/** The maximum conversions per request token the benchmark sets (the setting's upper bound). */
export const requestTokenMaxUses = 100;

async function openCore(dataDir: string, alg: Alg, port: number) {
  const settings = loadSettings({
    dataDir, port, signingAlg: alg, requestTokenMaxUses, logLevel: 'silent', seedDemo: false,
  }, {});
  const handle = await createCore(settings);
  handle.resolveGeolocation(`http://127.0.0.1:${port}`);
  return handle;
}

async function addConnection(core: Core, appId: string, companyId: string): Promise<string> {
  const now = core.clock.now();
  const id = randomUUID();
  await core.store.connections.create({
    id, appId, principalType: 'company', principalId: companyId, companyId, scopes: benchScopes,
    refreshExpiresAt: now + core.settings.refreshTokenTtl * 1000, createdAt: now, lastUsedAt: now, revokedAt: null,
  });
  const value = randomUUID();
  await core.store.connections.addRefreshToken({ digest: core.serverKeys.digest(value), connectionId: id, createdAt: now, supersededAt: null });
  return value;
}

/** Creates the data dir's server key and a signing key of `alg` (what a first start would do). */
export async function prepareDataDir(dataDir: string, alg: Alg, port: number): Promise<void> {
  const handle = await openCore(dataDir, alg, port);
  await handle.close();
}

/**
 * A bench app owned by a bench company, `counts.companies` companies each with a request token
 * for it, a connection with one refresh token per entry of `counts.refreshTokens`, and company
 * access tokens signed with the data dir's key of `alg` (iss = the URL the server will listen on).
 */
export async function seedTessera(dataDir: string, alg: Alg, port: number, counts: FixtureCounts): Promise<TesseraFixtures> {
  const handle = await openCore(dataDir, alg, port);
  const { core } = handle;
  try {
    const owner = await createCompany(core, { name: 'Bench Owner' });
    const { app, clientSecret } = await createApp(core, owner.id, {
      name: 'Bench App', description: 'benchmark client', grants: ['password', 'refresh_token', 'client_credentials'], scopes: benchScopes,
    });
    const companies: string[] = [];
    const pairs: TesseraFixtures['pairs'] = [];
    for (let i = 0; i < Math.max(1, counts.companies); i++) {
      const company = await createCompany(core, { name: `Bench Company ${i}` });
      const issued = await generateRequestToken(core, app.id, company.id);
      companies.push(company.id);
      pairs.push({ username: issued.companyUUID, password: issued.requestToken });
    }
    const refreshTokens: string[] = [];
    for (let i = 0; i < counts.refreshTokens; i++) refreshTokens.push(await addConnection(core, app.id, companies[i % companies.length]!));
    const accessTokens: string[] = [];
    for (let i = 0; i < counts.accessTokens; i++) {
      const id = companies[i % companies.length]!;
      accessTokens.push(core.tokens.issue({
        clientId: app.id, principal: { type: 'company', id, companyId: id }, scopes: benchScopes,
        geolocation: core.geolocation(), idToken: false,
      }).access_token);
    }
    return { clientId: app.id, clientSecret, pairs, refreshTokens, accessTokens };
  } finally {
    await handle.close();
  }
}

export interface ScaleSize {
  apps: number;
  connections: number;
}

/**
 * Fills a data dir with `size.apps` apps (one owner company per 10 apps, each app with an
 * active secret, its owner's grant and a request token) and `size.connections` company
 * connections spread over them, each with one refresh token. Answers the seconds it took.
 */
export async function seedScale(dataDir: string, alg: Alg, port: number, size: ScaleSize, log: (line: string) => void): Promise<number> {
  const started = Date.now();
  const handle = await openCore(dataDir, alg, port);
  const { serverKeys } = handle.core;
  await handle.close();

  const db = new Sqlite(join(dataDir, 'tessera.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const now = Date.now();
  const expires = now + 180 * 24 * 3600 * 1000;
  const grants = JSON.stringify(['password', 'refresh_token', 'client_credentials']);
  const scopes = JSON.stringify(benchScopes);
  const insertCompany = db.prepare('INSERT INTO companies (id, name, geolocation, domain, enabled, created_at) VALUES (?, ?, NULL, NULL, 1, ?)');
  const insertApp = db.prepare(`INSERT INTO apps (id, company_id, name, description, stage, app_type, grants, scopes, redirect_uris,
    enabled, created_at, updated_at, last_used_at) VALUES (?, ?, ?, 'filler app', 'production', 'ws-client', ?, ?, '[]', 1, ?, ?, NULL)`);
  const insertSecret = db.prepare("INSERT INTO app_secrets (id, app_id, digest, status, created_at, updated_at) VALUES (?, ?, ?, 'active', ?, ?)");
  const insertGrant = db.prepare('INSERT INTO app_companies (app_id, company_id, enabled, created_at, updated_at) VALUES (?, ?, 1, ?, ?)');
  const insertRequestToken = db.prepare(`INSERT INTO request_tokens (digest, app_id, company_id, uses, max_uses, expires_at, created_at, connection_id)
    VALUES (?, ?, ?, 0, 5, ?, ?, NULL)`);
  const insertConnection = db.prepare(`INSERT INTO connections (id, app_id, principal_type, principal_id, company_id, scopes,
    refresh_expires_at, created_at, last_used_at, revoked_at) VALUES (?, ?, 'company', ?, ?, ?, ?, ?, ?, NULL)`);
  const insertToken = db.prepare('INSERT INTO refresh_tokens (digest, connection_id, created_at, superseded_at) VALUES (?, ?, ?, NULL)');

  const apps: Array<{ id: string; companyId: string }> = [];
  db.transaction(() => {
    let companyId = '';
    for (let i = 0; i < size.apps; i++) {
      if (i % 10 === 0) {
        companyId = randomUUID();
        insertCompany.run(companyId, `Filler Company ${i / 10}`, now);
      }
      const id = randomUUID();
      apps.push({ id, companyId });
      insertApp.run(id, companyId, `Filler App ${i}`, grants, scopes, now, now);
      insertSecret.run(randomUUID(), id, serverKeys.digest(randomUUID()), now, now);
      insertGrant.run(id, companyId, now, now);
      insertRequestToken.run(serverKeys.digest(`at-${randomUUID()}`), id, companyId, now + 24 * 3600 * 1000, now);
    }
  })();
  log(`  ${size.apps} apps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const batch = 100_000;
  for (let done = 0; done < size.connections; done += batch) {
    db.transaction(() => {
      for (let i = done; i < Math.min(size.connections, done + batch); i++) {
        const app = apps[(i * 7919) % apps.length]!;
        const id = randomUUID();
        insertConnection.run(id, app.id, app.companyId, app.companyId, scopes, expires, now, now);
        insertToken.run(serverKeys.digest(randomUUID()), id, now);
      }
    })();
    log(`  ${Math.min(size.connections, done + batch)} connections in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return (Date.now() - started) / 1000;
}
