/**
 * `tessera admin apps create|update --listed --connect-url` and `tessera admin app-center
 * list|connect|disconnect` (docs/protocol.md §12 "App Center"), on the local store as the operator
 * and with `--server` as an administrator: the same core operations, so the same answers.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCompany, openSqliteStore } from 'tessera-server';
import { adminPassword, makeAdmin } from '../../server/test/admin-helpers.js';
import { postToken, startTestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setUp() {
  const { home, remove } = tempHome();
  cleanups.push(remove);
  const dataDir = `${home}-store`;
  mkdirSync(dataDir, { recursive: true });
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const t = await startTestServer({ store: await openSqliteStore(join(dataDir, 'tessera.db')), settings: { dataDir } });
  cleanups.push(() => t.close());
  const partner = await createCompany(t.server.core, { name: 'Partner Co' });
  const customerAdmin = await makeAdmin(t, 'customer-admin');
  await makeAdmin(t, 'partner-admin', partner.id);
  /** `tessera admin --data-dir … --json ARGS` (local) or `tessera admin --server … --json ARGS`. */
  const admin = async (args: string[], options: { remote?: boolean; input?: string } = {}) =>
    cli(home, ['admin', ...(options.remote ? ['--server', t.url] : ['--data-dir', dataDir]), '--json', ...args], { input: options.input });
  return { t, home, partner, customerAdmin, admin };
}

describe('tessera admin app-center', () => {
  it('lists an app with a Connect URL, connects it for another company, the partner converts, and the company disconnects', async () => {
    const { t, partner, customerAdmin, admin } = await setUp();
    const refused = await admin(['apps', 'create', '--company', partner.id, '--name', 'Partner Sync', '--description', 'syncs',
      '--grants', 'password,refresh_token', '--scopes', 'openid,company.read', '--listed']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('connectUrl a listed app needs a Connect URL');

    const created = await admin(['apps', 'create', '--company', partner.id, '--name', 'Partner Sync', '--description', 'syncs',
      '--grants', 'password,refresh_token', '--scopes', 'openid,company.read', '--listed', '--connect-url', 'https://partner.example/connect']);
    expect(created.stderr).toBe('');
    const app = JSON.parse(created.stdout);
    expect(app).toMatchObject({ listed: true, connectUrl: 'https://partner.example/connect', companyUUID: partner.id });

    // The customer sees it in its App Center; the partner does not see its own. (Both companies are made in
    // the same millisecond, so which is "the first" is not known: --company names the customer.)
    const customer = ['--company', t.companyId];
    const listed = await admin(['app-center', 'list', ...customer]);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ clientId: app.clientId, companyName: 'Partner Co', connected: false })]);
    expect(JSON.parse((await admin(['app-center', 'list', '--company', partner.id])).stdout)).toEqual([]);

    // The operator connects as the company's administrator (its first one, or --login-id).
    const connected = await admin(['app-center', 'connect', '--client-id', app.clientId, ...customer]);
    expect(connected.stderr).toBe('');
    const url = new URL(JSON.parse(connected.stdout).redirectUrl);
    expect(url.searchParams.get('id')).toBe(t.companyId);
    expect(url.searchParams.get('userID')).toBe(customerAdmin.id);
    // Audited as the console's connect, with the operator as actor, never the token.
    const events = (await t.server.core.store.audit.query({ action: 'app-center.connected', limit: 10 })).items;
    expect(events).toEqual([expect.objectContaining({
      actorType: 'operator', actorId: null, companyId: t.companyId, appId: app.clientId, detail: expect.objectContaining({ userId: customerAdmin.id }),
    })]);
    expect(JSON.stringify(events)).not.toContain(url.searchParams.get('requestToken'));
    const unknownAdmin = await admin(['app-center', 'connect', '--client-id', app.clientId, '--login-id', 'nobody', ...customer]);
    expect(unknownAdmin.code).toBe(2);
    expect(unknownAdmin.stderr).toContain('loginId');
    const converted = await postToken(t.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: app.clientId, client_secret: app.clientSecret,
      username: url.searchParams.get('id')!, password: url.searchParams.get('requestToken')!,
    });
    expect(converted.status).toBe(200);
    expect(JSON.parse((await admin(['app-center', 'list', ...customer])).stdout)[0]).toMatchObject({ connected: true, activeConnections: 1 });

    const disconnected = await admin(['app-center', 'disconnect', '--client-id', app.clientId, ...customer]);
    expect(JSON.parse(disconnected.stdout)).toMatchObject({ clientId: app.clientId, connected: false, revokedConnections: 1 });
    const notConnected = await admin(['app-center', 'disconnect', '--client-id', app.clientId, '--company', partner.id]);
    expect(notConnected.code).toBe(3);
    expect(notConnected.stderr).toContain('your company has not connected an app of another company with this App ID');

    // Unlisted, it is gone from the App Center and cannot be connected.
    expect(JSON.parse((await admin(['apps', 'update', '--company', partner.id, '--client-id', app.clientId, '--no-listed'])).stdout))
      .toMatchObject({ listed: false });
    expect(JSON.parse((await admin(['app-center', 'list', ...customer])).stdout)).toEqual([]);
    const unlisted = await admin(['app-center', 'connect', '--client-id', app.clientId, ...customer]);
    expect(unlisted.code).toBe(3);
    expect(unlisted.stderr).toContain('no app in the App Center has this App ID');
  });

  it('works the same through --server, as the signed-in administrator', async () => {
    const { t, partner, customerAdmin, admin } = await setUp();
    expect((await admin(['login', '--login-id', 'partner-admin', '--password-stdin'], { remote: true, input: `${adminPassword}\n` })).code).toBe(0);
    const created = await admin(['apps', 'create', '--name', 'Partner Sync', '--description', 'syncs', '--grants', 'password',
      '--scopes', 'openid', '--listed', '--connect-url', 'http://127.0.0.1:9999/connect?from=concur'], { remote: true });
    expect(created.stderr).toBe('');
    const app = JSON.parse(created.stdout);
    expect(app.companyUUID).toBe(partner.id);

    expect((await admin(['login', '--login-id', 'customer-admin', '--password-stdin'], { remote: true, input: `${adminPassword}\n` })).code).toBe(0);
    expect(JSON.parse((await admin(['app-center', 'list'], { remote: true })).stdout).map((a: { clientId: string }) => a.clientId)).toEqual([app.clientId]);
    const connected = await admin(['app-center', 'connect', '--client-id', app.clientId], { remote: true });
    const url = new URL(JSON.parse(connected.stdout).redirectUrl);
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:9999/connect');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ from: 'concur', id: t.companyId, userID: customerAdmin.id });
    // Only the operator names whom to connect as.
    expect((await admin(['app-center', 'connect', '--client-id', app.clientId, '--login-id', 'customer-admin'], { remote: true })).code).toBe(2);
    const disconnected = await admin(['app-center', 'disconnect', '--client-id', app.clientId], { remote: true });
    expect(JSON.parse(disconnected.stdout)).toMatchObject({ connected: false, revokedConnections: 0 });
  });
});
