/**
 * A service with something in it to keep (backup, restore, migrate): an app and its
 * secret, connections with refresh tokens (one from a converted request token), a request token
 * not yet used, an administrator with a password and an audit trail; and the check that a
 * service on the copy honours every one of them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  createApp, createCompany, createServer, createUser, generateRequestToken, loadSettings, WebServicesAdministrator,
  type SettingsInput, type TesseraServer,
} from 'tessera-server';
import { postToken } from '../../server/test/helpers.js';

export interface Running {
  url: string;
  server: TesseraServer;
  close(): Promise<void>;
}

/** A new empty folder for a data dir. */
export const freshDir = (): string => mkdtempSync(join(tmpdir(), 'tessera-store-'));

/** A real service on loopback; embedded store in `dataDir` unless the settings name a database. */
export async function startService(settings: SettingsInput): Promise<Running> {
  const server = await createServer(loadSettings({ port: 0, logLevel: 'silent', seedDemo: false, ...settings }, {}));
  const url = await server.listen();
  let closing: Promise<void> | undefined;
  return { url, server, close: () => (closing ??= server.close()) };
}

export interface Seed {
  clientId: string;
  clientSecret: string;
  /** Refresh tokens handed out before the copy: the converted one first, then users'. */
  refreshTokens: string[];
  /** A company request token nobody converted yet, and its company. */
  unusedRequestToken: { companyUUID: string; requestToken: string };
  admin: { loginId: string; password: string };
  /** After the last seeded event. */
  seededAt: number;
}

/** Fills a running service through its core and its token endpoint. */
export async function seedService(s: Running, users = 3): Promise<Seed> {
  const core = s.server.core;
  const company = await createCompany(core, { name: 'Kept Company' });
  const other = await createCompany(core, { name: 'Waiting Company' });
  const { app, clientSecret } = await createApp(core, company.id, {
    name: 'Kept App', description: 'survives the copy', grants: ['password', 'refresh_token', 'client_credentials'], scopes: ['openid', 'user.read', 'company.read'],
  });
  const admin = { loginId: `admin-${company.id.slice(0, 8)}`, password: 'an admin password 1' };
  await createUser(core, { companyId: company.id, loginId: admin.loginId, password: admin.password, roles: [WebServicesAdministrator] });

  const converted = await generateRequestToken(core, app.id, company.id);
  const refreshTokens: string[] = [];
  const first = await postToken(s.url, {
    grant_type: 'password', credtype: 'authtoken', client_id: app.id, client_secret: clientSecret, username: converted.companyUUID, password: converted.requestToken,
  });
  expect(first.status, JSON.stringify(first.body)).toBe(200);
  refreshTokens.push(first.body.refresh_token);
  for (let i = 0; i < users; i++) {
    const loginId = `user${i}-${company.id.slice(0, 8)}@example.com`;
    await createUser(core, { companyId: company.id, loginId, password: 'a user password 1' });
    const answer = await postToken(s.url, { grant_type: 'password', credtype: 'password', client_id: app.id, client_secret: clientSecret, username: loginId, password: 'a user password 1' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    refreshTokens.push(answer.body.refresh_token);
  }
  const unused = await generateRequestToken(core, app.id, other.id);
  await core.audit.flush();
  return { seededAt: core.clock.now(), clientId: app.id, clientSecret, refreshTokens, unusedRequestToken: { companyUUID: unused.companyUUID, requestToken: unused.requestToken }, admin };
}

/** Refreshes every refresh token of the seed once, answering the HTTP statuses. */
export async function refreshAll(url: string, seed: Seed): Promise<number[]> {
  return Promise.all(seed.refreshTokens.map(async (refreshToken) =>
    (await postToken(url, { grant_type: 'refresh_token', client_id: seed.clientId, client_secret: seed.clientSecret, refresh_token: refreshToken })).status));
}

/** A service on the copy honours the old secret, refresh tokens, request token and password, and has the audit trail. */
export async function expectSeedWorks(s: Running, seed: Seed): Promise<void> {
  const cc = await postToken(s.url, { grant_type: 'client_credentials', client_id: seed.clientId, client_secret: seed.clientSecret });
  expect(cc.status, JSON.stringify(cc.body)).toBe(200);
  expect(await refreshAll(s.url, seed)).toEqual(seed.refreshTokens.map(() => 200));
  const conversion = await postToken(s.url, {
    grant_type: 'password', credtype: 'authtoken', client_id: seed.clientId, client_secret: seed.clientSecret,
    username: seed.unusedRequestToken.companyUUID, password: seed.unusedRequestToken.requestToken,
  });
  expect(conversion.status, JSON.stringify(conversion.body)).toBe(200);
  const signIn = await fetch(`${s.url}/admin/api/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(seed.admin),
  });
  expect(signIn.status, await signIn.clone().text()).toBe(200);
  const audit = await s.server.core.store.audit.query({ action: 'token.issued', until: seed.seededAt, limit: 1000 });
  expect(audit.total).toBe(seed.refreshTokens.length);
}
