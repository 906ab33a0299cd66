/**
 * `tessera token revoke` ends the connection on the service (every refresh token of the principal
 * for the app), so another local environment of the same app, service and principal is ended
 * too: revoke names it, and `status` shows it revoked instead of valid.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeApp, makeRequestToken, postToken, startTestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('tessera token revoke with environments sharing a connection', () => {
  it('marks the other environment of the same app, service and principal revoked, and status says so', async () => {
    const t = await startTestServer();
    cleanups.push(() => t.close());
    const { home, remove } = tempHome();
    cleanups.push(remove);
    const { clientId, clientSecret } = await makeApp(t);
    const other = await makeApp(t, { name: 'Another App' });

    // A and B: the same app and company, each converted with a request token of its own.
    // C: another app of the same company (its connection is not touched).
    for (const [name, app] of [['a', { clientId, clientSecret }], ['b', { clientId, clientSecret }], ['c', other]] as const) {
      const added = await cli(home, ['env', 'add', name, '--datacenter', t.url, '--client-id', app.clientId, '--company-uuid', t.companyId, '--client-secret-stdin'],
        { input: app.clientSecret });
      expect(added.code, added.stderr).toBe(0);
      const { requestToken } = await makeRequestToken(t, app.clientId);
      const converted = await cli(home, ['token', 'convert', '--env', name, '--request-token-stdin'], { input: requestToken });
      expect(converted.code, converted.stderr).toBe(0);
    }
    const refreshTokenOfB = JSON.parse(readFileSync(join(home, 'environments', 'b.connection.json'), 'utf8')).refreshToken as string;

    const revoked = await cli(home, ['token', 'revoke', '--env', 'a']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toMatch(/also the connection of b \(same app, datacenter and principal\): marked revoked/);
    expect(revoked.stdout).toMatch(/alsoRevoked +b\n/);

    // The premise: the service did end B's refresh token too.
    const refresh = await postToken(t.url, { grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshTokenOfB });
    expect(refresh.body.code).toBe(108);

    const status = await cli(home, ['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const byName = Object.fromEntries((JSON.parse(status.stdout) as { name: string }[]).map((row) => [row.name, row])) as Record<string, {
      connected: boolean; revoked: { by: string } | null; warning: string | null;
    }>;
    expect(byName.a).toMatchObject({ connected: false, revoked: { by: 'a' } });
    expect(byName.b).toMatchObject({ connected: false, revoked: { by: 'a' } });
    expect(byName.b!.warning).toMatch(/^revoked .* by `tessera token revoke --env a`: generate a new Company Request Token and run `tessera token convert --env b`/);
    expect(byName.c).toMatchObject({ connected: true, revoked: null, warning: null });
    const text = await cli(home, ['status']);
    expect(text.stdout).toMatch(/^b\n(.*\n)*  warning: revoked /m);

    // B is told it is not connected (no refresh with a dead token), and a new conversion clears the mark.
    const got = await cli(home, ['token', 'get', '--env', 'b']);
    expect(got.code).toBe(3);
    const { requestToken } = await makeRequestToken(t, clientId);
    expect((await cli(home, ['token', 'convert', '--env', 'b', '--request-token-stdin'], { input: requestToken })).code).toBe(0);
    const after = JSON.parse((await cli(home, ['status', '--env', 'b', '--json'])).stdout)[0];
    expect(after).toMatchObject({ connected: true, revoked: null, warning: null });
  });
});
