/**
 * Client authentication's read (`apps.getClient`: the app and its active secret digests) kept in
 * this process for a few seconds, so a token request pays no store read for a client it has just
 * seen (docs/operations.md "Client cache"). The staleness is Decision 11's:
 *
 * - any change made through this store object (admin API, console, sweeper, inactivity) empties the
 *   cache before it is written: every apps method other than the reads below counts as a change,
 *   so a method added later is safe by default;
 * - a change made elsewhere (`tessera admin` on the same SQLite file, another node on PostgreSQL)
 *   is seen within `maxAgeSeconds` (`TESSERA_TOKEN_STATUS_CACHE_SECONDS`, 5 s by default, at most
 *   30 s; 0 switches the cache off), as tokens' standing already is (docs/protocol.md Decision 11).
 *
 * Unknown client ids are never cached (a stranger cannot fill the map), and the map is bounded.
 */
import { methodNames } from './timed-store.js';
import type { ActiveSecret, App, AppRepository, Store } from './types.js';

type Client = { app: App; activeSecrets: ActiveSecret[] };

/** Methods of `AppRepository` that change nothing. */
const reads = new Set<string>([
  'get', 'list', 'listSecrets', 'getClient', 'tokenStanding', 'getCompanyGrant', 'listAppCenter', 'countConnectedCompanies',
]);
/** Most clients kept; the oldest goes first. */
const maxEntries = 10_000;

/** `store` with an `apps` whose `getClient` answers from the cache (everything else is `store`'s own). */
export function cacheClients(store: Store, maxAgeSeconds: number, now: () => number = Date.now): Store {
  if (maxAgeSeconds <= 0) return store;
  const original = store.apps;
  const maxAgeMs = maxAgeSeconds * 1000;
  const entries = new Map<string, { client: Client; until: number }>();
  /** Bumped by every change: a read that started before a change is not kept. */
  let generation = 0;
  const view: Record<string, unknown> = {};
  const repository = original as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of methodNames(repository)) {
    const method = repository[name]!;
    view[name] = reads.has(name) ? method.bind(repository) : (...args: unknown[]) => {
      generation++;
      entries.clear();
      return method.apply(repository, args);
    };
  }
  view.getClient = async (id: string): Promise<Client | undefined> => {
    const at = now();
    const known = entries.get(id);
    if (known && known.until > at) return known.client;
    const started = generation;
    const client = await original.getClient(id);
    if (client && started === generation) {
      entries.delete(id);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(id, { client, until: at + maxAgeMs });
    }
    return client;
  };
  // Everything but `apps` is the store's own (its prototype), `instanceof` included.
  return Object.create(store, { apps: { value: view as unknown as AppRepository, enumerable: true } }) as Store;
}
