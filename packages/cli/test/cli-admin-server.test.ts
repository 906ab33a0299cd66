/**
 * `tessera admin --server URL`: sign in to the admin API of a running service, keep a
 * short-lived token in TESSERA_HOME (mode 0600), and do steps 1 and 2 through the API; the
 * local-store mode keeps working beside it.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from 'tessera-server';
import { makeAdmin, makeTenant } from '../../server/test/admin-helpers.js';
import { postToken, startTestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const password = 'correct horse battery';

async function setUp(options: Parameters<typeof startTestServer>[0] = {}) {
  const t = await startTestServer(options);
  cleanups.push(() => t.close());
  const { home, remove } = tempHome();
  cleanups.push(remove);
  await makeAdmin(t, 'cli-admin', t.companyId, password);
  return { t, home };
}

describe('tessera admin --server', () => {
  it('logs in, creates an app, generates a request token, and the password grant takes them', async () => {
    const { t, home } = await setUp();
    const login = await cli(home, ['admin', '--server', `${t.url}/`, '--json', 'login', '--login-id', 'cli-admin', '--password-stdin'], { input: `${password}\n` });
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(JSON.parse(login.stdout)).toMatchObject({ server: t.url, loginId: 'cli-admin', companyUUID: t.companyId });
    const file = join(home, 'admin-tokens.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(saved)).toEqual([t.url]);
    expect(saved[t.url].accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(JSON.stringify(saved)).not.toContain(password);

    const created = await cli(home, ['admin', '--server', t.url, '--json', 'apps', 'create', '--name', 'CLI App', '--description', 'made over the API',
      '--grants', 'password,refresh_token', '--scopes', 'openid,company.read']);
    expect(created.code).toBe(0);
    const app = JSON.parse(created.stdout);
    expect(app).toMatchObject({ name: 'CLI App', companyUUID: t.companyId, grants: ['password', 'refresh_token'] });

    const listed = await cli(home, ['admin', '--server', t.url, '--json', 'apps', 'list']);
    expect(JSON.parse(listed.stdout).map((a: { clientId: string }) => a.clientId)).toEqual([app.clientId]);

    const token = await cli(home, ['admin', '--server', t.url, '--json', 'request-token', '--client-id', app.clientId]);
    expect(token.code).toBe(0);
    const issued = JSON.parse(token.stdout);
    expect(issued).toMatchObject({ companyUUID: t.companyId, requestToken: expect.stringMatching(/^at-/) });
    const converted = await postToken(t.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: app.clientId, client_secret: app.clientSecret,
      username: issued.companyUUID, password: issued.requestToken,
    });
    expect(converted.status).toBe(200);

    const user = await cli(home, ['admin', '--server', t.url, '--json', 'users', 'create', '--login-id', 'helper', '--password-stdin'], { input: 'helper password\n' });
    expect(user.code).toBe(0);
    const users = await cli(home, ['admin', '--server', t.url, '--json', 'users', 'list']);
    expect(JSON.parse(users.stdout).map((u: { loginId: string }) => u.loginId)).toEqual(['cli-admin', 'helper']);

    const logout = await cli(home, ['admin', '--server', t.url, 'logout']);
    expect(logout.code).toBe(0);
    expect(logout.stderr).toBe(`signed out of ${t.url}\n`);
    // The token ends on the server too, not only in TESSERA_HOME.
    const reused = await fetch(`${t.url}/admin/api/apps`, { headers: { authorization: `Bearer ${saved[t.url].accessToken}` } });
    expect(reused.status).toBe(401);
    const after = await cli(home, ['admin', '--server', t.url, 'apps', 'list']);
    expect(after.code).toBe(2);
    expect(after.stderr).toContain('tessera admin login --server');
  });

  it('answers wrong passwords, bad input, another company and an expired token clearly', async () => {
    const clock = new ManualClock();
    const { t, home } = await setUp({ clock });
    const other = await makeTenant(t, 'Other Co', 'other-admin');
    const wrong = await cli(home, ['admin', '--server', t.url, 'login', '--login-id', 'cli-admin', '--password-stdin'], { input: 'wrong password' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('Incorrect credentials');

    await cli(home, ['admin', '--server', t.url, 'login', '--login-id', 'cli-admin', '--password-stdin'], { input: password });
    const noScopes = await cli(home, ['admin', '--server', t.url, 'apps', 'create', '--name', 'X', '--description', 'Y', '--grants', 'password', '--scopes', ',']);
    expect(noScopes.code).toBe(2);
    expect(noScopes.stderr).toContain('scopes at least one scope is required');
    const foreign = await cli(home, ['admin', '--server', t.url, 'request-token', '--client-id', other.app.clientId]);
    expect(foreign.code).toBe(3);
    expect(foreign.stderr).toContain('no app of your company has this App ID');
    const otherCompany = await cli(home, ['admin', '--server', t.url, 'apps', 'list', '--company', other.companyId]);
    expect(otherCompany.code).toBe(2);
    const companies = await cli(home, ['admin', '--server', t.url, 'companies', 'list']);
    expect(companies.code).toBe(2);
    expect(companies.stderr).toContain('local store only');

    clock.advance(3601_000);
    const expired = await cli(home, ['admin', '--server', t.url, 'apps', 'list']);
    expect(expired.code).toBe(3);
    expect(expired.stderr).toContain('tessera admin login --server');
  });

  it('keeps the local-store mode working', async () => {
    const { home, remove } = tempHome();
    cleanups.push(remove);
    const dataDir = join(home, 'data');
    const created = await cli(home, ['admin', '--data-dir', dataDir, '--json', 'companies', 'create', '--name', 'Local Co']);
    expect(created.code).toBe(0);
    const app = await cli(home, ['admin', '--data-dir', dataDir, '--json', 'apps', 'create', '--name', 'Local', '--description', 'd', '--grants', 'password', '--scopes', 'openid']);
    expect(app.code).toBe(0);
    expect(JSON.parse(app.stdout).companyUUID).toBe(JSON.parse(created.stdout).id);
  });
});
