/**
 * `createServer(settings)`: the token service as a library. Opens the store, loads the server
 * key and signing keys, and wires the HTTP surfaces onto a Fastify app.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { GrantTypes } from 'tessera-protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Settings } from './config.js';
import { AuditLog } from './core/audit.js';
import { CoreEvents } from './core/events.js';
import { currentDatacenter, type Datacenter } from './core/datacenters.js';
import { MovableClock, offsetClock, type Clock } from './core/clock.js';
import { afterClockMove } from './core/emulator/after-move.js';
import { Emulator } from './core/emulator/emulator.js';
import { registerEmulatorRoutes } from './http/emulator-routes.js';
import type { Core } from './core/context.js';
import type { Grant } from './core/grants/grant.js';
import { KeyManager } from './core/keys.js';
import { startMaintenance, type Maintenance } from './core/maintenance.js';
import { HashingGate } from './core/hashing-gate.js';
import { Protection } from './core/protection.js';
import { createMailer } from './core/mail.js';
import { MemoryRateLimiter, type RateLimiter } from './core/rate-limiter.js';
import { ServerKeys } from './core/secrets.js';
import { builtInGrants, TokenEndpoint } from './core/token-endpoint.js';
import { TokenStandings } from './core/token-standing.js';
import { TokenIssuer } from './core/tokens.js';
import { ensureDataDir, loadServerSecret } from './data-dir.js';
import { registerAdminApiRoutes } from './http/admin-api-routes.js';
import { registerAdminConsoleRoutes } from './http/admin-console-routes.js';
import { registerAppSecretsRoutes } from './http/app-secrets-routes.js';
import { registerAuthorizeRoutes } from './http/authorize-routes.js';
import { registerConnectionRoutes } from './http/connection-routes.js';
import { installConnectionCeiling, socketTimeouts } from './http/connection-ceiling.js';
import { correlationIdFor, installCorrelation } from './http/correlation.js';
import { clientErrorResponse, installErrorHandling } from './http/errors.js';
import { installFormParsing } from './http/form.js';
import { installDatacenterDecoration } from './http/datacenter-request.js';
import { noRouteSchemas } from './http/no-route-schemas.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { registerProfileRoutes } from './http/profile-routes.js';
import { RequestLog } from './http/request-log.js';
import { registerOtpRoutes } from './http/otp-routes.js';
import { registerTokenRoutes } from './http/token-routes.js';
import { hstsHeaders, installHsts } from './http/transport-security.js';
import { Metrics, serveMetrics, type MetricsListener } from './http/metrics.js';
import { createLoggers, type Loggers } from './logger.js';
import { assertNotServedByOther, markServing } from './running-server.js';
import { openSqliteStore, type SqliteStoreOptions } from './storage/sqlite/store.js';
import { cacheClients } from './storage/client-cache.js';
import { timeStore, type StoreTimer } from './storage/timed-store.js';
import type { Store } from './storage/types.js';
import { loadTls } from './tls.js';

export interface ServerOptions {
  /** A store to use instead of the embedded one in the data dir. */
  store?: Store;
  clock?: Clock;
  /** Where log lines go (stdout by default). */
  logDestination?: DestinationStream;
  /**
   * Create a signing key of `signingAlg` when none can sign (default true). Tools that never
   * sign (`tessera admin`) pass false, so they do not add a key of a default algorithm.
   */
  ensureSigningKey?: boolean;
  /**
   * Checkpoint the embedded store's WAL from a worker thread, off the requests (on for
   * `createServer`, off for short-lived tools).
   */
  backgroundCheckpoints?: boolean;
  /** Hears the duration of every store operation (metrics); the store is used as it is without it. */
  storeTimer?: StoreTimer;
  /** Rate-limit counters to use instead of the ones the settings choose (tests: a small bound); closed with the core. */
  rateLimiter?: RateLimiter;
  /**
   * Grants the token endpoint serves besides the built-in ones (docs/architecture.md, "Grants");
   * `createServer` throws when one names a `grant_type` already registered.
   */
  grants?: readonly Grant[];
}

