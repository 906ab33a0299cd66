/**
 * the local `tessera admin …` commands (the operator on the service's machine) run the
 * same core operations as the admin API and the console, so each change is audited alike: the
 * same action and detail, `actorType: 'operator'` instead of the administrator, and never a
 * secret, a request token or a password in the trail.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type StoredAuditEvent } from 'tessera-server';
import { AdminClient, adminPassword, makeAdmin } from '../../server/test/admin-helpers.js';
import { startTestServer, type TestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A test server on an SQLite store in a folder of its own (server key beside it), which the CLI opens with --data-dir. */
async function setUp() {
  const { home, remove } = tempHome();
  cleanups.push(remove);
  const dataDir = `${home}-store`;
  mkdirSync(dataDir, { recursive: true });
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const t = await startTestServer({ store: await openSqliteStore(join(dataDir, 'tessera.db')), settings: { dataDir } });
  cleanups.push(() => t.close());
  /** Runs `tessera admin --data-dir … --json ARGS`; answers the parsed output. */
  const admin = async (args: string[], input?: string) => {
    const run = await cli(home, ['admin', '--data-dir', dataDir, '--json', ...args], { input });
    expect(run.stderr, args.join(' ')).toBe('');
    expect(run.code, args.join(' ')).toBe(0);
    return JSON.parse(run.stdout || '{}');
  };
  return { t, admin, home, dataDir };
}

/** The one event of `action` in the store (the CLI's process wrote it before it exited). */
async function eventOf(t: TestServer, action: string, filter: (e: StoredAuditEvent) => boolean = () => true): Promise<StoredAuditEvent> {
  await t.server.core.audit.flush();
  const events = (await t.server.core.store.audit.query({ action, limit: 100 })).items.filter(filter);
  expect(events, action).toHaveLength(1);
  return events[0]!;
}

