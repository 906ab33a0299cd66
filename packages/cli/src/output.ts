/** Output helpers shared by the commands: JSON for scripts, plain lines for people, errors on stderr. */

/** Thrown by a command to end with a message and an exit code, without a stack trace. */
export class CommandError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CommandError';
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints `value` as JSON with `--json`, else as aligned `key: value` lines. */
export function printRecord(record: Record<string, unknown>, json: boolean): void {
  if (json) return printJson(record);
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  for (const [key, value] of Object.entries(record)) {
    process.stdout.write(`${key.padEnd(width)}  ${Array.isArray(value) ? value.join(' ') : String(value ?? '')}\n`);
  }
}

/** Prints rows as JSON with `--json`, else as a table with the given columns. */
export function printTable(rows: Record<string, unknown>[], columns: string[], json: boolean): void {
  if (json) return printJson(rows);
  const cell = (value: unknown) => (Array.isArray(value) ? value.join(' ') : String(value ?? ''));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${line(columns)}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((column) => cell(row[column])))}\n`);
}

export function exitOnError(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tessera: ${message}\n`);
  process.exit(error instanceof CommandError ? error.exitCode : 1);
}

/** Reads all of standard input (for --password-stdin and friends), without the trailing newline. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
