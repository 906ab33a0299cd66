/**
 * Signing keys rotate without downtime (docs/protocol.md Decision 9): a new key is in JWKS
 * before it signs, on every node; the old one stops signing when the new one starts and stays
 * published until every token it signed has expired; a node verifies tokens signed with a key it
 * has not loaded yet; the schedule rotates by itself; JWKS carries caching headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listKeys, ManualClock, operatorActor, rotateSigningKey, type SettingsInput } from 'tessera-server';
import { send } from './e2e-helpers.js';
import { convertRequestToken, makeApp, startTestServer, type TestServer } from './helpers.js';
import { openSharedStore, type SharedStore } from './test-services.js';

const kidOf = (jwt: string): string => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
const jwksKids = async (t: TestServer): Promise<string[]> =>
  ((await send(t.url, '/oauth2/v0/jwks')).body as { keys: { kid: string }[] }).keys.map((k) => k.kid);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (real time) until it holds, for at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await sleep(100);
  }
}

/** Two nodes of one service: one store, one server key, one public URL, one clock. */
async function twoNodes(clock: ManualClock, settings: SettingsInput) {
  const shared = await openSharedStore();
  const common: SettingsInput = { secretKey: 'key-rotation-test-secret-key-0123456789', geolocation: 'http://tessera.test', ...settings };
  const a = await startTestServer({ clock, store: shared.stores[0], settings: common });
  const b = await startTestServer({ clock, store: shared.stores[1], settings: common });
  return { a, b, shared };
}

async function companyToken(t: TestServer, app: { clientId: string; clientSecret: string }): Promise<string> {
  const answer = await convertRequestToken(t, app.clientId, app.clientSecret);
  expect(answer.status).toBe(200);
  return answer.body.access_token as string;
}

const me = (t: TestServer, token: string) => send(t.url, '/profile/v1/me', { token });

describe('rotation across two nodes', () => {
  const clock = new ManualClock(Date.parse('2026-04-01T00:00:00Z'));
  let a: TestServer;
  let b: TestServer;
  let shared: SharedStore;
  beforeAll(async () => {
    ({ a, b, shared } = await twoNodes(clock, { keyReloadSeconds: 1, jwksMaxAgeSeconds: 1, keyPropagationSeconds: 3, accessTokenTtl: 60 }));
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await shared.cleanup();
  });

  it('publishes the new key on every node before it signs, then retires the old one after its last token expires', async () => {
    const app = await makeApp(a);
    const before = await companyToken(a, app);
    const oldKid = kidOf(before);
    expect(await jwksKids(a)).toEqual([oldKid]);
    expect(await jwksKids(b)).toEqual([oldKid]);

    const rotation = await rotateSigningKey(a.server.core, { actor: operatorActor });
    const newKid = rotation.key.kid;
    expect(rotation.key).toMatchObject({ status: 'pending', activatesAt: new Date(clock.now() + 3000).toISOString() });
    expect(rotation.retired).toEqual([expect.objectContaining({
      kid: oldKid, status: 'signing', retiredAt: rotation.key.activatesAt,
      withdrawnAt: new Date(clock.now() + 3000 + 60_000 + 60_000).toISOString(),
    })]);

    // Published at once here, and on the other node at its next reload; nobody signs with it yet.
    expect(await jwksKids(a)).toEqual([oldKid, newKid]);
    await eventually(async () => (await jwksKids(b)).includes(newKid), 5000);
    expect(kidOf(await companyToken(a, app))).toBe(oldKid);
    expect(kidOf(await companyToken(b, app))).toBe(oldKid);

    clock.advance(3000);
    const after = await companyToken(b, app);
    expect(kidOf(after)).toBe(newKid);
    expect(kidOf(await companyToken(a, app))).toBe(newKid);
    for (const node of [a, b]) {
      expect((await me(node, before)).status).toBe(200);
      expect((await me(node, after)).status).toBe(200);
    }
    expect((await listKeys(a.server.core)).map((k) => [k.kid, k.status])).toEqual([[oldKid, 'retiring'], [newKid, 'signing']]);

    clock.advance(119_999);
    expect(await jwksKids(a)).toEqual([oldKid, newKid]);
    clock.advance(1);
    expect(await jwksKids(a)).toEqual([newKid]);
    expect(await jwksKids(b)).toEqual([newKid]);
    expect((await me(a, after)).status).toBe(401);
  });
});

