/**
 * The client half of `tessera` against a real token service: the four steps, an API call,
 * status, the refusal to convert twice, and twenty processes sharing one environment while the
 * server rotates refresh tokens.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, openSqliteStore, type Store } from 'tessera-server';
import { makeApp, makeRequestToken, postToken, startTestServer, type TestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setUp(options: Parameters<typeof startTestServer>[0] = {}) {
  const t = await startTestServer(options);
  cleanups.push(() => t.close());
  const { home, remove } = tempHome();
  cleanups.push(remove);
  const { clientId, clientSecret } = await makeApp(t); // step 1: the app
  const { companyUUID, requestToken } = await makeRequestToken(t, clientId); // step 2: Company Request Token
  return { t, home, clientId, clientSecret, companyUUID, requestToken };
}

const jwtLine = /^[\w-]+\.[\w-]+\.[\w-]+\n$/;

/** The embedded store, noting the digest of every refresh token presented to the refresh grant. */
async function recordingStore(): Promise<{ store: Store; presented: string[] }> {
  const { home: dir, remove } = tempHome();
  cleanups.push(remove);
  mkdirSync(dir, { recursive: true });
  const store = await openSqliteStore(join(dir, 'tessera.db'));
  const presented: string[] = [];
  const bind = <T extends object>(target: T, overrides: Record<string, unknown>): T => new Proxy(target, {
    get: (object, key) => (typeof key === 'string' && key in overrides ? overrides[key]
      : typeof Reflect.get(object, key) === 'function' ? (Reflect.get(object, key) as Function).bind(object) : Reflect.get(object, key)),
  });
  const connections = bind(store.connections, {
    findRefresh: (digest: string) => {
      presented.push(digest);
      return store.connections.findRefresh(digest);
    },
  });
  return { store: bind(store, { connections }), presented };
}

