/**
 * `tessera admin backup|restore|migrate`: the store as a whole (docs/operations.md). The rules
 * (consistency, what is refused, the server key) live in tessera-server; these commands parse
 * their arguments and print the report.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Settings } from 'tessera-server';
import { ExitCode } from '../exit-codes.js';
import { CommandError, printRecord } from '../output.js';
import type { AdminOptions } from './admin.js';

/** The settings of the local store the command names; refused with `--server` (these work on files and databases). */
async function localSettings(command: Command): Promise<Settings> {
  const options = command.optsWithGlobals<AdminOptions>();
  if (options.server) {
    throw new CommandError(`\`tessera admin ${command.name()}\` works on the local store only; run it without --server on the service's machine`, ExitCode.Usage);
  }
  const { loadSettings } = await import('tessera-server/bundle');
  return loadSettings({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, logLevel: 'warn' });
}

/** Runs `work`; a refusal of the server package (`StoreFileError`) is a usage error (exit 2). */
async function refusalsAsUsage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as Error).name === 'StoreFileError') throw new CommandError((error as Error).message, ExitCode.Usage);
    throw error;
  }
}

const rowsLine = (rows: Record<string, number>) => Object.entries(rows).map(([table, n]) => `${table}=${n}`).join(' ');

export function registerAdminStoreCommands(admin: Command): void {
  admin
    .command('backup')
    .description('write a consistent copy of the embedded store to FILE, also while the service runs (not the server key: keep secret.key apart)')
    .requiredOption('--to <file>', 'the backup file (replaced when it exists; mode 0600)')
    .option('--include-key', 'also write the server key to FILE.key (mode 0600); store the two apart')
    .action(async (options: { to: string; includeKey?: boolean }, command: Command) => {
      const settings = await localSettings(command);
      const { backupStore } = await import('tessera-server/bundle');
      const report = await refusalsAsUsage(() => backupStore(settings, resolve(options.to), { includeKey: Boolean(options.includeKey) }));
      const { json } = command.optsWithGlobals<AdminOptions>();
      printRecord(json ? { ...report } : { file: report.file, bytes: report.bytes, schemaVersion: report.schemaVersion, rows: rowsLine(report.rows), ...(report.keyFile ? { keyFile: report.keyFile } : {}) }, Boolean(json));
      if (!report.keyFile) {
        process.stderr.write(`The backup does not contain the server key. Keep ${settings.secretKey ? 'TESSERA_SECRET_KEY' : resolve(settings.dataDir, 'secret.key')} safe, apart from it: without the key nothing in the backup works.\n`);
      }
    });

  admin
    .command('restore')
    .description('replace the embedded store with a backup (the service must be stopped; the replaced store is kept aside)')
    .requiredOption('--from <file>', 'a file written by `tessera admin backup`')
    .action(async (options: { from: string }, command: Command) => {
      const settings = await localSettings(command);
      const { restoreStore } = await import('tessera-server/bundle');
      const report = await refusalsAsUsage(() => restoreStore(settings, resolve(options.from)));
      const { json } = command.optsWithGlobals<AdminOptions>();
      printRecord(json ? { ...report } : { ...report, rows: rowsLine(report.rows) }, Boolean(json));
    });
}
