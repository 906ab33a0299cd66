/**
 * `tessera admin backup` and `restore` on the embedded store: a backup taken while
 * the service answers concurrent refreshes is consistent, restores into a fresh data dir, and a
 * service there honours the old secrets and refresh tokens. Restore refuses while a service runs
 * on the data dir, without the server key, with another key, and a file that is no Tessera store;
 * it keeps the store it replaces. PostgreSQL is pointed to pg_dump.
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { binPath, cli, tempHome } from './run-cli.js';
import { expectSeedWorks, freshDir, refreshAll, seedService, startService, type Running } from './store-fixtures.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function dir(): string {
  const path = freshDir();
  cleanups.push(() => rmSync(path, { recursive: true, force: true }));
  return path;
}

async function service(dataDir: string): Promise<Running> {
  const s = await startService({ dataDir });
  cleanups.push(() => s.close());
  return s;
}

function home(): string {
  const { home: path, remove } = tempHome();
  cleanups.push(remove);
  return path;
}

describe('tessera admin backup / restore', () => {
  it('backs up while the service serves concurrent refreshes; a service on the restored copy honours the old secrets and refresh tokens', async () => {
    const h = home();
    const dirA = dir();
    const a = await service(dirA);
    const seed = await seedService(a, 4);

    // Load: eight callers refreshing the seed's tokens for as long as the backup runs.
    let stop = false;
    let refreshes = 0;
    const failures: number[] = [];
    const load = Promise.all(Array.from({ length: 8 }, async () => {
      while (!stop) {
        for (const status of await refreshAll(a.url, seed)) (status === 200 ? refreshes++ : failures.push(status));
      }
    }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = refreshes;
    const backupFile = join(dir(), 'tessera-backup.db');
    const backup = await cli(h, ['admin', 'backup', '--data-dir', dirA, '--to', backupFile, '--json']);
    const during = refreshes - before;
    stop = true;
    await load;
    expect(backup.code, backup.stderr).toBe(0);
    expect(failures).toEqual([]);
    expect(during).toBeGreaterThan(0);
    const report = JSON.parse(backup.stdout);
    expect(report).toMatchObject({ file: backupFile, schemaVersion: expect.any(Number) });
    expect(report.rows).toMatchObject({ apps: 1, connections: 5, refresh_tokens: 5, request_tokens: 2 });
    expect(report.keyFile).toBeUndefined();
    expect(backup.stderr).toContain(join(dirA, 'secret.key'));
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);

    // A fresh data dir: refused without the server key, restored with it.
    const dirB = dir();
    const noKey = await cli(h, ['admin', 'restore', '--data-dir', dirB, '--from', backupFile]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/no server key: copy the secret\.key/);
    expect(existsSync(join(dirB, 'tessera.db'))).toBe(false);
    copyFileSync(join(dirA, 'secret.key'), join(dirB, 'secret.key'));
    const restored = await cli(h, ['admin', 'restore', '--data-dir', dirB, '--from', backupFile, '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ file: join(dirB, 'tessera.db'), key: 'data dir', rows: report.rows });
    expect(JSON.parse(restored.stdout).keptAside).toBeUndefined();
    expect(statSync(join(dirB, 'tessera.db')).mode & 0o777).toBe(0o600);

    const b = await service(dirB);
    await expectSeedWorks(b, seed);

    // Not under a running service; afterwards yes, keeping the store it replaces.
    const underService = await cli(h, ['admin', 'restore', '--data-dir', dirB, '--from', backupFile]);
    expect(underService.code).toBe(2);
    expect(underService.stderr).toContain(`a Tessera server (process ${process.pid}) is running on ${dirB}: stop it first`);
    await b.close();
    const again = await cli(h, ['admin', 'restore', '--data-dir', dirB, '--from', backupFile, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const { keptAside } = JSON.parse(again.stdout);
    expect(keptAside).toMatch(/tessera\.db\.before-restore-/);
    expect(readdirSync(dirB)).toEqual(expect.arrayContaining(['tessera.db', keptAside.split('/').pop()]));
  });

  it('a second serve on the data dir of a running one fails without losing the guard: restore still refuses', async () => {
    const h = home();
    const dirA = dir();
    const a = await service(dirA);
    const backupFile = join(dir(), 'guard.db');
    expect((await cli(h, ['admin', 'backup', '--data-dir', dirA, '--to', backupFile])).code).toBe(0);

    // Same data dir, same port: it must neither run nor leave the pid file naming a dead process.
    const second = await cli(h, ['serve', '--data-dir', dirA, '--port', new URL(a.url).port, '--no-seed'], { env: { TESSERA_LOG_LEVEL: 'silent' } });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`a Tessera server (process ${process.pid}) is already running on data dir ${dirA}`);
    expect(readFileSync(join(dirA, 'tessera.pid'), 'utf8').trim()).toBe(String(process.pid));

    const underService = await cli(h, ['admin', 'restore', '--data-dir', dirA, '--from', backupFile]);
    expect(underService.code).toBe(2);
    expect(underService.stderr).toContain(`a Tessera server (process ${process.pid}) is running on ${dirA}: stop it first`);
    await a.close();
    expect(existsSync(join(dirA, 'tessera.pid'))).toBe(false);
  });

  it('--include-key writes the key beside the backup, and restore installs it on a data dir without one', async () => {
    const h = home();
    const dirA = dir();
    const a = await service(dirA);
    const seed = await seedService(a, 1);
    const backupFile = join(dir(), 'with-key.db');
    // A key file left there readable by everyone (0644) is replaced by a 0600 one.
    writeFileSync(`${backupFile}.key`, 'an older key\n', { mode: 0o644 });
    chmodSync(`${backupFile}.key`, 0o644);
    const backup = await cli(h, ['admin', 'backup', '--data-dir', dirA, '--to', backupFile, '--include-key', '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout).keyFile).toBe(`${backupFile}.key`);
    expect(statSync(`${backupFile}.key`).mode & 0o777).toBe(0o600);

    const dirC = dir();
    const restored = await cli(h, ['admin', 'restore', '--data-dir', dirC, '--from', backupFile, '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout).key).toBe('installed from the backup');
    expect(statSync(join(dirC, 'secret.key')).mode & 0o777).toBe(0o600);
    await a.close();
    await expectSeedWorks(await service(dirC), seed);
  });

  it('refuses a backup made under another server key, a file that is no Tessera store, and PostgreSQL', async () => {
    const h = home();
    const dirA = dir();
    const a = await service(dirA);
    await seedService(a, 0);
    const backupFile = join(dir(), 'backup.db');
    expect((await cli(h, ['admin', 'backup', '--data-dir', dirA, '--to', backupFile])).code).toBe(0);

    const dirD = dir();
    writeFileSync(join(dirD, 'secret.key'), 'another-key-of-another-service-0123456789\n', { mode: 0o600 });
    const wrongKey = await cli(h, ['admin', 'restore', '--data-dir', dirD, '--from', backupFile]);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain('does not open this backup: it was made under another key');

    const notAStore = join(dir(), 'notes.txt');
    writeFileSync(notAStore, 'not a database at all, just some words that go on for a while\n'.repeat(20));
    const refused = await cli(h, ['admin', 'restore', '--data-dir', dirD, '--from', notAStore]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not an SQLite database|is not a Tessera store/);
    expect(existsSync(join(dirD, 'tessera.db'))).toBe(false);

    const postgres = await cli(h, ['admin', 'backup', '--database-url', 'postgres://nobody@127.0.0.1:1/none', '--to', backupFile]);
    expect(postgres.code).toBe(2);
    expect(postgres.stderr).toContain('pg_dump');
  });

  it('sees a `tessera serve` process on the data dir until it stops (SIGTERM)', async () => {
    const h = home();
    const dirA = dir();
    const backupFile = join(dir(), 'backup.db');
    // Output to files, as under a service manager: no pipe keeps the process alive while it stops.
    const logFile = join(dir(), 'serve.log');
    const log = openSync(logFile, 'a');
    cleanups.push(() => closeSync(log));
    const serve = spawn(process.execPath, [binPath, 'serve', '--port', '0', '--data-dir', dirA, '--no-seed'], {
      env: { ...process.env, TESSERA_LOG_LEVEL: 'silent' }, stdio: ['ignore', log, log],
    });
    const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
    cleanups.push(() => serve.kill('SIGKILL'));
    for (let waited = 0; !readFileSync(logFile, 'utf8').includes('listening at') && waited < 20_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(readFileSync(join(dirA, 'tessera.pid'), 'utf8').trim()).toBe(String(serve.pid));
    expect((await cli(h, ['admin', 'backup', '--data-dir', dirA, '--to', backupFile])).code).toBe(0);
    const refused = await cli(h, ['admin', 'restore', '--data-dir', dirA, '--from', backupFile]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`a Tessera server (process ${serve.pid}) is running on ${dirA}`);

    serve.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(dirA, 'tessera.pid'))).toBe(false);
    const restored = await cli(h, ['admin', 'restore', '--data-dir', dirA, '--from', backupFile]);
    expect(restored.code, restored.stderr).toBe(0);
  });
});