export interface TesseraServer {
  readonly app: FastifyInstance;
  readonly core: Core;
  /** The node's background work: key reloads, and the sweeper turn (scheduled rotation, sweep). */
  readonly maintenance: Maintenance;
  /** Emulator mode's clock and fault rules; undefined when the `emulator` setting is off. */
  readonly emulator: Emulator | undefined;
  /** Starts listening (and the metrics listener when `metricsPort` is set); answers the base URL. */
  listen(): Promise<string>;
  /**
   * The base URL of every datacenter this node serves, by name (docs/protocol.md §10), as listening
   * (a URL with port 0 gets its real port on listen). Without the `datacenters` setting one entry,
   * `default`, the geolocation.
   */
  readonly datacenters: Readonly<Record<string, string>>;
  /** `http://host:port/metrics` once listening with `metricsPort` set. */
  readonly metricsUrl: string | undefined;
  close(): Promise<void>;
}

/**
 * The store the settings name (docs/architecture.md "Storage"): PostgreSQL when `databaseUrl` is set, loaded
 * only then, else the embedded SQLite file in the data dir.
 */
export async function openStore(settings: Settings, sqlite: SqliteStoreOptions = {}): Promise<Store> {
  if (settings.databaseUrl) {
    const { openPostgresStore } = await import('./storage/postgres/store.js');
    return openPostgresStore(settings.databaseUrl, { schema: settings.databaseSchema, maxConnections: settings.databaseMaxConnections });
  }
  ensureDataDir(settings.dataDir);
  return openSqliteStore(join(settings.dataDir, 'tessera.db'), sqlite);
}

export interface CoreHandle {
  core: Core;
  loggers: Loggers;
  /** Sets the geolocation once the listen address is known (when no setting fixed it). */
  resolveGeolocation(url: string): void;
  close(): Promise<void>;
}

/** The core without HTTP: what the server and the local `tessera admin` commands share. */
export async function createCore(settings: Settings, options: ServerOptions = {}): Promise<CoreHandle> {
  const loggers = createLoggers(settings.logLevel, options.logDestination);
  const clock = clockFor(settings, options.clock);
  if (settings.databaseUrl && !settings.secretKey && !options.store) {
    // Nodes sharing a database must share the key behind its digests and encrypted keys.
    throw new Error('TESSERA_SECRET_KEY is required with a database URL: every node sharing the database needs the same server key');
  }
  if (!settings.databaseUrl || !settings.secretKey) {
    ensureDataDir(settings.dataDir, (message) => loggers.node.warn({ dataDir: settings.dataDir }, message));
  }
  const serverKeys = new ServerKeys(loadServerSecret(settings.dataDir, settings.secretKey));
  const limiter = options.rateLimiter ?? (await openRateLimiter(settings, clock));
  const opened = await openStoreAndKeys(settings, options, serverKeys, clock, loggers).catch(async (error: unknown) => {
    await limiter.close();
    throw error;
  });
  const { keys } = opened;
  // Client authentication reads through a short cache, as stale as tokens' standing may be (docs/protocol.md Decision 11).
  const store = cacheClients(options.storeTimer ? timeStore(opened.store, options.storeTimer) : opened.store, settings.tokenStatusCacheSeconds);

  // Copies: a listener on port 0 writes its real port back into its datacenter's URL.
  const datacenters: Datacenter[] = (settings.datacenters ?? []).map((dc) => ({ name: dc.name, url: dc.url }));
  let geolocation = settings.geolocation?.replace(/\/+$/, '') ?? firstServedUrl(settings, datacenters);
  const audit = new AuditLog(store.audit, clock, loggers.node, undefined, undefined, {
    perAddress: settings.auditRefusalsPerAddress, total: settings.auditRefusalsTotal, windowMs: 60_000,
  });
  const events = new CoreEvents();
  const core: Core = {
    settings, clock, store, serverKeys, keys, audit, events,
    grantTypes: [...GrantTypes, ...(options.grants ?? []).map((grant) => grant.grantType)],
    tokens: new TokenIssuer(keys, clock, settings),
    standings: new TokenStandings(store.apps, clock, settings.tokenStatusCacheSeconds),
    protection: new Protection(limiter, settings, audit, loggers.node, (value) => serverKeys.digest(value), events, (id) => store.apps.get(id)),
    passwordHashing: new HashingGate(settings),
    log: loggers.node,
    mailer: createMailer(settings, store, clock),
    datacenters: () => datacenters,
    // The datacenter listener a request came in on decides; outside a request, the node's own.
    geolocation: () => {
      const url = currentDatacenter.getStore()?.url ?? geolocation;
      if (!url) throw new Error('the geolocation is known once the server listens');
      return url;
    },
  };
  return {
    core,
    loggers,
    resolveGeolocation: (url) => {
      geolocation ??= url;
    },
    async close() {
      await core.audit.close();
      await core.mailer.close();
      await limiter.close();
      await core.store.close();
    },
  };
}

