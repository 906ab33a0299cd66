/** Network retries: a pipe sees only the final explanation, no progress chatter; the exit code is 1. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cli, tempHome } from './run-cli.js';

describe('an unreachable datacenter', () => {
  it('is retried quietly in a pipe, then explained with exit code 1', async () => {
    const { home, remove } = tempHome();
    const port = await closedPort();
    try {
      const added = await cli(home, ['env', 'add', 'gone', '--datacenter', `http://127.0.0.1:${port}`, '--client-id', 'c'], { env: { TESSERA_CLIENT_SECRET: 's' } });
      expect(added.code, added.stderr).toBe(0);
      const started = Date.now();
      const converted = await cli(home, ['token', 'convert', '--company-uuid', 'co'], { env: { TESSERA_REQUEST_TOKEN: 'at-x' } });
      expect(converted.code).toBe(1);
      expect(Date.now() - started).toBeGreaterThan(1000); // it did wait between attempts
      expect(converted.stdout).toBe('');
      expect(converted.stderr).not.toMatch(/retrying/);
      expect(converted.stderr).toMatch(new RegExp(`^tessera: no answer from http://127\\.0\\.0\\.1:${port}/oauth2/v0/token: .*ECONNREFUSED`));
      expect(converted.stderr).toMatch(/next: check the datacenter of the environment/);
    } finally {
      remove();
    }
  });
});

/** A port nobody listens on: taken, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}
