/**
 * Expired tokens give the right words and exit codes: an expired request token (code 136) on
 * `token convert`, a refresh token left unused past its lifetime (code 108) on `token get`,
 * `keep-alive` and `status`; and keep-alive refreshes what is due and leaves the rest.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type SettingsInput } from 'tessera-server';
import { makeApp, makeRequestToken, startTestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setUp(settings: SettingsInput) {
  const clock = new ManualClock();
  const t = await startTestServer({ clock, settings });
  cleanups.push(() => t.close());
  const { home, remove } = tempHome();
  cleanups.push(remove);
  const { clientId, clientSecret } = await makeApp(t);
  const { companyUUID, requestToken } = await makeRequestToken(t, clientId);
  const added = await cli(home, ['env', 'add', 'dev', '--datacenter', t.url, '--client-id', clientId, '--company-uuid', companyUUID],
    { env: { TESSERA_CLIENT_SECRET: clientSecret } });
  expect(added.code, added.stderr).toBe(0);
  return { t, clock, home, clientId, clientSecret, requestToken };
}

describe('expired tokens', () => {
  it('an expired request token: exit 3, code 136, and where to get a new one', async () => {
    const { clock, home, requestToken } = await setUp({ requestTokenTtl: 3600 });
    clock.advance(3601_000);
    const converted = await cli(home, ['token', 'convert', '--request-token-stdin'], { input: requestToken });
    expect(converted.code).toBe(3);
    expect(converted.stdout).toBe('');
    expect(converted.stderr).toMatch(/^tessera: request token expired, used up, or issued for another app or company \(code 136 invalid_grant/);
    expect(converted.stderr).toMatch(/next: generate a new one in Company Request Token/);
    expect(converted.stderr).toMatch(/correlation id: [0-9a-f-]{36}/);
    const status = JSON.parse((await cli(home, ['status', '--json'])).stdout);
    expect(status[0]).toMatchObject({ connected: false, warning: expect.stringMatching(/not connected/) });
  });

  it('forgets an imported request token the service refused, so the next attempt asks for a new one', async () => {
    const { t, clock, home, clientId, clientSecret, requestToken } = await setUp({ requestTokenTtl: 3600 });
    const file = join(home, 'imported.postman_environment.json');
    writeFileSync(file, JSON.stringify({
      name: 'Imported', values: [
        { key: 'dataCenterURI', value: 'us2.api.concursolutions.com' }, { key: 'clientId', value: clientId },
        { key: 'clientSecret', value: clientSecret }, { key: 'companyUUID', value: t.companyId }, { key: 'requestToken', value: requestToken },
      ],
    }));
    const imported = await cli(home, ['env', 'import', file, '--datacenter', t.url]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse((await cli(home, ['env', 'show', 'imported', '--json'])).stdout).requestToken).toBe(`****${requestToken.slice(-4)}`);

    clock.advance(3601_000);
    const refused = await cli(home, ['token', 'convert', '--env', 'imported']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/code 136/);
    expect(JSON.parse((await cli(home, ['env', 'show', 'imported', '--json'])).stdout).requestToken).toBe('');
    const again = await cli(home, ['token', 'convert', '--env', 'imported']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no request token: pipe it to --request-token-stdin, set TESSERA_REQUEST_TOKEN/);
  });

  it('a refresh token unused past its lifetime: token get exits 3 with code 108, keep-alive exits 1', async () => {
    const { clock, home, requestToken } = await setUp({ refreshTokenTtl: 7200 });
    expect((await cli(home, ['token', 'convert'], { env: { TESSERA_REQUEST_TOKEN: requestToken } })).code).toBe(0);
    clock.advance(7201_000);

    const got = await cli(home, ['token', 'get']);
    expect(got.code).toBe(3);
    expect(got.stdout).toBe('');
    expect(got.stderr).toMatch(/refresh token expired or revoked .*code 108 invalid_grant/);
    expect(got.stderr).toMatch(/next: .*Company Request Token.*tessera token convert --env dev --force/);

    const kept = await cli(home, ['keep-alive']);
    expect(kept.code).toBe(1);
    expect(kept.stdout).toMatch(/^dev: EXPIRED: refresh token expired or revoked .*code 108/);
    const json = JSON.parse((await cli(home, ['keep-alive', '--json'])).stdout);
    expect(json).toEqual([expect.objectContaining({ environment: 'dev', outcome: 'expired', concurCode: 108 })]);
  });

  it('keep-alive refreshes what expires within DAYS and leaves the rest alone', async () => {
    const { clock, home, requestToken } = await setUp({ refreshTokenTtl: 20 * 86_400 });
    expect((await cli(home, ['token', 'convert'], { env: { TESSERA_REQUEST_TOKEN: requestToken } })).code).toBe(0);
    const before = JSON.parse((await cli(home, ['status', '--json'])).stdout)[0];
    expect(before.daysLeft).toBe(19);
    expect(before.warning).toMatch(/expires in 19 days: run `tessera keep-alive`/);

    const notDue = await cli(home, ['keep-alive', '--within', '10']);
    expect(notDue.code, notDue.stderr).toBe(0);
    expect(notDue.stdout).toBe('dev: ok, expires in 19 days (not due)\n');

    clock.advance(86_400_000); // a day later (on the server) the refresh slides the expiry by a day
    const due = await cli(home, ['keep-alive', '--within', '30']);
    expect(due.code, due.stderr).toBe(0);
    expect(due.stdout).toMatch(/^dev: refreshed, expires \d{4}-\d\d-\d\d \(20 days\)\n$/);
    const after = JSON.parse((await cli(home, ['status', '--json'])).stdout)[0];
    expect(Date.parse(after.refreshExpiresAt)).toBeGreaterThan(Date.parse(before.refreshExpiresAt));
    expect(Date.parse(after.lastRefresh)).toBeGreaterThan(Date.parse(before.lastRefresh));
  });
});
