/**
 * Prometheus metrics (docs/architecture.md "Metrics"): core's events (`core/events.ts`), the store's
 * operation times (`storage/timed-store.ts`) and each request's time become prom-client series
 * in a registry of this server's own, served by a listener of their own (`metricsPort`), never
 * on the public one. Labels are bounded: grant types the server knows (else `other`), Concur
 * codes, route patterns (never raw paths), operation names; never client ids or addresses.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Core } from '../core/context.js';
import type { CoreEventSink } from '../core/events.js';
import type { StoreTimer } from '../storage/timed-store.js';

/** Request latency buckets, seconds: a token request takes milliseconds, a password grant tens of them. */
const requestBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Store operation buckets, seconds: most are well under a millisecond on SQLite. */
const storeBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** The series of one server and the sinks that feed them. */
export class Metrics implements CoreEventSink {
  readonly registry = new Registry();
  private readonly knownGrants: ReadonlySet<string>;
  private readonly issued: Counter<'grant_type' | 'credtype'>;
  private readonly refused: Counter<'grant_type' | 'code'>;
  private readonly trips: Counter<'limit' | 'door'>;
  private readonly requests: Histogram<'method' | 'route' | 'status_code'>;
  private readonly storeLatency: Histogram<'operation'>;
  private core: Core | undefined;

  /** `grantTypes`: the grant types the token endpoint knows; any other value a caller sends is counted as `other`. */
  constructor(grantTypes: readonly string[]) {
    this.knownGrants = new Set(grantTypes);
    const metrics = this;
    const registers = [this.registry];
    this.issued = new Counter({
      name: 'tessera_tokens_issued_total', help: 'Token responses answered by the token endpoint, by grant type (and credtype of the password grant).',
      labelNames: ['grant_type', 'credtype'], registers,
    });
    this.refused = new Counter({
      name: 'tessera_tokens_refused_total', help: 'Token requests refused, by grant type and Concur error code (429 included).',
      labelNames: ['grant_type', 'code'], registers,
    });
    this.trips = new Counter({
      name: 'tessera_rate_limit_trips_total', help: 'Times a request limit, failure budget or lock was reached (once per window and key), by limit and door (token endpoint or console sign-in).',
      labelNames: ['limit', 'door'], registers,
    });
    this.requests = new Histogram({
      name: 'tessera_http_request_duration_seconds', help: 'Time to answer an HTTP request, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'], buckets: requestBuckets, registers,
    });
    this.storeLatency = new Histogram({
      name: 'tessera_store_operation_duration_seconds', help: 'Time of one store operation, by repository and operation.',
      labelNames: ['operation'], buckets: storeBuckets, registers,
    });
    new Gauge({
      name: 'tessera_signing_key_age_seconds', help: 'How long the signing key in use has been signing (scheduled rotation: keyRotationDays).', registers,
      collect() {
        const key = metrics.core?.keys.signingKey();
        this.reset();
        if (key) this.set(Math.max(0, (metrics.core!.clock.now() - key.activatesAt) / 1000));
      },
    });
    // Read at each scrape from the process's hashing gate: core keeps the numbers, never a metrics library.
    new Gauge({
      name: 'tessera_password_hashing_active', help: 'Password hashes (scrypt) running now (at most passwordHashConcurrency).', registers,
      collect() {
        this.set(metrics.core?.passwordHashing.active ?? 0);
      },
    });
    new Gauge({
      name: 'tessera_password_hashing_queued', help: 'Password hashes waiting for a turn now (at most passwordHashQueue; beyond, 429).', registers,
      collect() {
        this.set(metrics.core?.passwordHashing.queued ?? 0);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Listens to `core`'s events and reads its signing key's age and its hashing gate. */
  observe(core: Core): void {
    this.core = core;
    core.events.add(this);
  }

  tokenIssued(grantType: string, credtype: string | undefined): void {
    this.issued.labels(this.grantLabel(grantType), credtypeLabel(credtype)).inc();
  }

  tokenRefused(grantType: string | undefined, code: number): void {
    this.refused.labels(this.grantLabel(grantType), String(code)).inc();
  }

  rateLimitTripped(limit: string, door: 'token' | 'admin-sign-in'): void {
    this.trips.labels(limit, door).inc();
  }

  /** The store's timer: each operation's histogram child is picked once, when the store is wrapped. */
  readonly storeTimer: StoreTimer = (operation) => {
    const child = this.storeLatency.labels(operation);
    return (seconds) => child.observe(seconds);
  };

  /** Times every request of `app` by its route pattern (`unmatched` when no route matched). */
  instrument(app: FastifyInstance): void {
    const requests = this.requests;
    app.addHook('onResponse', (request, reply, done) => {
      requests.labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode)).observe(reply.elapsedTime / 1000);
      done();
    });
  }

  private grantLabel(grantType: string | undefined): string {
    if (!grantType) return 'none';
    return this.knownGrants.has(grantType) ? grantType : 'other';
  }
}

function credtypeLabel(credtype: string | undefined): string {
  if (!credtype) return 'none';
  return credtype === 'password' || credtype === 'authtoken' ? credtype : 'other';
}

export interface MetricsListener {
  /** `http://host:port/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` on a listener of its own (plain HTTP, for the scraper only). With
 * `token`, a scrape must send `Authorization: Bearer <token>` (401 otherwise).
 */
export async function serveMetrics(metrics: Metrics, options: { host: string; port: number; token?: string | undefined }): Promise<MetricsListener> {
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;
  const server: Server = createHttpServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    const presented = Buffer.from(request.headers.authorization ?? '');
    if (expected && (presented.length !== expected.length || !timingSafeEqual(presented, expected))) {
      response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('a bearer token is required\n');
      return;
    }
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n'),
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
