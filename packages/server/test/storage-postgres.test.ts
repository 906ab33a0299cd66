/**
 * The storage contract suite on PostgreSQL (TESSERA_TEST_DATABASE_URL, default the local trust
 * server). Every test opens its own fresh schema and drops it afterwards. Without a reachable
 * server the suite is skipped with a warning locally, and fails under CI=true.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from 'tessera-server';
import { describeStoreContract } from '../src/storage/contract.js';
import { postgresMigrations } from '../src/storage/postgres/migrations.js';

const url = process.env.TESSERA_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const inCi = process.env.CI === 'true';
/** Every schema of this run starts with this prefix, so afterAll can drop any a failed test left. */
const runPrefix = `tessera_test_${randomBytes(4).toString('hex')}`;
let schemas = 0;
const freshSchema = () => `${runPrefix}_${++schemas}`;

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const dropSchema = (schema: string) => withClient((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));

const unreachable = await withClient((client) => client.query('SELECT 1')).then(
  () => undefined,
  (error: Error) => error.message || String(error),
);

if (unreachable && !inCi) {
  console.warn(`\n!!! PostgreSQL at ${url} is unreachable (${unreachable}).\n!!! SKIPPING the PostgreSQL storage contract suite. Set TESSERA_TEST_DATABASE_URL to run it.\n`);
}

if (unreachable && inCi) {
  describe('PostgreSQL for the storage contract (CI)', () => {
    it('is reachable: CI=true never skips the PostgreSQL suite', () => {
      expect.fail(`PostgreSQL at ${url} is unreachable: ${unreachable}`);
    });
  });
}

