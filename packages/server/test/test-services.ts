/**
 * PostgreSQL and Redis for tests: where they are, whether they answer, and a schema of
 * one's own. Suites that need them skip loudly when they are missing on a developer's machine,
 * and fail under CI=true, where they must be there.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPostgresStore, openSqliteStore, type Store } from 'tessera-server';

export const testDatabaseUrl = process.env.TESSERA_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const testRedisUrl = process.env.TESSERA_TEST_REDIS_URL || 'redis://127.0.0.1:6379/0';
export const inCi = process.env.CI === 'true';

/** Every schema a test run makes starts with this, so leftovers of a killed run are recognisable. */
const runPrefix = `tessera_test_${randomBytes(4).toString('hex')}`;
let schemas = 0;

/** A schema name no other test of any run uses. */
export const freshSchemaName = (): string => `${runPrefix}_${process.pid}_${++schemas}`;

/** Runs `work` on one short-lived connection to the test database. */
export async function withPgClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await withPgClient((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

/** Why PostgreSQL cannot be used, or undefined when it answers. */
export async function postgresProblem(): Promise<string | undefined> {
  try {
    await withPgClient((client) => client.query('SELECT 1'));
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${testDatabaseUrl} is unreachable: ${(error as Error).message || String(error)}`;
  }
}

/** Why Redis cannot be used, or undefined when it answers PING. */
export async function redisProblem(): Promise<string | undefined> {
  const { hostname, port } = new URL(testRedisUrl);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(3000, () => done(`Redis at ${testRedisUrl} did not answer in time`));
    socket.once('error', (error) => done(`Redis at ${testRedisUrl} is unreachable: ${error.message}`));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(String(data).startsWith('+PONG') ? undefined : `Redis at ${testRedisUrl} answered ${String(data).trim()}`));
  });
}

/**
 * What a suite that needs these services does when one is missing: answers true to skip it
 * (after a loud warning) on a developer's machine; under CI=true declares a failing test instead.
 */
export function skipWithoutServices(suite: string, problems: (string | undefined)[]): boolean {
  const missing = problems.filter((p): p is string => p !== undefined);
  if (missing.length === 0) return false;
  if (inCi) {
    describe(`${suite}: services (CI)`, () => {
      it('are reachable: CI=true never skips this suite', () => {
        expect.fail(missing.join('; '));
      });
    });
  } else {
    console.warn(`\n!!! SKIPPING ${suite}: ${missing.join('; ')}.\n!!! Start them (or set TESSERA_TEST_DATABASE_URL / TESSERA_TEST_REDIS_URL) to run it.\n`);
  }
  return true;
}

/** Two store handles on one database, as two nodes have them. */
export interface SharedStore {
  stores: [Store, Store];
  /** Removes the database (after both handles were closed by their servers). */
  cleanup(): Promise<void>;
}

/**
 * Two handles on one store of the kind the test run uses (`TESSERA_TEST_STORE`): one SQLite file
 * opened twice, or one PostgreSQL schema with two pools.
 */
export async function openSharedStore(): Promise<SharedStore> {
  if (process.env.TESSERA_TEST_STORE === 'postgres') {
    const schema = freshSchemaName();
    const stores: [Store, Store] = [
      await openPostgresStore(testDatabaseUrl, { schema, maxConnections: 4 }),
      await openPostgresStore(testDatabaseUrl, { schema, maxConnections: 4 }),
    ];
    return { stores, cleanup: () => dropSchema(schema) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'tessera-shared-'));
  const file = join(dir, 'tessera.db');
  const stores: [Store, Store] = [await openSqliteStore(file), await openSqliteStore(file)];
  return { stores, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}
