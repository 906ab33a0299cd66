/**
 * The client cache (docs/operations.md "Client cache"): client authentication's read is kept for
 * `tokenStatusCacheSeconds`; a change made through the cached store is seen at once, a change
 * made beside it (another process on the same file) within that time; unknown ids are not kept.
 * On HTTP: a secret set inactive by another connection to the same SQLite file stops working
 * within the staleness, and at once through the admin API.
 */
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from 'tessera-server';
import { cacheClients } from '../src/storage/client-cache.js';
import { verifyClientSecret } from '../src/core/client-auth.js';
import type { Core } from '../src/core/context.js';
import { ConcurError } from '../src/core/errors.js';
import { ServerKeys } from '../src/core/secrets.js';
import { aCompany, anApp, aSecret, limits } from '../src/storage/contract/fixtures.js';
import { makeApp, postToken, startTestServer, testStoreKind, type TestServer } from './helpers.js';

describe('cacheClients', () => {
  it('keeps a client for the staleness, forgets it at once on a change through it, never keeps an unknown id', async () => {
    const base = await openSqliteStore(':memory:');
    let now = 1_000;
    const store = cacheClients(base, 5, () => now);
    const company = aCompany();
    const app = anApp(company.id);
    const secret = aSecret(app.id);
    await base.companies.create(company);
    await base.apps.create(app);
    await base.apps.addSecret(secret, limits);
    const client = () => store.apps.getClient(app.id);
    expect((await client())?.activeSecrets).toEqual([{ id: secret.id, digest: secret.digest }]);

    // Beside the cache (another process): unseen until the staleness has passed.
    await base.apps.setSecretStatus(app.id, secret.id, 'inactive', 2_000, limits);
    now += 4_999;
    expect((await client())?.activeSecrets).toHaveLength(1);
    now += 1;
    expect((await client())?.activeSecrets).toEqual([]);

    // Through the cache: seen at once.
    await store.apps.setSecretStatus(app.id, secret.id, 'active', 3_000, limits);
    expect((await client())?.activeSecrets).toHaveLength(1);
    await store.apps.update({ ...app, enabled: false, updatedAt: 4_000 });
    expect((await client())?.app.enabled).toBe(false);

    // An id no app has is asked of the store every time.
    const unknown = randomUUID();
    expect(await store.apps.getClient(unknown)).toBeUndefined();
    await base.apps.create({ ...anApp(company.id), id: unknown });
    expect((await store.apps.getClient(unknown))?.app.id).toBe(unknown);

    expect(cacheClients(base, 0)).toBe(base);
    await store.close();
  });
});

describe('verifyClientSecret on a cached client', () => {
  it('checks a secret presented again without the HMAC, only against the client object it verified on, and never takes a wrong one', () => {
    const keys = new ServerKeys(randomUUID());
    let digests = 0;
    const core = { serverKeys: { digest: (value: string) => (digests++, keys.digest(value)) } } as unknown as Core;
    const [first, second] = [randomUUID(), randomUUID()];
    const cached = { app: anApp(randomUUID()), activeSecrets: [{ id: 's1', digest: keys.digest(first) }, { id: 's2', digest: keys.digest(second) }] };
    const refused = (client: typeof cached, secret: string) => {
      try {
        verifyClientSecret(core, client, secret);
      } catch (error) {
        return (error as ConcurError).code;
      }
      return undefined;
    };

    expect([verifyClientSecret(core, cached, first), verifyClientSecret(core, cached, second)]).toEqual(['s1', 's2']);
    expect(digests).toBe(2);
    expect([verifyClientSecret(core, cached, second), verifyClientSecret(core, cached, first)]).toEqual(['s2', 's1']);
    expect(digests).toBe(2);
    expect(refused(cached, randomUUID())).toBe(64);
    expect(refused(cached, `${first} `)).toBe(64);

    // The cache's next read of the client (the secret set inactive meanwhile) is a new object: nothing carried over.
    const reread = { app: cached.app, activeSecrets: [cached.activeSecrets[1]!] };
    expect(refused(reread, first)).toBe(64);
    expect(verifyClientSecret(core, reread, second)).toBe('s2');
  });
});

describe.skipIf(testStoreKind !== 'sqlite')('client_credentials beside another process on the same SQLite file', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { tokenStatusCacheSeconds: 1 } });
  });
  afterAll(async () => t?.close());

  it('a secret set inactive there stops working within tokenStatusCacheSeconds', async () => {
    const { clientId, clientSecret } = await makeApp(t);
    const form = { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret };
    expect((await postToken(t.url, form)).status).toBe(200);
    const beside = await openSqliteStore(join(t.dataDir, 'tessera.db'));
    const [secret] = await beside.apps.listSecrets(clientId);
    await beside.apps.setSecretStatus(clientId, secret!.id, 'inactive', Date.now(), limits);
    await beside.close();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await postToken(t.url, form)).status).toBe(401);
  });
});
