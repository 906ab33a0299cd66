/**
 * The storage contract suite on the embedded SQLite backend: a file in a temp dir, and `:memory:`;
 * and migrations racing another process on the same new file.
 */
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from 'tessera-server';
import { LoginIdTakenError } from '../src/storage/errors.js';
import { describeStoreContract } from '../src/storage/contract.js';
import { sqliteMigrations } from '../src/storage/sqlite/migrations.js';

describeStoreContract('SQLite store (file, WAL checkpointed by a worker thread as the server does)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
  const store = await openSqliteStore(join(dir, 'nested', 'tessera.db'), { checkpointIntervalMs: 20 });
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeStoreContract('SQLite store (:memory:)', async () => {
  const store = await openSqliteStore(':memory:');
  return { store, cleanup: () => store.close() };
});

describe('SQLite background checkpoints', () => {
  /** Writes about 300 pages of audit rows: fewer than SQLite's own checkpoint threshold (1,000). */
  const write = async (store: Awaited<ReturnType<typeof openSqliteStore>>) => {
    for (let i = 0; i < 20; i++) {
      await store.audit.append(Array.from({ length: 50 }, () => ({
        at: i, action: 'bench.row', outcome: 'success' as const, correlationId: null, actorType: null, actorId: null,
        appId: null, companyId: null, principalId: null, code: null, detail: { pad: 'x'.repeat(1000) },
      })));
    }
  };

  it.each([
    ['a worker thread copies committed pages into the database file', 20, true],
    ['without it, pages below SQLite\'s threshold stay in the WAL', 0, false],
  ])('%s', async (_name, checkpointIntervalMs, copied) => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
    const file = join(dir, 'tessera.db');
    const store = await openSqliteStore(file, { checkpointIntervalMs, onCheckpointError: (message) => expect.fail(message) });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = statSync(file).size;
      await write(store);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(statSync(file).size > before + 500_000).toBe(copied);
      expect((await store.audit.query({ limit: 1 })).total).toBe(1000);
    } finally {
      await store.close();
    }
    // Closing stops the worker and checkpoints the rest: the WAL is gone and every row is in the file.
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reopened = new Sqlite(file, { readonly: true });
    expect(reopened.prepare('SELECT count(*) AS n FROM audit_events').get()).toEqual({ n: 1000 });
    reopened.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('SQLite migrations', () => {
  /** A store file at schema version 4 (before login ids were folded), holding users with these login ids. */
  const storeAtVersion4 = (loginIds: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
    const file = join(dir, 'tessera.db');
    const db = new Sqlite(file);
    for (const [i, sql] of sqliteMigrations.slice(0, 4).entries()) {
      db.exec(sql as string);
      db.pragma(`user_version = ${i + 1}`);
    }
    db.prepare("INSERT INTO companies (id, name, enabled, created_at) VALUES ('c-1', 'Acme', 1, 1)").run();
    const insert = db.prepare(`INSERT INTO users (id, company_id, login_id, password_hash, roles, status, created_at, updated_at)
      VALUES (?, 'c-1', ?, 'hash', '[]', 'active', 1, 1)`);
    for (const [i, loginId] of loginIds.entries()) insert.run(`u-${i}`, loginId);
    db.close();
    return { dir, file };
  };

  it('folds the login ids of existing users (migration 5): non-ASCII case finds them, and takes their ids', async () => {
    const { dir, file } = storeAtVersion4(['JÜRGEN@example.com', 'alice']);
    const store = await openSqliteStore(file);
    try {
      expect((await store.users.findByLoginId('jürgen@EXAMPLE.com'))?.id).toBe('u-0');
      expect((await store.users.findByLoginId('ALICE'))?.id).toBe('u-1');
      await expect(store.users.create({
        id: 'u-2', companyId: 'c-1', loginId: 'jürgen@example.com', email: null, displayName: null, passwordHash: 'h', roles: [],
        status: 'active', failedLogins: 0, lockedUntil: null, createdAt: 2, updatedAt: 2,
      })).rejects.toBeInstanceOf(LoginIdTakenError);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses, changing nothing, when two existing login ids fold alike (NOCASE folded only ASCII)', async () => {
    const { dir, file } = storeAtVersion4(['JÜRGEN', 'jürgen', 'bob']);
    try {
      await expect(openSqliteStore(file)).rejects.toThrow(/"JÜRGEN" \(user u-0\) and "jürgen" \(user u-1\)/);
      const db = new Sqlite(file, { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(4);
      expect(db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 3 });
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('migrates once when another process is migrating the same new file at the same moment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
    const file = join(dir, 'tessera.db');
    // Another process: it has applied the first migration but not committed yet, and commits shortly.
    const other = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const Sqlite = require('better-sqlite3');
      const db = new Sqlite(workerData.file);
      db.pragma('journal_mode = WAL');
      db.exec('BEGIN IMMEDIATE');
      db.exec(workerData.sql);
      db.pragma('user_version = 1');
      parentPort.postMessage('migrating');
      setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('committed'); }, 300);
    `, { eval: true, workerData: { file, sql: sqliteMigrations[0] } });
    try {
      await once(other, 'message');
      const store = await openSqliteStore(file);
      try {
        await store.companies.create({ id: 'c-1', name: 'Acme', geolocation: null, domain: null, enabled: true, createdAt: 1 });
        expect(await store.companies.count()).toBe(1);
      } finally {
        await store.close();
      }
      const db = new Sqlite(file, { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(sqliteMigrations.length);
      db.close();
    } finally {
      await other.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