describe('tessera admin on the local store: audited like the console', () => {
  it('apps, secrets, request tokens, users, companies and keys: each change an operator event, never a secret', async () => {
    const { t, admin } = await setUp();
    const byOperator = { outcome: 'success', actorType: 'operator', actorId: null };
    const company = t.companyId;
    /** A command within the test company (the store's first company is the demo company). */
    const inCompany = (args: string[], input?: string) => admin([...args, '--company', company], input);

    // The same creation through the admin API (as the console does) and on the local store.
    await makeAdmin(t, 'console-admin');
    const client = new AdminClient(t.url);
    expect((await client.useBearer('console-admin', adminPassword)).status).toBe(200);
    const viaApi = await client.request('POST', '/admin/api/apps', { name: 'Console App', description: 'd', grants: ['password'], scopes: ['openid'] });
    expect(viaApi.status).toBe(201);
    const created = await inCompany(['apps', 'create', '--name', 'CLI App', '--description', 'd', '--grants', 'password', '--scopes', 'openid']);
    const appId: string = created.clientId;
    const consoleEvent = await eventOf(t, 'app.created', (e) => e.appId === viaApi.body.app.clientId);
    const cliEvent = await eventOf(t, 'app.created', (e) => e.appId === appId);
    expect(consoleEvent).toMatchObject({ actorType: 'user', companyId: company, detail: { name: 'Console App', grants: ['password'], scopes: ['openid'] } });
    expect(cliEvent).toMatchObject({ ...byOperator, companyId: company, detail: { name: 'CLI App', grants: ['password'], scopes: ['openid'] } });
    const secrets: string[] = [created.clientSecret];

    await inCompany(['apps', 'update', '--client-id', appId, '--name', 'Renamed']);
    expect(await eventOf(t, 'app.updated')).toMatchObject({ ...byOperator, appId, companyId: company, detail: { fields: ['name'] } });
    expect(await inCompany(['apps', 'disable', '--client-id', appId])).toMatchObject({ enabled: false });
    expect(await eventOf(t, 'app.disabled')).toMatchObject({ ...byOperator, appId, detail: { enabled: false } });
    await inCompany(['apps', 'enable', '--client-id', appId]);
    expect(await eventOf(t, 'app.enabled', (e) => e.appId === appId)).toMatchObject({ ...byOperator, appId });

    const secret = await inCompany(['apps', 'secrets', 'create', '--client-id', appId]);
    secrets.push(secret.secret);
    expect(await eventOf(t, 'secret.created')).toMatchObject({ ...byOperator, appId, companyId: company, detail: { secretId: secret.id } });
    await inCompany(['apps', 'secrets', 'activate', '--client-id', appId, '--secret-id', secret.id]);
    expect(await eventOf(t, 'secret.activated')).toMatchObject({ ...byOperator, appId, detail: { secretId: secret.id } });
    await inCompany(['apps', 'secrets', 'deactivate', '--client-id', appId, '--secret-id', secret.id]);
    expect(await eventOf(t, 'secret.deactivated')).toMatchObject({ ...byOperator, appId, detail: { secretId: secret.id } });
    await inCompany(['apps', 'secrets', 'delete', '--client-id', appId, '--secret-id', secret.id]);
    expect(await eventOf(t, 'secret.deleted')).toMatchObject({ ...byOperator, appId, detail: { secretId: secret.id } });

    const issued = await inCompany(['request-token', '--client-id', appId]);
    secrets.push(issued.requestToken);
    expect(await eventOf(t, 'request-token.generated')).toMatchObject({ ...byOperator, appId, companyId: company, principalId: company });

    const password = 'a user password 1';
    secrets.push(password);
    const user = await inCompany(['users', 'create', '--login-id', 'cli-user', '--password-stdin'], password);
    expect(await eventOf(t, 'user.created')).toMatchObject({ ...byOperator, companyId: company, principalId: user.id, detail: { loginId: 'cli-user', administrator: false } });
    await inCompany(['users', 'disable', '--login-id', 'cli-user']);
    expect(await eventOf(t, 'user.disabled')).toMatchObject({ ...byOperator, companyId: company, principalId: user.id });
    await inCompany(['users', 'enable', '--login-id', 'cli-user']);
    expect(await eventOf(t, 'user.enabled')).toMatchObject({ ...byOperator, principalId: user.id });
    await inCompany(['users', 'unlock', '--login-id', 'cli-user']);
    expect(await eventOf(t, 'user.unlocked')).toMatchObject({ ...byOperator, principalId: user.id, detail: { loginId: 'cli-user' } });
    const newPassword = 'a new password 2';
    secrets.push(newPassword);
    await inCompany(['users', 'reset-password', '--login-id', 'cli-user', '--password-stdin'], newPassword);
    expect(await eventOf(t, 'user.password-reset')).toMatchObject({ ...byOperator, companyId: company, principalId: user.id });

    const newCompany = await admin(['companies', 'create', '--name', 'Operator Co']);
    expect(await eventOf(t, 'company.created')).toMatchObject({ ...byOperator, companyId: newCompany.id, detail: { name: 'Operator Co' } });

    const rotation = await admin(['keys', 'rotate']);
    expect(await eventOf(t, 'key.rotated')).toMatchObject({ ...byOperator, detail: { kid: rotation.key.kid } });

    // Nothing secret anywhere in the trail.
    const trail = JSON.stringify((await t.server.core.store.audit.query({ limit: 500 })).items);
    for (const value of secrets) expect(trail).not.toContain(value);
  });

  it('refuses what the admin API refuses, with the same words and nothing changed', async () => {
    const { t, admin, home, dataDir } = await setUp();
    const badScopes = await cli(home, ['admin', '--data-dir', dataDir, 'apps', 'create', '--name', 'X', '--description', 'Y', '--grants', 'password', '--scopes', ',']);
    expect(badScopes.code).toBe(2);
    expect(badScopes.stderr).toContain('scopes at least one scope is required');
    const noCompany = await cli(home, ['admin', '--data-dir', dataDir, 'apps', 'list', '--company', '6f0c1c2e-0000-4000-8000-000000000000']);
    expect(noCompany.code).toBe(2);
    expect(noCompany.stderr).toContain('no company 6f0c1c2e-0000-4000-8000-000000000000');
    expect((await admin(['apps', 'list'])).length).toBeGreaterThanOrEqual(0);
    await t.server.core.audit.flush();
    expect((await t.server.core.store.audit.query({ action: 'app.created' })).total).toBe(0);
  });
});
