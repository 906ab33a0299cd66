/**
 * `tessera admin migrate --to postgres://…` ("outgrowing one machine") end to end: a
 * service on the embedded store is used (apps, secrets, a converted refresh token, an unused
 * request token, users, audit), stopped, copied into a fresh PostgreSQL schema, and a service on
 * that schema with the same server key (TESSERA_SECRET_KEY = the data dir's secret.key) honours
 * the old secret, refresh tokens, request token and administrator password. A schema that holds
 * data, and a data dir a server still runs on, are refused.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dropSchema, freshSchemaName, postgresProblem, skipWithoutServices, testDatabaseUrl, withPgClient } from '../../server/test/test-services.js';
import { cli, tempHome } from './run-cli.js';
import { expectSeedWorks, freshDir, seedService, startService, type Running } from './store-fixtures.js';

const skip = skipWithoutServices('tessera admin migrate (PostgreSQL)', [await postgresProblem()]);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function dataDir(): string {
  const path = freshDir();
  cleanups.push(() => rmSync(path, { recursive: true, force: true }));
  return path;
}

function schema(): string {
  const name = freshSchemaName();
  cleanups.push(() => dropSchema(name));
  return name;
}

function home(): string {
  const { home: path, remove } = tempHome();
  cleanups.push(remove);
  return path;
}

async function service(settings: Parameters<typeof startService>[0]): Promise<Running> {
  const s = await startService(settings);
  cleanups.push(() => s.close());
  return s;
}

describe.skipIf(skip)('tessera admin migrate', () => {
  it('copies an SQLite store into PostgreSQL; with the same key every secret, refresh token, request token and password keeps working', async () => {
    const h = home();
    const dir = dataDir();
    const target = schema();
    const sqlite = await service({ dataDir: dir });
    const seed = await seedService(sqlite, 2);

    const running = await cli(h, ['admin', 'migrate', '--data-dir', dir, '--to', testDatabaseUrl, '--schema', target]);
    expect(running.code).toBe(2);
    expect(running.stderr).toContain('is running on');
    await sqlite.close();

    const migrated = await cli(h, ['admin', 'migrate', '--data-dir', dir, '--to', testDatabaseUrl, '--schema', target, '--json']);
    expect(migrated.code, migrated.stderr).toBe(0);
    const report = JSON.parse(migrated.stdout);
    expect(report).toMatchObject({ schema: target, serverKey: { from: 'file', file: join(dir, 'secret.key') } });
    expect(report.rows).toMatchObject({ companies: 2, apps: 1, app_secrets: 1, users: 3, connections: 3, refresh_tokens: 3, request_tokens: 2, signing_keys: 1 });
    expect(report.rows.audit_events).toBeGreaterThan(0);
    expect(migrated.stderr).toContain(`export TESSERA_SECRET_KEY="$(cat ${join(dir, 'secret.key')})"`);
    const counts = await withPgClient(async (client) => {
      const out: Record<string, number> = {};
      for (const table of Object.keys(report.rows)) out[table] = Number((await client.query(`SELECT count(*) AS n FROM ${target}.${table}`)).rows[0].n);
      return out;
    });
    expect(counts).toEqual(report.rows);

    // The same key, as the operator carries it: the value of the data dir's key file.
    const secretKey = readFileSync(join(dir, 'secret.key'), 'utf8').trim();
    const postgres = await service({ databaseUrl: testDatabaseUrl, databaseSchema: target, secretKey, dataDir: dataDir() });
    expect(postgres.server.core.store.kind).toBe('postgres');
    await expectSeedWorks(postgres, seed);
    // New audit events get new ids after the copied ones.
    await postgres.server.core.audit.flush();
    const ids = (await postgres.server.core.store.audit.query({ limit: 1000 })).items.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    await postgres.close();

    // Into a schema that holds data now: refused, nothing changed.
    // The target from the environment (a password kept out of argv): it reaches the same refusal.
    const again = await cli(h, ['admin', 'migrate', '--data-dir', dir, '--schema', target], { env: { TESSERA_MIGRATE_TO: testDatabaseUrl } });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`schema ${target} already holds data`);
  });

  it('refuses a data dir without a store, and a target that is not PostgreSQL', async () => {
    const h = home();
    const empty = await cli(h, ['admin', 'migrate', '--data-dir', dataDir(), '--to', testDatabaseUrl, '--schema', schema()]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no embedded store in');
    const wrong = await cli(h, ['admin', 'migrate', '--data-dir', dataDir(), '--to', 'mysql://x']);
    expect(wrong.code).toBe(2);
    const wrongOnStdin = await cli(h, ['admin', 'migrate', '--data-dir', dataDir(), '--to-stdin'], { input: 'mysql://x\n' });
    expect(wrongOnStdin.code).toBe(2);
    expect(wrongOnStdin.stderr).toContain('--to must be a postgres:// URL');
    const none = await cli(h, ['admin', 'migrate', '--data-dir', dataDir()], { env: { TESSERA_MIGRATE_TO: undefined } });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no target');
  });
});
