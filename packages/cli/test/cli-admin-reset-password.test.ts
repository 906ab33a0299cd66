/**
 * `tessera admin users reset-password`: on the local store and with --server through the admin
 * API (POST /admin/api/users/{id}/password). The new password comes from stdin or is generated
 * and printed once, never from an argument; the lockout lifts; the audit trail records who reset
 * whose password, and never the password.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SettingsInput } from 'tessera-server';
import { makeAdmin, makeTenant } from '../../server/test/admin-helpers.js';
import { makeApp, makeUser, postToken, startTestServer, type TestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const oldPassword = 'the old password';

/**
 * A test server with a user and an app. `localStore`: on an SQLite store in a folder of its own
 * (whatever TESSERA_TEST_STORE says), which the CLI opens with --data-dir as `dataDir`.
 */
async function setUp({ localStore = false, settings = {} }: { localStore?: boolean; settings?: SettingsInput } = {}) {
  const { home, remove } = tempHome();
  cleanups.push(remove);
  const storeDir = `${home}-store`;
  mkdirSync(storeDir, { recursive: true });
  cleanups.push(() => rmSync(storeDir, { recursive: true, force: true }));
  // The server key lives in the same folder, so the CLI reads what the server wrote.
  const t = await startTestServer(localStore ? { store: await openSqliteStore(join(storeDir, 'tessera.db')), settings: { ...settings, dataDir: storeDir } } : { settings });
  cleanups.push(() => t.close());
  const app = await makeApp(t);
  const user = await makeUser(t, 'worker', oldPassword);
  const grant = async (password: string) => ({
    ...await postToken(t.url, { grant_type: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: 'worker', password }),
    clientId: app.clientId, clientSecret: app.clientSecret,
  });
  return { t, home, user, grant, dataDir: localStore ? storeDir : t.dataDir };
}

async function auditOf(t: TestServer, principalId: string) {
  await t.server.core.audit.flush();
  return (await t.server.core.store.audit.query({ action: 'user.password-reset', principalId })).items;
}

