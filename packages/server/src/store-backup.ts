/**
 * `tessera admin backup` and `restore` on the embedded store: the rules, so the
 * CLI only translates. The server key is not in a backup unless asked for (`includeKey`): every
 * secret and token in it is a digest under that key, and the signing keys are sealed with it,
 * so the file alone is of no use to a thief, and of no use to you without the key.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from './config.js';
import { ServerKeys } from './core/secrets.js';
import { ensureDataDir, writePrivateFile } from './data-dir.js';
import { servingPid } from './running-server.js';
import { backupSqliteStore, inspectSqliteStore, replaceSqliteStore, StoreFileError, type StoreFileSummary } from './storage/sqlite/backup.js';

export { StoreFileError } from './storage/sqlite/backup.js';

const storeFile = (settings: Settings) => join(settings.dataDir, 'tessera.db');
const keyFile = (settings: Settings) => join(settings.dataDir, 'secret.key');
/** Where `includeKey` puts the key: next to the backup, `<file>.key`. */
export const backupKeyFile = (backupFile: string) => `${backupFile}.key`;

export interface BackupReport {
  file: string;
  bytes: number;
  schemaVersion: number;
  rows: Record<string, number>;
  /** `<file>.key` when the key was asked for. */
  keyFile?: string;
}

/** The server key the settings name, without generating one: `TESSERA_SECRET_KEY`, else the data dir's key file. */
function existingServerKey(settings: Settings): string | undefined {
  if (settings.secretKey) return settings.secretKey;
  const file = keyFile(settings);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** Refuses a store on PostgreSQL: its own tools do that better. */
function assertEmbedded(settings: Settings, what: string): void {
  if (settings.databaseUrl) {
    throw new StoreFileError(`${what} works on the embedded SQLite store; on PostgreSQL use its own tools: pg_dump --format=custom --schema=${settings.databaseSchema} (and pg_restore), or your provider's snapshots, plus the TESSERA_SECRET_KEY kept apart`);
  }
}

/**
 * A consistent copy of the embedded store at `toFile` (mode 0600), safe while the server runs.
 * With `includeKey`, the server key goes to `<toFile>.key` (mode 0600): keep the two apart.
 */
export async function backupStore(settings: Settings, toFile: string, options: { includeKey?: boolean } = {}): Promise<BackupReport> {
  assertEmbedded(settings, 'tessera admin backup');
  const key = options.includeKey ? existingServerKey(settings) : undefined;
  if (options.includeKey && !key) throw new StoreFileError(`no server key in ${settings.dataDir} and no TESSERA_SECRET_KEY: nothing to include`);
  const { sealedSigningKeys: _sealed, ...summary } = await backupSqliteStore(storeFile(settings), toFile);
  const report: BackupReport = { file: toFile, ...summary };
  if (key) {
    writePrivateFile(backupKeyFile(toFile), `${key}\n`);
    report.keyFile = backupKeyFile(toFile);
  }
  return report;
}

export interface RestoreReport {
  file: string;
  schemaVersion: number;
  rows: Record<string, number>;
  /** Where the store it replaced was kept, if there was one. */
  keptAside?: string;
  /** Where the server key came from. */
  key: 'TESSERA_SECRET_KEY' | 'data dir' | 'installed from the backup';
}

/** Whether `secret` opens the sealed signing keys of a store (a store without keys proves nothing either way). */
function keyOpens(secret: string, summary: StoreFileSummary): boolean {
  const keys = new ServerKeys(secret);
  try {
    for (const sealed of summary.sealedSigningKeys) keys.decrypt(sealed);
    return true;
  } catch {
    return false;
  }
}

/**
 * Replaces the embedded store of the data dir with the backup `fromFile`, after checking that no
 * server runs on the data dir, that the file is a Tessera store of a schema this version opens,
 * and that the server key (`TESSERA_SECRET_KEY`, the data dir's `secret.key`, or `<fromFile>.key`
 * on a data dir without a key) opens it. The store it replaces is kept aside.
 */
export async function restoreStore(settings: Settings, fromFile: string): Promise<RestoreReport> {
  assertEmbedded(settings, 'tessera admin restore');
  const pid = servingPid(settings.dataDir);
  if (pid !== undefined) throw new StoreFileError(`a Tessera server (process ${pid}) is running on ${settings.dataDir}: stop it first`);
  const summary = await inspectSqliteStore(fromFile);

  let secret = existingServerKey(settings);
  let key: RestoreReport['key'] = settings.secretKey ? 'TESSERA_SECRET_KEY' : 'data dir';
  const bundledKey = backupKeyFile(fromFile);
  if (!secret && existsSync(bundledKey)) {
    secret = readFileSync(bundledKey, 'utf8').trim();
    key = 'installed from the backup';
  }
  if (!secret) {
    throw new StoreFileError(`no server key: copy the secret.key of the service the backup came from into ${settings.dataDir} (or set TESSERA_SECRET_KEY to it) first; without it no secret or token of the backup works`);
  }
  if (!keyOpens(secret, summary)) {
    throw new StoreFileError(`the server key (${key === 'TESSERA_SECRET_KEY' ? 'TESSERA_SECRET_KEY' : key === 'data dir' ? keyFile(settings) : bundledKey}) does not open this backup: it was made under another key; use that one`);
  }
  ensureDataDir(settings.dataDir);
  if (key === 'installed from the backup') writeFileSync(keyFile(settings), `${secret}\n`, { mode: 0o600, flag: 'wx' });
  const keptAside = await replaceSqliteStore(storeFile(settings), fromFile);
  const { sealedSigningKeys: _sealed, ...rest } = summary;
  return { file: storeFile(settings), ...rest, key, ...(keptAside ? { keptAside } : {}) };
}
