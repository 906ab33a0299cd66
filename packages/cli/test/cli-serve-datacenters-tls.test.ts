/**
 * `tessera serve --datacenter NAME=https://…` without `--https` listens plain HTTP (TLS belongs to a
 * proxy in front, docs/operations.md "Several datacenters"): the banner says so, and names no
 * certificate it did not make.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startCli, tempHome } from './run-cli.js';

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

it('says the listeners are plain HTTP when the datacenter URLs are https and TLS is not on', async () => {
  const { home, remove } = tempHome();
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-dc-tls-'));
  const [us2, eu2] = [await freePort(), await freePort()];
  const serve = startCli(home, ['serve', '--data-dir', dataDir, '--no-seed', '--datacenter', `us2=https://127.0.0.1:${us2}`, '--datacenter', `eu2=https://127.0.0.1:${eu2}`]);
  try {
    await serve.stderrMatch(/admin console/);
    const { stderr } = serve.output();
    expect(stderr).toContain('plain HTTP on every listener');
    expect(stderr).not.toContain('certificate:');
    expect((await fetch(`http://127.0.0.1:${eu2}/readyz`)).status).toBe(200);
  } finally {
    await serve.stop();
    rmSync(dataDir, { recursive: true, force: true });
    remove();
  }
}, 60_000);
