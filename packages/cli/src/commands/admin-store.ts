/**
 * `tessera admin backup|restore|migrate`: the store as a whole (docs/operations.md). The rules
 * (consistency, what is refused, the server key) live in tessera-server; these commands parse
 * their arguments and print the report.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Settings } from 'tessera-server';
import { ExitCode } from '../exit-codes.js';
import { CommandError, printRecord, readStdin } from '../output.js';
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

/**
 * The PostgreSQL URL to migrate to: `--to`, else standard input (`--to-stdin`), else
 * `TESSERA_MIGRATE_TO`. The last two keep a password in the URL out of `ps` and shell history.
 */
async function migrationTarget(options: { to?: string; toStdin?: boolean }): Promise<string> {
  if (options.to && options.toStdin) throw new CommandError('give the target with --to or --to-stdin, not both', ExitCode.Usage);
  const to = options.to ?? (options.toStdin ? (await readStdin()).trim() : process.env.TESSERA_MIGRATE_TO?.trim());
  if (!to) throw new CommandError('no target: --to URL, --to-stdin or TESSERA_MIGRATE_TO (postgres://…)', ExitCode.Usage);
  return to;
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

  admin
    .command('migrate')
    .description('copy the embedded store of --data-dir into an empty PostgreSQL schema (the service must be stopped); same server key afterwards')
    .option('--to <url>', 'the PostgreSQL database, postgres://user@host:5432/database (a password here is visible in `ps`: prefer PGPASSWORD, ~/.pgpass, TESSERA_MIGRATE_TO or --to-stdin)')
    .option('--to-stdin', 'read the PostgreSQL URL from standard input')
    .option('--schema <name>', 'the schema to create the tables in (TESSERA_DATABASE_SCHEMA, default public); it must hold no Tessera rows')
    .addHelpText('after', '\nThe target comes from --to, --to-stdin or TESSERA_MIGRATE_TO (in that order); PGPASSWORD and ~/.pgpass supply a password the URL leaves out.')
    .action(async (options: { to?: string; toStdin?: boolean; schema?: string }, command: Command) => {
      if (command.optsWithGlobals<AdminOptions>().databaseUrl) {
        throw new CommandError('tessera admin migrate copies the embedded store of --data-dir; name the PostgreSQL target with --to, not --database-url', ExitCode.Usage);
      }
      const to = await migrationTarget(options);
      if (!/^postgres(ql)?:\/\/\S+$/.test(to)) throw new CommandError('--to must be a postgres:// URL', ExitCode.Usage);
      const settings = { ...(await localSettings(command)), databaseUrl: undefined };
      const { migrateToPostgres } = await import('tessera-server/bundle');
      const report = await refusalsAsUsage(() => migrateToPostgres(settings, { url: to, schema: options.schema ?? settings.databaseSchema }));
      const { json } = command.optsWithGlobals<AdminOptions>();
      printRecord(json ? { ...report } : { schema: report.schema, rows: rowsLine(report.rows) }, Boolean(json));
      const carry = report.serverKey.from === 'file'
        ? `export TESSERA_SECRET_KEY="$(cat ${report.serverKey.file})"`
        : 'keep TESSERA_SECRET_KEY as it is';
      process.stderr.write(`Copied. Start the PostgreSQL nodes with the same server key (${carry}), TESSERA_DATABASE_URL and TESSERA_DATABASE_SCHEMA=${report.schema}.\n`);
    });
}
