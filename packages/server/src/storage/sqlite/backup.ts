/**
 * Backup and restore of the embedded store. A backup is SQLite's online backup
 * API (better-sqlite3's `backup()`) copying every page in one step, so it is one consistent
 * snapshot even while `tessera serve` keeps writing. A restore checks that the file is a Tessera
 * store of a schema this version can open, and that the server key opens its signing keys,
 * before it puts the file in place; the file it replaces is kept aside.
 */
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteMigrations } from './migrations.js';

/** Tables every Tessera store has had since its first schema. */
const requiredTables = ['companies', 'users', 'apps', 'app_secrets', 'request_tokens', 'connections', 'refresh_tokens', 'signing_keys', 'audit_events'];

/** Why a file cannot be used as a Tessera store (bad input, not a failure of the machine). */
export class StoreFileError extends Error {
  override readonly name = 'StoreFileError';
}

export interface StoreFileSummary {
  /** The schema version (`PRAGMA user_version`): 1 … the newest this version knows. */
  schemaVersion: number;
  /** Rows per table. */
  rows: Record<string, number>;
  /** The encrypted private halves of its signing keys (to check the server key against). */
  sealedSigningKeys: string[];
}

async function open(file: string, readonly: boolean): Promise<BetterSqlite3.Database> {
  const { default: Sqlite } = await import('better-sqlite3');
  return new Sqlite(file, { readonly, fileMustExist: true });
}

/** A new empty file only this user may read, for a copy of the store (password hashes, audit trail). */
function createPrivateFile(file: string): void {
  rmSync(file, { force: true });
  closeSync(openSync(file, 'wx', 0o600));
}

/** Copies all pages in one backup step: one read transaction, so one consistent snapshot. */
async function copyDatabase(source: BetterSqlite3.Database, target: string): Promise<void> {
  createPrivateFile(target);
  try {
    await source.backup(target, { progress: () => 0x7fffffff });
  } catch (error) {
    rmSync(target, { force: true });
    throw error;
  }
}

/**
 * Writes a consistent copy of the store `dbFile` to `toFile` (mode 0600), while a server may be
 * writing to it. The copy replaces `toFile` only once complete. Answers what the copy holds.
 */
export async function backupSqliteStore(dbFile: string, toFile: string): Promise<StoreFileSummary & { bytes: number }> {
  if (!existsSync(dbFile)) throw new StoreFileError(`no store at ${dbFile}`);
  if (!existsSync(dirname(toFile))) throw new StoreFileError(`the folder of ${toFile} does not exist`);
  const partial = join(dirname(toFile), `.${basename(toFile)}.partial-${process.pid}`);
  const db = await open(dbFile, false);
  try {
    await copyDatabase(db, partial);
  } finally {
    db.close();
  }
  const summary = await inspectSqliteStore(partial).catch((error: unknown) => {
    rmSync(partial, { force: true });
    throw error;
  });
  renameSync(partial, toFile);
  return { ...summary, bytes: statSync(toFile).size };
}

/**
 * Reads `file` as a Tessera store without changing it: SQLite's quick check, the schema version
 * (refused when newer than this version knows), the tables every store has. Throws a
 * `StoreFileError` saying what is wrong.
 */
export async function inspectSqliteStore(file: string): Promise<StoreFileSummary> {
  if (!existsSync(file)) throw new StoreFileError(`no file ${file}`);
  let db: BetterSqlite3.Database;
  try {
    db = await open(file, true);
    db.pragma('schema_version');
  } catch (error) {
    throw new StoreFileError(`${file} is not an SQLite database (${(error as Error).message})`);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StoreFileError(`${file} is damaged: ${String(check)}`);
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const missing = requiredTables.filter((table) => !tables.has(table));
    if (schemaVersion < 1 || missing.length > 0) {
      throw new StoreFileError(`${file} is not a Tessera store${missing.length ? ` (no table ${missing.join(', ')})` : ''}`);
    }
    if (schemaVersion > sqliteMigrations.length) {
      throw new StoreFileError(`${file} has schema version ${schemaVersion}, newer than this Tessera knows (${sqliteMigrations.length}): restore it with the version that made it`);
    }
    const rows: Record<string, number> = {};
    for (const table of [...tables].filter((name) => !name.startsWith('sqlite_')).sort()) {
      rows[table] = (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
    }
    const sealedSigningKeys = (db.prepare('SELECT private_key_enc FROM signing_keys').all() as { private_key_enc: string }[]).map((r) => r.private_key_enc);
    return { schemaVersion, rows, sealedSigningKeys };
  } finally {
    db.close();
  }
}

/**
 * Puts the store file `fromFile` in place as `dbFile`. The caller has checked it
 * (`inspectSqliteStore`) and that no server runs on it. The current store, if any, is first
 * checkpointed (its WAL folded in) and renamed to `<dbFile>.before-restore-<time>`; answers
 * that name.
 */
export async function replaceSqliteStore(dbFile: string, fromFile: string, now = new Date()): Promise<string | undefined> {
  const incoming = `${dbFile}.restoring`;
  const source = await open(fromFile, true);
  try {
    await copyDatabase(source, incoming);
  } finally {
    source.close();
  }
  let keptAside: string | undefined;
  if (existsSync(dbFile)) {
    const current = await open(dbFile, false);
    try {
      current.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      current.close();
    }
    keptAside = `${dbFile}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
    renameSync(dbFile, keptAside);
  }
  for (const leftover of [`${dbFile}-wal`, `${dbFile}-shm`]) rmSync(leftover, { force: true });
  renameSync(incoming, dbFile);
  return keptAside;
}
