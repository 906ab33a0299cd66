/**
 * `tessera serve` answers nothing, `/readyz` and `/healthz` included, before
 * the first-start data exists: a load balancer that sees "ready" can send the quick start's
 * requests at once. The check polls as fast as it can from the moment the process starts and,
 * at the first answer, reads the store: the demo company, its administrator, app and request
 * token, and a signing key are all there.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { binPath } from './run-cli.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The first answer of `url`, polled without pause until something answers. */
async function firstAnswer(url: string, deadline: number): Promise<number> {
  for (;;) {
    try {
      return (await fetch(url)).status;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} never answered`);
    }
  }
}

it('on first start, /readyz answers only once the demo data and a signing key exist', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-ready-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const child = spawn(process.execPath, [binPath, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir], {
    env: { ...process.env, TESSERA_LOG_LEVEL: 'warn', TESSERA_HOME: join(dataDir, 'home') }, stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await exited;
  });

  const status = await firstAnswer(`http://127.0.0.1:${port}/readyz`, Date.now() + 30_000);
  const db = new Database(join(dataDir, 'tessera.db'), { readonly: true, fileMustExist: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    expect({ status, companies: count('companies'), users: count('users'), apps: count('apps'), requestTokens: count('request_tokens'), keys: count('signing_keys') })
      .toEqual({ status: 200, companies: 1, users: 1, apps: 1, requestTokens: 1, keys: 1 });
  } finally {
    db.close();
  }
});