describe('a token signed with a key this node has not loaded yet', () => {
  const clock = new ManualClock(Date.parse('2026-04-01T00:00:00Z'));
  let a: TestServer;
  let b: TestServer;
  let shared: SharedStore;
  beforeAll(async () => {
    // Node b would reload only after an hour: only the unknown-kid lookup can find the new key.
    ({ a, b, shared } = await twoNodes(clock, { keyReloadSeconds: 3600, jwksMaxAgeSeconds: 300, keyPropagationSeconds: 4000 }));
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await shared.cleanup();
  });

  it('is verified after one reload from the store', async () => {
    const app = await makeApp(a);
    const rotation = await rotateSigningKey(a.server.core, { actor: operatorActor });
    clock.advance(4000_000);
    const token = await companyToken(a, app);
    expect(kidOf(token)).toBe(rotation.key.kid);
    await sleep(1100);
    expect((await me(b, token)).status).toBe(200);
  });
});

describe('scheduled rotation', () => {
  const clock = new ManualClock(Date.parse('2026-04-01T00:00:00Z'));
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ clock, settings: { keyRotationDays: 30, keyPropagationSeconds: 900 } });
  });
  afterAll(() => t.close());

  it('rotates once the signing key is keyRotationDays old, once per period, on the sweeper turn', async () => {
    const first = t.server.core.keys.signingKey()!.kid;
    await t.server.maintenance.runSweeperTurn();
    expect((await listKeys(t.server.core)).map((k) => k.kid)).toEqual([first]);

    clock.advance(30 * 86400_000);
    await t.server.maintenance.runSweeperTurn();
    await t.server.maintenance.runSweeperTurn();
    const keys = await listKeys(t.server.core);
    expect(keys.map((k) => k.status)).toEqual(['signing', 'pending']);
    expect(keys[1]!.activatesAt).toBe(new Date(clock.now() + 900_000).toISOString());
    await t.server.core.audit.flush();
    const rotated = await t.server.core.store.audit.query({ action: 'key.rotated' });
    expect(rotated.items.map((e) => e.detail)).toEqual([expect.objectContaining({ kid: keys[1]!.kid, retired: [first], reason: 'schedule' })]);

    clock.advance(900_000);
    expect(t.server.core.keys.signingKey()!.kid).toBe(keys[1]!.kid);
    clock.advance(29 * 86400_000);
    await t.server.maintenance.runSweeperTurn();
    // Not due yet (the new key signs since 29 days); the old key left JWKS long ago and is swept.
    expect((await listKeys(t.server.core)).map((k) => [k.kid, k.status])).toEqual([[keys[1]!.kid, 'signing']]);
    clock.advance(86400_000);
    await t.server.maintenance.runSweeperTurn();
    expect((await listKeys(t.server.core)).map((k) => k.status)).toEqual(['signing', 'pending']);
  });
});

describe('JWKS caching', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { jwksMaxAgeSeconds: 120, keyPropagationSeconds: 300 } });
  });
  afterAll(() => t.close());

  it('answers with Cache-Control max-age and a strong ETag, 304 for a matching If-None-Match, a new ETag after a rotation', async () => {
    const first = await send(t.url, '/oauth2/v0/jwks');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=120');
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await send(t.url, '/oauth2/v0/jwks', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect((await send(t.url, '/.well-known/openid-configuration')).headers.get('cache-control')).toBe('public, max-age=120');

    await rotateSigningKey(t.server.core, { actor: operatorActor });
    const rotated = await send(t.url, '/oauth2/v0/jwks', { headers: { 'if-none-match': etag } });
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('etag')).not.toBe(etag);
    expect(rotated.body.keys).toHaveLength(2);
  });

  it('refuses settings where a new key could sign before every verifier has it', async () => {
    const { loadSettings } = await import('tessera-server');
    expect(() => loadSettings({ keyReloadSeconds: 60, jwksMaxAgeSeconds: 300, keyPropagationSeconds: 360 }, {}))
      .toThrow(/keyPropagationSeconds \(360\) must exceed keyReloadSeconds \+ jwksMaxAgeSeconds \(360\)/);
  });
});