/** The datacenters this node serves: `nodeDatacenters` of `datacenters`, else all of them. */
function servedDatacenters(settings: Settings, datacenters: readonly Datacenter[]): Datacenter[] {
  const names = settings.nodeDatacenters;
  return datacenters.filter((dc) => !names || names.includes(dc.name));
}

/** The first served datacenter's URL unless it still waits for its port. */
function firstServedUrl(settings: Settings, datacenters: readonly Datacenter[]): string | undefined {
  const first = servedDatacenters(settings, datacenters)[0];
  return first && new URL(first.url).port !== '0' ? first.url : undefined;
}

/**
 * The core's clock: the injected one, else the real clock shifted by `clockOffsetSeconds`; in
 * emulator mode wrapped in a `MovableClock` (unless the injected one already is one).
 */
function clockFor(settings: Settings, injected: Clock | undefined): Clock {
  const base = injected ?? offsetClock(settings.clockOffsetSeconds * 1000);
  if (!settings.emulator || base instanceof MovableClock) return base;
  return new MovableClock(base);
}

/** The store and its signing keys (nodes starting together on an empty store make one key); closes the store on failure. */
async function openStoreAndKeys(settings: Settings, options: ServerOptions, serverKeys: ServerKeys, clock: Clock, loggers: Loggers) {
  const sqlite: SqliteStoreOptions = {
    cacheMb: settings.sqliteCacheMb,
    ...(options.backgroundCheckpoints
      ? { checkpointIntervalMs: 200, onCheckpointError: (message: string) => loggers.node.warn({ error: message }, 'background WAL checkpoint failed') }
      : {}),
  };
  const store = options.store ?? (await openStore(settings, sqlite));
  try {
    const keys = new KeyManager(store.keys, serverKeys, clock, settings.signingAlg);
    await keys.init(store.locks, { createIfMissing: options.ensureSigningKey !== false });
    return { store, keys };
  } catch (error) {
    if (!options.store) await store.close();
    throw error;
  }
}

/** The rate-limit counters: Redis when `redisUrl` is set (loaded only then), else this process's memory. */
async function openRateLimiter(settings: Settings, clock: Clock): Promise<RateLimiter> {
  if (!settings.redisUrl) return new MemoryRateLimiter(clock);
  const { openRedisRateLimiter } = await import('./storage/redis/rate-limiter.js');
  return openRedisRateLimiter(settings.redisUrl, { keyPrefix: settings.redisKeyPrefix });
}

