/**
 * `tessera admin apps create|update --client-type` (docs/protocol.md Decision 14): a public app,
 * its redirect URIs, switching it back, and a value the admin API refuses, on the local store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempHome } from './run-cli.js';

const { home, remove } = tempHome();
const dataDir = mkdtempSync(join(tmpdir(), 'tessera-client-type-'));
afterAll(() => {
  remove();
  rmSync(dataDir, { recursive: true, force: true });
});

const admin = async (args: string[]) => {
  const result = await cli(home, ['admin', '--data-dir', dataDir, ...args, '--json']);
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined };
};

describe('tessera admin apps --client-type', () => {
  it('creates a public app with redirect URIs, switches it to confidential, and refuses other values', async () => {
    expect((await admin(['companies', 'create', '--name', 'Acme'])).code).toBe(0);
    const created = await admin(['apps', 'create', '--name', 'Pocket', '--description', 'native app', '--grants', 'authorization_code,refresh_token',
      '--scopes', 'openid,user.read', '--client-type', 'public', '--redirect-uris', 'http://127.0.0.1:8765/callback']);
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({ clientType: 'public', grants: ['authorization_code', 'refresh_token'] });
    const clientId: string = created.json.clientId;
    // The redirect URIs were stored: updating only them answers the same app.
    const again = await admin(['apps', 'update', '--client-id', clientId, '--redirect-uris', 'http://127.0.0.1:8765/callback']);
    expect(again.json).toMatchObject({ clientId, clientType: 'public' });
    const updated = await admin(['apps', 'update', '--client-id', clientId, '--client-type', 'confidential']);
    expect(updated.json).toMatchObject({ clientType: 'confidential' });
    const bad = await admin(['apps', 'update', '--client-id', clientId, '--client-type', 'secretless']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('clientType must be confidential or public');
    const byDefault = await admin(['apps', 'create', '--name', 'Server', '--description', 'd', '--grants', 'password', '--scopes', 'openid']);
    expect(byDefault.json).toMatchObject({ clientType: 'confidential' });
  });
});
