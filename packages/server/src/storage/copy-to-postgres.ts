/**
 * Copies an embedded SQLite store into an empty PostgreSQL schema ("outgrowing one
 * machine"). Rows are copied as they are (digests, sealed signing keys, password hashes, audit
 * events with their ids), so a service on the copy with the same server key honours every
 * secret, refresh token and request token. Table by table in foreign-key order, in batches, in
 * one PostgreSQL transaction under the schema's migration lock, read from one SQLite snapshot;
 * row counts are compared before it commits. Generic over the columns both schemas share, so a
 * migration added to both stores needs no change here.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { applyPostgresMigrations, schemaNamePattern } from './postgres/migrations.js';
import { inTransaction } from './postgres/transaction.js';
import { StoreFileError } from './sqlite/backup.js';

export interface CopyTarget {
  /** `postgres://user:password@host:5432/database`. */
  url: string;
  /** The schema to create the tables in; it must hold no Tessera rows yet. */
  schema: string;
}

export interface CopyReport {
  schema: string;
  /** Rows copied per table (equal on both sides). */
  rows: Record<string, number>;
}

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const defaultBatchRows = 500;

type Row = Record<string, unknown>;

/** Table names in an order where every table comes after the tables it references. */
function foreignKeyOrder(db: BetterSqlite3.Database, tables: string[]): string[] {
  const references = new Map(tables.map((table) => [table,
    (db.prepare(`SELECT "table" FROM pragma_foreign_key_list(?)`).all(table) as { table: string }[]).map((r) => r.table).filter((t) => t !== table)]));
  const ordered: string[] = [];
  const visit = (table: string, path: Set<string>) => {
    if (ordered.includes(table) || path.has(table)) return;
    path.add(table);
    for (const referenced of references.get(table) ?? []) if (references.has(referenced)) visit(referenced, path);
    ordered.push(table);
  };
  for (const table of tables) visit(table, new Set());
  return ordered;
}

/**
 * Copies the SQLite store `sqliteFile` (at the newest schema: open it with `openSqliteStore`
 * first) into `target`, applying the PostgreSQL migrations first. Refuses (`StoreFileError`) a
 * schema that already holds rows, or a SQLite column PostgreSQL has no place for.
 */
export async function copySqliteToPostgres(sqliteFile: string, target: CopyTarget, options: { batchRows?: number } = {}): Promise<CopyReport> {
  if (!schemaNamePattern.test(target.schema)) throw new StoreFileError(`invalid PostgreSQL schema name ${JSON.stringify(target.schema)}: lower-case letters, digits and _`);
  const batchRows = options.batchRows ?? defaultBatchRows;
  const { default: Sqlite } = await import('better-sqlite3');
  const { default: driver } = await import('pg');
  const source = new Sqlite(sqliteFile, { readonly: true, fileMustExist: true });
  const client = new driver.Client({ connectionString: target.url, application_name: 'tessera-migrate' });
  try {
    await client.connect();
    await applyPostgresMigrations(client, target.schema);
    source.exec('BEGIN'); // one read snapshot for every table
    const tables = (source.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
    return await inTransaction(client, async () => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tessera.migrate.${target.schema}`]);
      await client.query(`SET LOCAL search_path TO ${target.schema}`);
      const columns = await targetColumns(client, target.schema);
      for (const table of tables) {
        if (!columns.has(table)) throw new StoreFileError(`the PostgreSQL schema has no table ${table}: is it of another Tessera version?`);
        const { rows } = await client.query(`SELECT EXISTS (SELECT 1 FROM "${table}") AS taken`);
        if (rows[0]?.taken) throw new StoreFileError(`schema ${target.schema} already holds data (table ${table}): migrate into an empty schema`);
      }
      const report: CopyReport = { schema: target.schema, rows: {} };
      for (const table of foreignKeyOrder(source, tables)) {
        report.rows[table] = await copyTable(source, client, table, columns.get(table)!, batchRows);
      }
      for (const [table, expected] of Object.entries(report.rows)) {
        const { rows } = await client.query(`SELECT count(*) AS n FROM "${table}"`);
        if (Number(rows[0]?.n) !== expected) throw new Error(`row count of ${table} differs after the copy: ${String(rows[0]?.n)} in PostgreSQL, ${expected} in SQLite`);
      }
      return report;
    });
  } finally {
    if (source.inTransaction) source.exec('COMMIT');
    source.close();
    await client.end().catch(() => undefined);
  }
}

interface TargetColumn {
  name: string;
  identity: boolean;
}

async function targetColumns(client: pg.Client, schema: string): Promise<Map<string, Map<string, TargetColumn>>> {
  const { rows } = await client.query<{ table_name: string; column_name: string; is_identity: string }>(
    'SELECT table_name, column_name, is_identity FROM information_schema.columns WHERE table_schema = $1', [schema]);
  const tables = new Map<string, Map<string, TargetColumn>>();
  for (const row of rows) {
    if (!tables.has(row.table_name)) tables.set(row.table_name, new Map());
    tables.get(row.table_name)!.set(row.column_name, { name: row.column_name, identity: row.is_identity === 'YES' });
  }
  return tables;
}

/** Copies one table in batches of rows, by rowid; answers how many rows. */
async function copyTable(source: BetterSqlite3.Database, client: pg.Client, table: string, target: Map<string, TargetColumn>, batchRows: number): Promise<number> {
  const names = (source.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((r) => r.name);
  const missing = names.filter((name) => !target.has(name));
  if (missing.length > 0) throw new StoreFileError(`the PostgreSQL table ${table} has no column ${missing.join(', ')}: is it of another Tessera version?`);
  const identity = names.filter((name) => target.get(name)!.identity);
  const select = source.prepare(`SELECT rowid AS "__rowid", ${names.map((n) => `"${n}"`).join(', ')} FROM "${table}" WHERE rowid > ? ORDER BY rowid LIMIT ?`);
  const columnList = names.map((n) => `"${n}"`).join(', ');
  let after = -Infinity;
  let copied = 0;
  for (;;) {
    const batch = select.all(after === -Infinity ? Number.MIN_SAFE_INTEGER : after, batchRows) as Row[];
    if (batch.length === 0) break;
    const params: unknown[] = [];
    const tuples = batch.map((row) => `(${names.map((name) => {
      params.push(row[name] ?? null);
      return `$${params.length}`;
    }).join(', ')})`);
    await client.query(`INSERT INTO "${table}" (${columnList})${identity.length ? ' OVERRIDING SYSTEM VALUE' : ''} VALUES ${tuples.join(', ')}`, params);
    copied += batch.length;
    after = Number(batch[batch.length - 1]!.__rowid);
  }
  // Ids given explicitly leave the identity's sequence behind: the next generated id follows the copied ones.
  for (const column of identity) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max("${column}") FROM "${table}"), 0) + 1, false)`, [table, column]);
  }
  return copied;
}