describe.skipIf(unreachable !== undefined)('PostgreSQL storage', () => {
  afterAll(async () => {
    await withClient(async (client) => {
      const { rows } = await client.query<{ name: string }>(
        "SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)", [`${runPrefix}_`]);
      for (const { name } of rows) await client.query(`DROP SCHEMA ${name} CASCADE`);
    });
  });

  describeStoreContract('PostgreSQL store', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore(url, { schema });
    return {
      store,
      async cleanup() {
        await store.close();
        await dropSchema(schema);
      },
    };
  });

  describe('locks across nodes', () => {
    it('refuses a lock another node holds, makes a waiting node take its turn, and frees the lock of a node that dies', async () => {
      const schema = freshSchema();
      const [a, b] = [await openPostgresStore(url, { schema, maxConnections: 2 }), await openPostgresStore(url, { schema, maxConnections: 2 })];
      try {
        let release!: () => void;
        const held = a.locks.tryWithLock('sweeper', () => new Promise<void>((resolve) => {
          release = resolve;
        }));
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await b.locks.tryWithLock('sweeper', async () => 'b')).toEqual({ acquired: false });
        expect(await b.locks.tryWithLock('other', async () => 'b')).toEqual({ acquired: true, value: 'b' });
        const order: string[] = [];
        const waiting = b.locks.withLock('sweeper', async () => order.push('b'));
        await new Promise((resolve) => setTimeout(resolve, 100));
        order.push('a done');
        release();
        await held;
        await waiting;
        expect(order).toEqual(['a done', 'b']);

        // A holder whose session ends (a killed node) frees the lock: PostgreSQL ends the session's advisory locks.
        let stuck!: () => void;
        void a.locks.tryWithLock('sweeper', () => new Promise<void>((resolve) => {
          stuck = resolve;
        }));
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await b.locks.tryWithLock('sweeper', async () => 'b')).toEqual({ acquired: false });
        const terminated = await withClient((client) => client.query(`SELECT pg_terminate_backend(pid) FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND objid = ((hashtext($1)::bigint & 4294967295)::text)::oid
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, [`tessera.lock.${schema}.sweeper`]));
        expect(terminated.rowCount).toBe(1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await b.locks.tryWithLock('sweeper', async () => 'b')).toEqual({ acquired: true, value: 'b' });
        stuck();
      } finally {
        await a.close().catch(() => undefined);
        await b.close();
        await dropSchema(schema);
      }
    });
  });

  describe('migrations', () => {
    const versions = (schema: string) => withClient(async (client) =>
      (await client.query<{ version: number }>(`SELECT version FROM ${schema}.tessera_migrations ORDER BY version`)).rows.map((r) => r.version));
    const everyVersion = postgresMigrations.map((_, i) => i + 1);

    it('migrates once when several nodes open the same new schema at the same moment', async () => {
      const schema = freshSchema();
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(url, { schema, maxConnections: 2 })));
      try {
        expect(await versions(schema)).toEqual(everyVersion);
        const company = { id: 'c-1', name: 'Acme', geolocation: null, domain: null, enabled: true, createdAt: 1 };
        await stores[0]!.companies.create(company);
        for (const store of stores) expect(await store.companies.get(company.id)).toEqual(company);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await dropSchema(schema);
      }
    });

    it('keeps the data and applies nothing again when a store reopens', async () => {
      const schema = freshSchema();
      const first = await openPostgresStore(url, { schema });
      try {
        await first.companies.create({ id: 'c-1', name: 'Acme', geolocation: null, domain: null, enabled: true, createdAt: 1 });
      } finally {
        await first.close();
      }
      const again = await openPostgresStore(url, { schema });
      try {
        expect(await again.companies.count()).toBe(1);
        expect(await versions(schema)).toEqual(everyVersion);
      } finally {
        await again.close();
        await dropSchema(schema);
      }
    });

    /** A schema at version 4 (before login ids were folded), holding users with these login ids. */
    const schemaAtVersion4 = (loginIds: string[]) => withClient(async (client) => {
      const schema = freshSchema();
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`SET search_path TO ${schema}`);
      await client.query('CREATE TABLE tessera_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
      for (const [i, sql] of postgresMigrations.slice(0, 4).entries()) {
        await client.query(sql as string);
        await client.query('INSERT INTO tessera_migrations (version, applied_at) VALUES ($1, 1)', [i + 1]);
      }
      await client.query("INSERT INTO companies (id, name, enabled, created_at) VALUES ('c-1', 'Acme', true, 1)");
      for (const [i, loginId] of loginIds.entries()) {
        await client.query(`INSERT INTO users (id, company_id, login_id, password_hash, roles, status, created_at, updated_at)
          VALUES ($1, 'c-1', $2, 'hash', '[]', 'active', 1, 1)`, [`u-${i}`, loginId]);
      }
      return schema;
    });

    it('folds the login ids of existing users (migration 5), as the SQLite store does', async () => {
      const schema = await schemaAtVersion4(['JÜRGEN@example.com', 'alice', 'ΟΔΥΣΣΕΑΣ']);
      const store = await openPostgresStore(url, { schema });
      try {
        expect(await versions(schema)).toEqual(everyVersion);
        expect((await store.users.findByLoginId('jürgen@EXAMPLE.com'))?.id).toBe('u-0');
        expect((await store.users.findByLoginId('ALICE'))?.id).toBe('u-1');
        expect((await store.users.findByLoginId('οδυσσεασ'))?.id).toBe('u-2');
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });

    it('refuses, changing nothing, when two existing login ids fold alike', async () => {
      // lower() with this database's locale let both in (a C-locale database folds only ASCII); the fold does not.
      const schema = await schemaAtVersion4(['STRASSE', 'straße']);
      try {
        await expect(openPostgresStore(url, { schema })).rejects.toThrow(/"STRASSE" \(user u-0\) and "straße" \(user u-1\)/);
        expect(await versions(schema)).toEqual([1, 2, 3, 4]);
      } finally {
        await dropSchema(schema);
      }
    });

    it('refuses a schema name that would need quoting', async () => {
      await expect(openPostgresStore(url, { schema: 'Robert"; DROP TABLE x; --' })).rejects.toThrow(RangeError);
    });
  });
});
