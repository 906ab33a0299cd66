/**
 * Tessera declares no Fastify route schemas, so the server never loads Ajv (http/no-route-schemas.ts):
 * a route that declares one anyway must fail loudly when the server starts, not pass unvalidated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createServer, loadSettings } from 'tessera-server';

it('refuses a route that declares a JSON schema, at start', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-schemas-'));
  const server = await createServer(loadSettings({ port: 0, dataDir, logLevel: 'silent' }, {}));
  try {
    server.app.post('/with-schema', { schema: { body: { type: 'object', required: ['x'] } } }, async () => ({ ok: true }));
    await expect(server.app.ready()).rejects.toThrow(/declares no Fastify validation schemas/);
  } finally {
    await server.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
