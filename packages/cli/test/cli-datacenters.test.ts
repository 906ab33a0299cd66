/**
 * `tessera` against a two-datacenter Tessera (docs/protocol.md §10): an environment set up on us2
 * converts an eu2 company's request token there, stores eu2 as the geolocation, and gets (refreshes)
 * tokens and calls the APIs on eu2; us2 never sees a refresh. `tessera admin companies set-datacenter`
 * moves a company by datacenter name, URL or to none.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, enableAppForCompany, generateRequestToken, openSqliteStore, type Store } from 'tessera-server';
import { makeApp, startTestServer, type TestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

describe('tessera token convert / get across two datacenters', () => {
  let t: TestServer;
  let store: Store;
  const refreshedOn: string[] = [];
  let home: string;
  let remove: () => void;

  beforeAll(async () => {
    // The store notes on which datacenter each refresh token was looked up (the listener's scope reaches the store).
    store = await openSqliteStore(':memory:');
    let geolocation = (): string => 'not yet';
    const connections = new Proxy(store.connections, {
      get: (target, key) => {
        const value = Reflect.get(target, key) as unknown;
        if (key === 'findRefresh') {
          return (digest: string) => {
            refreshedOn.push(geolocation());
            return target.findRefresh(digest);
          };
        }
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const shared = new Proxy(store, { get: (target, key) => (key === 'connections' ? connections : key === 'close' ? async () => undefined : Reflect.get(target, key)) });
    // 30 s access tokens: inside the CLI's 60 s leeway, so every `token get` refreshes.
    t = await startTestServer({ store: shared as Store, settings: { datacenters: 'us2=http://127.0.0.1:0,eu2=http://127.0.0.1:0', accessTokenTtl: 30 } });
    geolocation = () => t.server.core.geolocation();
    ({ home, remove } = tempHome());
  });
  afterAll(async () => {
    await t.close();
    await store.close();
    remove();
  });

  it('converts through us2, then refreshes and calls on eu2', async () => {
    const { us2, eu2 } = t.server.datacenters as { us2: string; eu2: string };
    const company = await createCompany(t.server.core, { name: 'EU Co', geolocation: eu2 });
    const { clientId, clientSecret } = await makeApp(t, { name: 'Expense Sync' });
    await enableAppForCompany(t.server.core, clientId, company.id);
    const { companyUUID, requestToken } = await generateRequestToken(t.server.core, clientId, company.id);

    const added = await cli(home, ['env', 'add', 'dev', '--datacenter', us2, '--client-id', clientId, '--company-uuid', companyUUID, '--client-secret-stdin'], { input: `${clientSecret}\n` });
    expect(added.code, added.stderr).toBe(0);
    const converted = await cli(home, ['token', 'convert', '--request-token-stdin', '--json'], { input: requestToken });
    expect(converted.code, converted.stderr).toBe(0);
    expect(JSON.parse(converted.stdout)).toMatchObject({ converted: 'dev', geolocation: eu2, principal: `company ${companyUUID}` });

    const got = await cli(home, ['token', 'get', '--json']);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ geolocation: eu2 });
    const call = await cli(home, ['call', '/profile/v1/me']);
    expect(call.code, call.stderr).toBe(0);
    expect(JSON.parse(call.stdout)).toMatchObject({ id: companyUUID });
    expect(refreshedOn.length).toBeGreaterThan(0);
    expect(new Set(refreshedOn)).toEqual(new Set([eu2]));
  });
});

describe('tessera admin companies set-datacenter', () => {
  it('moves a company by name (of TESSERA_DATACENTERS), by URL and to none; refuses an unknown name', async () => {
    const { home, remove } = tempHome();
    const dataDir = `${home}-store`;
    mkdirSync(dataDir, { recursive: true });
    const datacenters = 'us2=http://127.0.0.1:18080,eu2=http://127.0.0.1:18081';
    const t = await startTestServer({ store: await openSqliteStore(join(dataDir, 'tessera.db')), settings: { dataDir } });
    try {
      const admin = (args: string[]) => cli(home, ['admin', '--data-dir', dataDir, '--json', 'companies', 'set-datacenter', t.companyId, ...args],
        { env: { TESSERA_DATACENTERS: datacenters } });
      const byName = await admin(['eu2']);
      expect(byName.code, byName.stderr).toBe(0);
      expect(JSON.parse(byName.stdout)).toMatchObject({ id: t.companyId, geolocation: 'http://127.0.0.1:18081', datacenter: 'eu2' });
      expect((await t.server.core.store.companies.get(t.companyId))?.geolocation).toBe('http://127.0.0.1:18081');
      const byUrl = await admin(['https://eu1.api.concursolutions.com']);
      expect(JSON.parse(byUrl.stdout)).toMatchObject({ geolocation: 'https://eu1.api.concursolutions.com', datacenter: '' });
      const unknown = await admin(['mars1']);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toMatch(/datacenter.*us2, eu2/);
      expect((await t.server.core.store.companies.get(t.companyId))?.geolocation).toBe('https://eu1.api.concursolutions.com');
      const none = await admin(['none']);
      expect(JSON.parse(none.stdout)).toMatchObject({ geolocation: '' });
      expect((await t.server.core.store.companies.get(t.companyId))?.geolocation).toBeNull();
    } finally {
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
      remove();
    }
  });
});
