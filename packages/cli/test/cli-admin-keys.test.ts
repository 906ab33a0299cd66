/**
 * `tessera admin keys list|rotate` (docs/protocol.md Decision 9) on the store of a running
 * service: the new key is published at once and signs after the propagation delay, the service
 * picks it up by itself, and the command keeps the algorithm the service signs with.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setUp(settings: Parameters<typeof startTestServer>[0] = {}): Promise<{ t: TestServer; home: string }> {
  const t = await startTestServer(settings);
  cleanups.push(() => t.close());
  const { home, remove } = tempHome();
  cleanups.push(remove);
  return { t, home };
}

const json = (stdout: string) => JSON.parse(stdout) as any;

describe('tessera admin keys', () => {
  it('rotates: published now, signing after the propagation delay, picked up by the running service', async () => {
    const { t, home } = await setUp({ settings: { keyReloadSeconds: 1, jwksMaxAgeSeconds: 1, keyPropagationSeconds: 30 } });
    const before = await cli(home, ['admin', 'keys', 'list', '--data-dir', t.dataDir, '--json']);
    expect(before.code, before.stderr).toBe(0);
    const [signing] = json(before.stdout);
    expect(signing).toMatchObject({ alg: 'RS256', status: 'signing', retiredAt: null });

    const started = Date.now();
    const rotated = await cli(home, ['admin', 'keys', 'rotate', '--data-dir', t.dataDir, '--json'], { env: { TESSERA_KEY_PROPAGATION_SECONDS: '30', TESSERA_KEY_RELOAD_SECONDS: '1', TESSERA_JWKS_MAX_AGE_SECONDS: '1' } });
    expect(rotated.code, rotated.stderr).toBe(0);
    const { key, retired } = json(rotated.stdout);
    expect(key).toMatchObject({ alg: 'RS256', status: 'pending' });
    expect(Date.parse(key.activatesAt) - started).toBeGreaterThanOrEqual(29_000);
    expect(retired).toEqual([expect.objectContaining({ kid: signing.kid, retiredAt: key.activatesAt })]);

    const listed = json((await cli(home, ['admin', 'keys', 'list', '--data-dir', t.dataDir, '--json'])).stdout);
    expect(listed.map((k: { kid: string; status: string }) => [k.kid, k.status])).toEqual([[signing.kid, 'signing'], [key.kid, 'pending']]);

    // The service reloads its keys every keyReloadSeconds: the new key is in its JWKS, not yet signing.
    const deadline = Date.now() + 5000;
    let kids: string[] = [];
    while (Date.now() < deadline && !kids.includes(key.kid)) {
      kids = ((await (await fetch(`${t.url}/oauth2/v0/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(kids).toEqual([signing.kid, key.kid]);
    expect(t.server.core.keys.signingKey()!.kid).toBe(signing.kid);

    const text = await cli(home, ['admin', 'keys', 'rotate', '--data-dir', t.dataDir]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^kid +\S+\nalg +RS256\npublishedAt .*\nsignsFrom .*\nretired .*stops signing/m);
  });

  it('keeps the algorithm the service signs with, and other admin commands add no key', async () => {
    const { t, home } = await setUp({ settings: { signingAlg: 'ES256' } });
    expect((await cli(home, ['admin', 'apps', 'list', '--data-dir', t.dataDir])).code).toBe(0);
    const keys = json((await cli(home, ['admin', 'keys', 'list', '--data-dir', t.dataDir, '--json'])).stdout);
    expect(keys.map((k: { alg: string }) => k.alg)).toEqual(['ES256']);
    const rotated = await cli(home, ['admin', 'keys', 'rotate', '--data-dir', t.dataDir, '--json']);
    expect(json(rotated.stdout).key.alg).toBe('ES256');
    const eddsa = await cli(home, ['admin', 'keys', 'rotate', '--alg', 'EdDSA', '--data-dir', t.dataDir, '--json']);
    expect(json(eddsa.stdout).key.alg).toBe('EdDSA');
  });

  it('refuses an unknown algorithm', async () => {
    const { t, home } = await setUp();
    const refused = await cli(home, ['admin', 'keys', 'rotate', '--alg', 'HS256', '--data-dir', t.dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--alg must be one of RS256, ES256, EdDSA/);
  });
});