describe('tessera env / token / call / status', () => {
  it('does the four steps and calls an API, keeping every file mode 0600', async () => {
    const { t, home, clientId, clientSecret, companyUUID, requestToken } = await setUp();

    const added = await cli(home, ['env', 'add', 'dev', '--datacenter', t.url, '--client-id', clientId, '--company-uuid', companyUUID, '--client-secret-stdin'], { input: `${clientSecret}\n` });
    expect(added.code, added.stderr).toBe(0);

    const before = await cli(home, ['token', 'get']);
    expect(before.code).toBe(3);
    expect(before.stdout).toBe('');
    expect(before.stderr).toMatch(/not connected.*\n.*tessera token convert --env dev/);

    // Step 3, once.
    const converted = await cli(home, ['token', 'convert', '--request-token-stdin', '--json'], { input: requestToken });
    expect(converted.code, converted.stderr).toBe(0);
    const conversion = JSON.parse(converted.stdout);
    expect(conversion).toMatchObject({ converted: 'dev', geolocation: t.url, principal: `company ${companyUUID}` });
    expect(conversion.daysLeft).toBeGreaterThanOrEqual(179);

    // Step 4: an access token and nothing else, usable with curl.
    const got = await cli(home, ['token', 'get']);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(jwtLine);
    expect(got.stderr).toBe('');
    const me = await fetch(`${t.url}/profile/v1/me`, { headers: { authorization: `Bearer ${got.stdout.trim()}` } });
    expect(await me.json()).toMatchObject({ id: companyUUID });

    const call = await cli(home, ['call', '/profile/v1/me']);
    expect(call.code, call.stderr).toBe(0);
    expect(JSON.parse(call.stdout)).toMatchObject({ id: companyUUID, meta: { principalType: 'company' } });

    const status = await cli(home, ['status', '--json']);
    const [dev] = JSON.parse(status.stdout);
    expect(dev).toMatchObject({
      name: 'dev', current: true, connected: true, geolocation: t.url, principal: { type: 'company', id: companyUUID }, warning: null,
    });
    expect(dev.scopes).toContain('company.read');
    expect(dev.daysLeft).toBeGreaterThanOrEqual(179);
    expect(Date.parse(dev.lastRefresh)).toBeGreaterThan(Date.now() - 60_000);

    const files = [join(home, 'config.json'), join(home, 'environments', 'dev.json'), join(home, 'environments', 'dev.connection.json')];
    for (const file of files) expect(statSync(file).mode & 0o777, file).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    for (const file of files) expect(readFileSync(file, 'utf8')).not.toContain(requestToken); // spent, so dropped
  });

  it('refuses a second conversion while the refresh token is live, unless --force', async () => {
    const { t, home, clientId, clientSecret, companyUUID, requestToken } = await setUp();
    await cli(home, ['env', 'add', 'dev', '--datacenter', t.url, '--client-id', clientId], { env: { TESSERA_CLIENT_SECRET: clientSecret } });
    const first = await cli(home, ['token', 'convert', '--company-uuid', companyUUID], { env: { TESSERA_REQUEST_TOKEN: requestToken } });
    expect(first.code, first.stderr).toBe(0);
    const stored = readFileSync(join(home, 'environments', 'dev.connection.json'), 'utf8');

    const again = await cli(home, ['token', 'convert', '--company-uuid', companyUUID], { env: { TESSERA_REQUEST_TOKEN: requestToken } });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already connected/);
    expect(again.stderr).toMatch(/converted once/);
    expect(again.stderr).toMatch(/--force/);
    expect(readFileSync(join(home, 'environments', 'dev.connection.json'), 'utf8')).toBe(stored);

    const forced = await cli(home, ['token', 'convert', '--force', '--company-uuid', companyUUID], { env: { TESSERA_REQUEST_TOKEN: requestToken } });
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(home, 'environments', 'dev.connection.json'), 'utf8')).not.toBe(stored);
  });

  it('never takes a secret from the command line and masks it on show', async () => {
    const { t, home, clientId, clientSecret } = await setUp();
    const rejected = await cli(home, ['env', 'add', 'dev', '--datacenter', t.url, '--client-id', clientId, '--client-secret', clientSecret]);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toMatch(/never taken from the command line/);
    expect(JSON.parse((await cli(home, ['env', 'list', '--json'])).stdout)).toEqual([]);
    const rejectedToken = await cli(home, ['token', 'convert', '--request-token', 'at-abc']);
    expect(rejectedToken.code).toBe(2);
    expect(rejectedToken.stderr).toMatch(/never taken from the command line/);
    const noSource = await cli(home, ['env', 'add', 'dev', '--datacenter', t.url, '--client-id', clientId]);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toMatch(/--client-secret-stdin.*TESSERA_CLIENT_SECRET/);

    await cli(home, ['env', 'add', 'dev', '--datacenter', t.url, '--client-id', clientId], { env: { TESSERA_CLIENT_SECRET: clientSecret } });
    const shown = await cli(home, ['env', 'show', 'dev', '--json']);
    expect(shown.stdout).not.toContain(clientSecret);
    expect(JSON.parse(shown.stdout).clientSecret).toBe(`****${clientSecret.slice(-4)}`);
  });

  it('keeps several environments and flips between them', async () => {
    const { t, home, clientId, clientSecret } = await setUp();
    const secret = { env: { TESSERA_CLIENT_SECRET: clientSecret } };
    await cli(home, ['env', 'add', 'one', '--datacenter', t.url, '--client-id', clientId], secret);
    await cli(home, ['env', 'add', 'two', '--datacenter', 'eu2', '--client-id', clientId], secret);
    let list = JSON.parse((await cli(home, ['env', 'list', '--json'])).stdout);
    expect(list.map((e: { name: string; current: boolean; datacenter: string }) => [e.name, e.current, e.datacenter]))
      .toEqual([['one', true, t.url], ['two', false, 'https://eu2.api.concursolutions.com']]);
    expect((await cli(home, ['env', 'use', 'two'])).code).toBe(0);
    expect(JSON.parse((await cli(home, ['env', 'show', '--json'])).stdout).name).toBe('two');
    expect(JSON.parse((await cli(home, ['env', 'show', '--json'], { env: { TESSERA_ENV: 'one' } })).stdout).name).toBe('one');
    expect((await cli(home, ['env', 'remove', 'two'])).code).toBe(0);
    list = JSON.parse((await cli(home, ['env', 'list', '--json'])).stdout);
    expect(list.map((e: { name: string }) => e.name)).toEqual(['one']);
    const missing = await cli(home, ['token', 'get', '--env', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no environment "nope"/);
  });

  it('exits 4 on an HTTP error from an API and shows the correlation id', async () => {
    const { t, home, clientId, clientSecret, companyUUID, requestToken } = await setUp();
    await cli(home, ['env', 'add', 'dev', '--datacenter', t.url, '--client-id', clientId, '--company-uuid', companyUUID], { env: { TESSERA_CLIENT_SECRET: clientSecret } });
    await cli(home, ['token', 'convert'], { env: { TESSERA_REQUEST_TOKEN: requestToken } });
    const missing = await cli(home, ['call', 'GET', '/profile/v1/principals/00000000-0000-0000-0000-000000000000']);
    expect(missing.code).toBe(4);
    expect(JSON.parse(missing.stdout)).toMatchObject({ code: 404 });
    expect(missing.stderr).toMatch(/answered 404/);
    expect(missing.stderr).toMatch(/correlation id: [0-9a-f-]{36}/);
    const badData = await cli(home, ['call', 'POST', '/profile/v1/me', '--data', '{not json']);
    expect(badData.code).toBe(2);
  });

  it('lets 20 concurrent `token get` processes share one environment under refresh-token rotation', async () => {
    const clock = new ManualClock();
    const { store, presented } = await recordingStore();
    const { t, home, clientId, clientSecret, companyUUID, requestToken } = await setUp({ clock, store, settings: { refreshRotation: true } });
    await cli(home, ['env', 'add', 'shared', '--datacenter', t.url, '--client-id', clientId, '--company-uuid', companyUUID], { env: { TESSERA_CLIENT_SECRET: clientSecret } });
    const converted = await cli(home, ['token', 'convert'], { env: { TESSERA_REQUEST_TOKEN: requestToken } });
    expect(converted.code, converted.stderr).toBe(0);

    const runs = await Promise.all(Array.from({ length: 20 }, () => cli(home, ['token', 'get'])));
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(jwtLine);
    }
    expect(new Set(runs.map((r) => r.stdout)).size).toBe(20);
    // One at a time, each with the value the previous one stored: no refresh token presented twice.
    expect(presented).toHaveLength(20);
    expect(new Set(presented).size).toBe(20);

    // Long past the rotation grace window only the newest refresh token works (a replay revokes
    // the family): the store must hold exactly that one.
    clock.advance(10 * 60_000);
    const stored = JSON.parse(readFileSync(join(home, 'environments', 'shared.connection.json'), 'utf8'));
    const refreshed = await postToken(t.url, { grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: stored.refreshToken });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    const me = await fetch(`${t.url}/profile/v1/me`, { headers: { authorization: `Bearer ${runs[19]!.stdout.trim()}` } });
    expect(me.status).toBe(200);
  }, 120_000);
});