describe('tessera admin users reset-password', () => {
  it('on the local store: from stdin, never from an argument, or generated; audited without the password', async () => {
    const { t, home, user, grant, dataDir } = await setUp({ localStore: true });

    const asArgument = await cli(home, ['admin', 'users', 'reset-password', '--data-dir', dataDir, '--login-id', 'worker', '--password', 'new password 1']);
    expect(asArgument.code).toBe(2);
    expect(asArgument.stderr).toContain('never taken from the command line');
    const noInput = await cli(home, ['admin', 'users', 'reset-password', '--data-dir', dataDir, '--login-id', 'worker']);
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain('--password-stdin');

    const fromStdin = await cli(home, ['admin', 'users', 'reset-password', '--data-dir', dataDir, '--company', t.companyId, '--login-id', 'worker', '--password-stdin', '--json'],
      { input: 'the new password\n' });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toEqual({ passwordReset: 'worker', id: user.id });
    expect((await grant('the new password')).status).toBe(200);
    expect((await grant(oldPassword)).body.code).toBe(5);

    const generated = await cli(home, ['admin', 'users', 'reset-password', '--data-dir', dataDir, '--login-id', 'worker', '--generate', '--json']);
    expect(generated.code, generated.stderr).toBe(0);
    const { password } = JSON.parse(generated.stdout);
    expect(password).toMatch(/^[\w-]{24}$/);
    expect((await grant(password)).status).toBe(200);

    const events = await auditOf(t, user.id);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ actorType: 'operator', outcome: 'success', detail: { loginId: 'worker' } });
    const trail = JSON.stringify(await t.server.core.store.audit.query({ limit: 500 }));
    expect(trail).not.toContain('the new password');
    expect(trail).not.toContain(password);

    const unknown = await cli(home, ['admin', 'users', 'reset-password', '--data-dir', dataDir, '--login-id', 'nobody', '--generate']);
    expect(unknown.code).toBe(2);
  });

  it('ends the user\'s app connections: refresh and access tokens obtained before the reset stop working', async () => {
    const { t, home, user, grant } = await setUp({ settings: { tokenStatusCacheSeconds: 0 } });
    const before = await grant(oldPassword);
    expect(before.status).toBe(200);
    const second = await grant(oldPassword);
    expect((await fetch(`${t.url}/profile/v1/me`, { headers: { authorization: `Bearer ${before.body.access_token}` } })).status).toBe(200);
    await makeAdmin(t, 'revoking-admin', t.companyId, 'admin password 1');
    expect((await cli(home, ['admin', '--server', t.url, 'login', '--login-id', 'revoking-admin', '--password-stdin'], { input: 'admin password 1' })).code).toBe(0);

    const reset = await cli(home, ['admin', '--server', t.url, '--json', 'users', 'reset-password', '--login-id', 'worker', '--password-stdin'], { input: 'a fresh password' });
    expect(reset.code, reset.stderr).toBe(0);
    for (const answer of [before, second]) {
      const refresh = await postToken(t.url, {
        grant_type: 'refresh_token', client_id: answer.clientId, client_secret: answer.clientSecret, refresh_token: answer.body.refresh_token,
      });
      expect(refresh.body.code, JSON.stringify(refresh.body)).toBe(108);
    }
    expect((await fetch(`${t.url}/profile/v1/me`, { headers: { authorization: `Bearer ${before.body.access_token}` } })).status).toBe(401);
    const [event] = await auditOf(t, user.id);
    expect(event).toMatchObject({ detail: { loginId: 'worker', revokedConnections: 2 } });
    expect((await grant('a fresh password')).status).toBe(200);
  });

  it('with --server through the admin API: the lockout lifts; only for users of the administrator\'s company', async () => {
    const { t, home, user, grant } = await setUp();
    for (let i = 0; i < 5; i++) await grant('wrong password');
    expect((await grant(oldPassword)).body.code).toBe(14); // locked through this app
    await makeAdmin(t, 'cli-admin', t.companyId, 'admin password 1');
    const other = await makeTenant(t, 'Other Corp', 'other-admin');
    const login = await cli(home, ['admin', '--server', t.url, 'login', '--login-id', 'cli-admin', '--password-stdin'], { input: 'admin password 1' });
    expect(login.code, login.stderr).toBe(0);

    // The login id is matched as sign-in matches it (case-insensitively), by a lookup on the server.
    const reset = await cli(home, ['admin', '--server', t.url, '--json', 'users', 'reset-password', '--login-id', 'WORKER', '--password-stdin'], { input: 'reset over the API' });
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ passwordReset: 'worker', id: user.id });
    expect((await grant('reset over the API')).status).toBe(200);
    const [event] = await auditOf(t, user.id);
    expect(event).toMatchObject({ actorType: 'user', companyId: t.companyId, detail: { loginId: 'worker' } });
    expect(JSON.stringify(event)).not.toContain('reset over the API');

    // Another company's user is not found by name, nor by id through the API.
    const foreign = await cli(home, ['admin', '--server', t.url, 'users', 'reset-password', '--login-id', 'other-admin', '--generate']);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('no user other-admin');
    const token = (await cli(home, ['admin', '--server', t.url, '--json', 'login', '--login-id', 'cli-admin', '--password-stdin'], { input: 'admin password 1' }));
    expect(token.code).toBe(0);
    const saved = JSON.parse((await import('node:fs')).readFileSync(`${home}/admin-tokens.json`, 'utf8'))[t.url].accessToken as string;
    const direct = await fetch(`${t.url}/admin/api/users/${other.adminId}/password`, {
      method: 'POST', headers: { authorization: `Bearer ${saved}`, 'content-type': 'application/json' }, body: JSON.stringify({ password: 'taken over 123' }),
    });
    expect(direct.status).toBe(404);
    const short = await fetch(`${t.url}/admin/api/users/${user.id}/password`, {
      method: 'POST', headers: { authorization: `Bearer ${saved}`, 'content-type': 'application/json' }, body: JSON.stringify({ password: 'short' }),
    });
    expect(short.status).toBe(400);
    expect(await short.json()).toMatchObject({ fields: [{ field: 'password' }] });
  });
});
