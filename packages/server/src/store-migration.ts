/**
 * `tessera admin migrate --to postgres://…`: the embedded store of a data dir
 * copied into PostgreSQL, for a service outgrowing one machine. The copy keeps every digest and
 * sealed key, so the PostgreSQL nodes need the same server key (`TESSERA_SECRET_KEY` set to the
 * data dir's `secret.key`); this checks the key opens the store and says which one to carry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from './config.js';
import { ServerKeys } from './core/secrets.js';
import { servingPid } from './running-server.js';
import { copySqliteToPostgres, type CopyReport } from './storage/copy-to-postgres.js';
import { inspectSqliteStore, StoreFileError } from './storage/sqlite/backup.js';
import { openSqliteStore } from './storage/sqlite/store.js';

export interface MigrationReport extends CopyReport {
  /** Where the server key the PostgreSQL nodes need comes from. */
  serverKey: { from: 'TESSERA_SECRET_KEY' } | { from: 'file'; file: string };
}

/**
 * Copies the embedded store of `settings.dataDir` into the empty PostgreSQL schema `target`.
 * Refuses while a server runs on the data dir (what it wrote after the copy would be lost), and
 * when the data dir's server key does not open the store.
 */
export async function migrateToPostgres(settings: Settings, target: { url: string; schema: string }): Promise<MigrationReport> {
  const file = join(settings.dataDir, 'tessera.db');
  if (!existsSync(file)) throw new StoreFileError(`no embedded store in ${settings.dataDir}`);
  const pid = servingPid(settings.dataDir);
  if (pid !== undefined) throw new StoreFileError(`a Tessera server (process ${pid}) is running on ${settings.dataDir}: stop it first, or what it writes after the copy is lost`);

  const keyFile = join(settings.dataDir, 'secret.key');
  const serverKey: MigrationReport['serverKey'] = settings.secretKey ? { from: 'TESSERA_SECRET_KEY' } : { from: 'file', file: keyFile };
  const secret = settings.secretKey ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined);
  if (!secret) throw new StoreFileError(`no server key in ${settings.dataDir} and no TESSERA_SECRET_KEY: without the key the store is of no use`);

  // Bring an older store to the newest schema first, as `tessera serve` would.
  await (await openSqliteStore(file)).close();
  const summary = await inspectSqliteStore(file);
  try {
    const keys = new ServerKeys(secret);
    for (const sealed of summary.sealedSigningKeys) keys.decrypt(sealed);
  } catch {
    throw new StoreFileError(`the server key (${serverKey.from === 'file' ? keyFile : 'TESSERA_SECRET_KEY'}) does not open this store: use the key the service ran with`);
  }
  const report = await copySqliteToPostgres(file, target);
  return { ...report, serverKey };
}
