/**
 * The storage contract suite on the embedded SQLite backend: a file in a temp dir, and `:memory:`;
 * and migrations racing another process on the same new file.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '@tessera/server';
import { describeStoreContract } from '../src/storage/contract.js';
import { sqliteMigrations } from '../src/storage/sqlite/migrations.js';

describeStoreContract('SQLite store (file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
  const store = await openSqliteStore(join(dir, 'nested', 'tessera.db'));
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

describe('SQLite migrations', () => {
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