export async function createServer(settings: Settings, options: ServerOptions = {}): Promise<TesseraServer> {
  // A second server on a data dir another process serves is refused before it opens anything.
  const embedded = !settings.databaseUrl && !options.store;
  if (embedded) assertNotServedByOther(settings.dataDir);
  const tls = await loadTls(settings);
  const grants = builtInGrants(options.grants);
  // Metrics only when asked for: without them no request or store operation is timed.
  const metrics = settings.metricsPort !== undefined ? new Metrics(grants.grantTypes) : undefined;
  const handle = await createCore(settings, { backgroundCheckpoints: true, ...(metrics ? { storeTimer: metrics.storeTimer } : {}), ...options });
  const { core, loggers } = handle;
  metrics?.observe(core);

  const timeouts = socketTimeouts(settings);
  const app = Fastify({
    loggerInstance: loggers.node,
    childLoggerFactory: (_logger, bindings, childOptions) => loggers.root.child(bindings, childOptions),
    requestIdHeader: false,
    genReqId: correlationIdFor,
    logController: new RequestLog({ requestIdLogLabel: 'correlationId', disableRequestLogging: !settings.logRequests }),
    bodyLimit: settings.bodyLimit,
    // Concur clients use both `/Users` and `/Users/` (SAP's own tutorial sends the slash): both answer.
    routerOptions: { ignoreTrailingSlash: true },
    trustProxy: settings.trustProxy,
    return503OnClosing: true,
    schemaController: noRouteSchemas,
    clientErrorHandler: (error, socket) => clientErrorResponse(error, socket, loggers.root, tls ? hstsHeaders : {}),
    ...timeouts.fastifyOptions,
    ...(tls ? { https: { ...tls, ...timeouts.serverOptions } } : { http: timeouts.serverOptions }),
  }) as unknown as FastifyInstance;
  installConnectionCeiling(app.server, settings.maxConnectionsPerAddress, loggers.node);

  installCorrelation(app);
  installDatacenterDecoration(app, servedDatacenters(settings, core.datacenters()).length > 0);
  if (tls) installHsts(app);
  installErrorHandling(app);
  installFormParsing(app, settings.bodyLimit);
  metrics?.instrument(app);
  registerHealthRoutes(app, core);
  let maintenance: Maintenance | undefined;
  // Every move of the clock runs a sweeper turn at once (sweep, scheduled rotation) and keeps a key signing.
  // Only the setting opens the emulator routes: a MovableClock injected without it is just a clock.
  const emulator = settings.emulator && core.clock instanceof MovableClock ? new Emulator(core.clock, core.audit, () => afterClockMove(core, maintenance), core.log) : undefined;
  if (emulator) registerEmulatorRoutes(app, core, emulator);
  registerTokenRoutes(app, core, new TokenEndpoint(core, grants));
  registerAuthorizeRoutes(app, core);
  registerOtpRoutes(app, core);
  registerProfileRoutes(app, core);
  registerConnectionRoutes(app, core);
  registerAppSecretsRoutes(app, core);
  registerAdminApiRoutes(app, core);
  registerAdminConsoleRoutes(app);
  maintenance = startMaintenance(core);
  let metricsListener: MetricsListener | undefined;
  let unmarkServing: (() => void) | undefined;

  // Several datacenters (docs/protocol.md §10): the first served one on Fastify's own server, each
  // other on a server of the same kind handing its requests to the same app. Each listens inside
  // its datacenter's scope, so its connections and their requests run in it.
  const served = servedDatacenters(settings, core.datacenters());
  const extraServers: HttpServer[] = [];
  const listenIn = (dc: Datacenter, start: () => Promise<{ port: number }>) => currentDatacenter.run(dc, async () => {
    const { port } = await start();
    const url = new URL(dc.url);
    url.port = String(port);
    dc.url = url.origin;
  });
  const extraServer = (): HttpServer => {
    const handler = (request: IncomingMessage, response: ServerResponse) => {
      app.server.emit('request', request, response);
    };
    const server = (tls ? createHttpsServer({ ...tls, ...timeouts.serverOptions }, handler) : createHttpServer(timeouts.serverOptions, handler)) as HttpServer;
    server.keepAliveTimeout = timeouts.fastifyOptions.keepAliveTimeout;
    server.setTimeout(timeouts.fastifyOptions.connectionTimeout);
    server.on('clientError', (error, socket) => clientErrorResponse(error, socket, loggers.root, tls ? hstsHeaders : {}));
    installConnectionCeiling(server, settings.maxConnectionsPerAddress, loggers.node);
    return server;
  };
  const listenDatacenters = async (): Promise<string> => {
    const [first, ...others] = served as [Datacenter, ...Datacenter[]];
    await listenIn(first, async () => {
      await app.listen({ host: new URL(first.url).hostname.replace(/^\[|\]$/g, ''), port: Number(new URL(first.url).port || (tls ? 443 : 80)) });
      return app.server.address() as { port: number };
    });
    try {
      for (const dc of others) {
        const server = extraServer();
        extraServers.push(server);
        await listenIn(dc, () => new Promise((resolve, reject) => {
          server.once('error', reject);
          const url = new URL(dc.url);
          server.listen(Number(url.port || (tls ? 443 : 80)), url.hostname.replace(/^\[|\]$/g, ''), () => {
            server.off('error', reject);
            resolve(server.address() as { port: number });
          });
        }));
      }
    } catch (error) {
      await closeExtraServers();
      await app.close();
      throw error;
    }
    handle.resolveGeolocation(first.url);
    if (embedded) {
      try {
        unmarkServing ??= markServing(settings.dataDir);
      } catch (error) {
        await closeExtraServers();
        await app.close();
        throw error;
      }
    }
    if (metrics && settings.metricsPort !== undefined) {
      metricsListener = await serveMetrics(metrics, { host: settings.metricsHost, port: settings.metricsPort, token: settings.metricsToken });
    }
    return first.url;
  };
  // Like Fastify's own close: no new connections, idle ones closed, requests in flight finish.
  const closeExtraServers = () => Promise.all(extraServers.splice(0).map((server) => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  })));

  return {
    app,
    core,
    maintenance,
    emulator,
    get metricsUrl() {
      return metricsListener?.url;
    },
    get datacenters() {
      if (!served.length) {
        try {
          return Object.freeze({ default: core.geolocation() });
        } catch {
          return Object.freeze({}); // not listening yet, and no geolocation setting
        }
      }
      return Object.freeze(Object.fromEntries(served.map((dc) => [dc.name, dc.url])));
    },
    async listen() {
      if (served.length) return listenDatacenters();
      await app.listen({ host: settings.host, port: settings.port });
      // `tessera admin restore` and `migrate` refuse to work under a server of the embedded store.
      // Marked only once listening: a start that fails (port taken) leaves a live server's mark alone.
      if (embedded) {
        try {
          unmarkServing ??= markServing(settings.dataDir);
        } catch (error) {
          await app.close();
          throw error;
        }
      }
      if (metrics && settings.metricsPort !== undefined) {
        metricsListener = await serveMetrics(metrics, { host: settings.metricsHost, port: settings.metricsPort, token: settings.metricsToken });
      }
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : settings.port;
      const host = settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host.includes(':') ? `[${settings.host}]` : settings.host;
      const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
      handle.resolveGeolocation(url);
      return url;
    },
    async close() {
      await emulator?.settled();
      await maintenance.stop();
      await metricsListener?.close();
      // A keep-alive connection whose request was in flight turns idle only once answered, after
      // the close's one sweep of idle connections: sweep again until every listener has closed,
      // or the close waits for the client's keep-alive timeout.
      const listeners = [app.server, ...extraServers];
      const sweep = setInterval(() => {
        for (const server of listeners) server.closeIdleConnections();
      }, 50);
      try {
        await closeExtraServers();
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      await handle.close();
      unmarkServing?.();
    },
  };
}
