/**
 * Typed, validated, frozen settings of the token service. Sources, strongest first:
 * command-line flags, `TESSERA_*` environment variables, defaults.
 */
import { z } from 'zod';

const seconds = z.coerce.number().int().positive();
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v))]);

export const SettingsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Where the embedded store, the server key and generated certificates live. */
  dataDir: z.string().min(1).default('./.tessera'),
  /**
   * PostgreSQL instead of the embedded store, for several nodes on one database (docs/architecture.md
   * "Storage"): `postgres://user:password@host:5432/database`. Nodes sharing it need the same
   * `secretKey`.
   */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'TESSERA_DATABASE_URL must be a postgres:// URL').optional(),
  /** The PostgreSQL schema of the tables (created when missing), so several services can share one database. */
  databaseSchema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'TESSERA_DATABASE_SCHEMA must be a lower-case identifier').default('public'),
  /** Most PostgreSQL connections one node opens. */
  databaseMaxConnections: z.coerce.number().int().min(2).max(1000).default(10),
  /**
   * SQLite's page cache for the embedded store, MB. The default keeps the hot index pages of a
   * store with a million connections in memory (without it a refresh there cost about a fifth
   * more, docs/benchmarks.md); each MB may add as much to the process's memory.
   */
  sqliteCacheMb: z.coerce.number().int().min(1).max(4096).default(16),
  /** The datacenter base URL this node serves (`iss` of its tokens); defaults to the listen URL. */
  geolocation: z.string().url().optional(),
  https: bool.default(false),
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  /** Server key for digests and encryption at rest; generated into the data dir when absent. */
  secretKey: z.string().min(32, 'TESSERA_SECRET_KEY must be at least 32 characters').optional(),
  accessTokenTtl: seconds.default(3600),
  refreshTokenTtl: seconds.default(180 * 24 * 3600),
  requestTokenTtl: seconds.default(24 * 3600),
  requestTokenMaxUses: z.coerce.number().int().min(1).max(100).default(5),
  /** `"3600"` as Concur documents it, or `3600` for RFC-strict clients (docs/protocol.md Decision 1). */
  expiresInFormat: z.enum(['string', 'number']).default('string'),
  /** New refresh token value on every refresh (Decision 8); off by default, like Concur. */
  refreshRotation: bool.default(false),
  rotationGraceSeconds: seconds.default(60),
  signingAlg: z.enum(['RS256', 'ES256', 'EdDSA']).default('RS256'),
  /** Failed passwords for one login id through one client (an app, or the admin console) before that client's lock (code 14). */
  maxFailedLogins: z.coerce.number().int().min(1).default(5),
  /** Failed passwords for one login id through every client together before the user is locked everywhere (code 14, kept in the store). */
  maxFailedLoginsAnyClient: z.coerce.number().int().min(1).default(20),
  /** How long a lock lasts (either kind), seconds. */
  lockoutSeconds: seconds.default(15 * 60),
  /** Password hashes (scrypt) checked at once in this process; more wait in a queue. */
  passwordHashConcurrency: z.coerce.number().int().min(1).max(64).default(4),
  /** Password checks that may wait for a turn; past it a sign-in is answered 429 at once. */
  passwordHashQueue: z.coerce.number().int().min(0).max(10_000).default(64),
  /** Longest wait for a turn to check a password, ms; then 429. */
  passwordHashWaitMs: z.coerce.number().int().min(1).max(60_000).default(2000),
  /** Largest accepted token request body, bytes. */
  bodyLimit: z.coerce.number().int().min(1024).max(1024 * 1024).default(16 * 1024),
  /** A request's headers must have arrived this long after its connection opened or its previous request ended, seconds. */
  headersTimeoutSeconds: seconds.default(10),
  /** A whole request, headers and body, must have arrived this long after it began, seconds (then 408 and close). */
  requestTimeoutSeconds: seconds.default(30),
  /** A kept-alive connection with no request is closed after this long, seconds (above common load balancers' 60 s idle). */
  keepAliveTimeoutSeconds: seconds.default(72),
  /** A socket with no traffic either way is closed after this long, seconds (the backstop behind the limits above). */
  socketIdleTimeoutSeconds: seconds.default(120),
  /**
   * Most open connections from one remote address; one more is closed at once. Behind a proxy
   * every connection comes from the proxy's address: raise it or set 0 (no ceiling).
   */
  maxConnectionsPerAddress: z.coerce.number().int().min(0).default(256),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Log one line per request (off keeps the token path lean; audit events are kept either way). */
  logRequests: bool.default(true),
  /**
   * Prometheus metrics on a listener of their own (`GET /metrics`), off when unset; never on the
   * public port. `0` picks a free port.
   */
  metricsPort: z.coerce.number().int().min(0).max(65535).optional(),
  /** Address of the metrics listener: loopback by default (the scraper runs beside the node, or set an internal address). */
  metricsHost: z.string().min(1).default('127.0.0.1'),
  /** When set, a scrape must send `Authorization: Bearer <metricsToken>`. */
  metricsToken: z.string().min(16, 'TESSERA_METRICS_TOKEN must be at least 16 characters').optional(),
  /**
   * Emulator mode (docs/emulator.md): a clock moved over HTTP and faults on demand, under the
   * unauthenticated `/emulator/v0/*` routes. Test tooling only: never on a network you do not control.
   */
  emulator: bool.default(false),
  /** Allows emulator mode on a host other than loopback (refused otherwise). */
  emulatorAllowRemote: bool.default(false),
  /** Shifts the server clock, seconds (to see expiries without waiting). */
  clockOffsetSeconds: z.coerce.number().int().default(0),
  seedDemo: bool.default(true),
  adminUser: z.string().min(1).default('admin'),
  adminPassword: z.string().min(8).optional(),
  /** Admin console: a session unused this long ends (sign in again). */
  sessionIdleSeconds: seconds.default(30 * 60),
  /** Admin console: a session ends this long after sign-in, however busy. */
  sessionMaxSeconds: seconds.default(12 * 3600),
  /**
   * How long a node may reuse what it read about a token's app, secret, connection, user and
   * company on Tessera's own APIs, seconds (the most a revocation or disable can lag there); 0
   * reads the store on every call. The secret API and introspection always read it.
   */
  tokenStatusCacheSeconds: z.coerce.number().int().min(0).max(30).default(5),
  /** Decision 7: an app unused this many days is deactivated (code 59); 0 never deactivates. */
  appInactivityDays: z.coerce.number().int().min(0).default(365),

  /**
   * Redis for the rate-limit and failure counters, shared by every node (`redis://[:password@]host:6379/0`,
   * `rediss://` for TLS). Without it each node counts in its own memory.
   */
  redisUrl: z.string().regex(/^rediss?:\/\/\S+$/, 'TESSERA_REDIS_URL must be a redis:// or rediss:// URL').optional(),
  /** Prefix of every Redis key, so several services (or tests) can share one Redis. */
  redisKeyPrefix: z.string().min(1).max(100).default('tessera:'),
  /**
   * Which proxies may tell the client address in `X-Forwarded-For` (per-address limits and the
   * audit trail): `false` (none: the peer address counts), `true` (any: only behind a proxy
   * that overwrites the header), or a comma-separated list of proxy addresses/CIDRs (`loopback`,
   * `uniquelocal` and the other names of proxy-addr work too).
   */
  trustProxy: z.union([z.boolean(), z.string()]).default(false).transform(parseTrustProxy),
  /** Token endpoint: the window of the request limits, seconds. */
  rateLimitWindowSeconds: seconds.default(60),
  /** Token endpoint: most requests per client id per window; 0 for no limit. */
  rateLimitPerClient: z.coerce.number().int().min(0).default(100_000),
  /** Token endpoint: most requests per client address per window; 0 for no limit. */
  rateLimitPerAddress: z.coerce.number().int().min(0).default(200_000),
  /** The window of the failure budgets below, seconds. */
  failureWindowSeconds: seconds.default(15 * 60),
  /** Failed client authentications and failed passwords through one client id per window; then 429. 0: no budget. */
  failureBudgetPerClient: z.coerce.number().int().min(0).default(100),
  /** Failed passwords for one login id (or company request-token conversions) per window; then 429. 0: no budget. */
  failureBudgetPerLoginId: z.coerce.number().int().min(0).default(20),
  /** Failed client authentications and passwords from one address per window; then 429. 0: no budget. */
  failureBudgetPerAddress: z.coerce.number().int().min(0).default(200),
  /** Admin sign-in (console and `POST /admin/api/token`): most attempts per address per rate-limit window; 0 for no limit. */
  adminSignInRatePerAddress: z.coerce.number().int().min(0).default(30),
  /** Admin sign-in: failed sign-ins per address per failure window; then 429. 0: no budget. */
  adminFailureBudgetPerAddress: z.coerce.number().int().min(0).default(20),
  /** Users created with a login id that is already taken (in any company) per company per failure window; then 429. 0: no budget. */
  takenLoginIdBudgetPerCompany: z.coerce.number().int().min(0).default(20),

  /**
   * Audit rows of refused token requests per client address per minute; past it the refusals
   * are counted and summarised in one `audit.suppressed` row per address a minute. 0: no limit.
   */
  auditRefusalsPerAddress: z.coerce.number().int().min(0).default(20),
  /** Audit rows of refused token requests per minute from all addresses together (then summarised likewise). 0: no limit. */
  auditRefusalsTotal: z.coerce.number().int().min(0).default(1000),

  /** How often the sweeper deletes expired rows, seconds (one node at a time); 0 turns it off. */
  sweepIntervalSeconds: z.coerce.number().int().min(0).default(300),
  /** Audit events older than this many days are deleted; 0 keeps them forever. */
  auditRetentionDays: z.coerce.number().int().min(0).default(365),
  /** Revoked and expired connections stay visible this many days, then go with their refresh tokens. */
  endedConnectionRetentionDays: z.coerce.number().int().min(0).default(30),

  /**
   * Mail (one-time passwords, docs/protocol.md §5) goes to this SMTP server: `smtp://[user:password@]host:port`
   * (STARTTLS when the server offers it) or `smtps://…` (TLS from the start). Without it mail is kept in
   * the store's outbox, readable by the recipient company's administrators. It may hold a password: never logged.
   */
  smtpUrl: z.string().regex(/^smtps?:\/\/\S+$/, 'TESSERA_SMTP_URL must be an smtp:// or smtps:// URL').optional(),
  /** The From of the mail Tessera sends (`Name <address>` or an address). */
  smtpFrom: z.string().min(3).max(320).regex(/^[^\r\n]+$/, 'TESSERA_SMTP_FROM must be one line').default('Tessera <no-reply@tessera.invalid>'),
  /** Mail in the outbox (no SMTP) is deleted this many hours after it was written; it holds one-time passwords live for 15 minutes. */
  outboxRetentionHours: z.coerce.number().int().min(1).max(24 * 365).default(24),

  /** Scheduled signing-key rotation: a new key when the signing one is this many days old; 0 rotates only on command. */
  keyRotationDays: z.coerce.number().int().min(0).default(90),
  /** A new key is published this long before it signs; must exceed keyReloadSeconds + jwksMaxAgeSeconds. */
  keyPropagationSeconds: seconds.default(600),
  /** How often every node reloads the signing keys from the store, seconds. */
  keyReloadSeconds: seconds.default(60),
  /** `Cache-Control: max-age` of the JWKS and discovery documents, seconds. */
  jwksMaxAgeSeconds: seconds.default(300),
});

/** The `trustProxy` setting in the shapes Fastify takes: boolean, or the proxies' addresses. */
export type TrustProxy = boolean | string[];

function parseTrustProxy(value: boolean | string): TrustProxy {
  if (typeof value === 'boolean') return value;
  const text = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no', ''].includes(text)) return false;
  return text.split(/[\s,]+/).filter(Boolean);
}

export type SettingsInput = z.input<typeof SettingsSchema>;
export type Settings = Readonly<z.output<typeof SettingsSchema>>;

const envNames: Record<keyof SettingsInput, string> = {
  host: 'TESSERA_HOST', port: 'TESSERA_PORT', dataDir: 'TESSERA_DATA_DIR', geolocation: 'TESSERA_GEOLOCATION',
  databaseUrl: 'TESSERA_DATABASE_URL', databaseSchema: 'TESSERA_DATABASE_SCHEMA', databaseMaxConnections: 'TESSERA_DATABASE_MAX_CONNECTIONS',
  sqliteCacheMb: 'TESSERA_SQLITE_CACHE_MB',
  https: 'TESSERA_HTTPS', tlsCert: 'TESSERA_TLS_CERT', tlsKey: 'TESSERA_TLS_KEY', secretKey: 'TESSERA_SECRET_KEY',
  accessTokenTtl: 'TESSERA_ACCESS_TOKEN_TTL', refreshTokenTtl: 'TESSERA_REFRESH_TOKEN_TTL',
  requestTokenTtl: 'TESSERA_REQUEST_TOKEN_TTL', requestTokenMaxUses: 'TESSERA_REQUEST_TOKEN_MAX_USES',
  expiresInFormat: 'TESSERA_EXPIRES_IN_FORMAT', refreshRotation: 'TESSERA_REFRESH_ROTATION',
  rotationGraceSeconds: 'TESSERA_ROTATION_GRACE_SECONDS', signingAlg: 'TESSERA_SIGNING_ALG',
  maxFailedLogins: 'TESSERA_MAX_FAILED_LOGINS', maxFailedLoginsAnyClient: 'TESSERA_MAX_FAILED_LOGINS_ANY_CLIENT',
  lockoutSeconds: 'TESSERA_LOCKOUT_SECONDS', passwordHashConcurrency: 'TESSERA_PASSWORD_HASH_CONCURRENCY',
  passwordHashQueue: 'TESSERA_PASSWORD_HASH_QUEUE', passwordHashWaitMs: 'TESSERA_PASSWORD_HASH_WAIT_MS',
  metricsPort: 'TESSERA_METRICS_PORT', metricsHost: 'TESSERA_METRICS_HOST', metricsToken: 'TESSERA_METRICS_TOKEN',
  bodyLimit: 'TESSERA_BODY_LIMIT',
  headersTimeoutSeconds: 'TESSERA_HEADERS_TIMEOUT_SECONDS', requestTimeoutSeconds: 'TESSERA_REQUEST_TIMEOUT_SECONDS',
  keepAliveTimeoutSeconds: 'TESSERA_KEEP_ALIVE_TIMEOUT_SECONDS', socketIdleTimeoutSeconds: 'TESSERA_SOCKET_IDLE_TIMEOUT_SECONDS',
  maxConnectionsPerAddress: 'TESSERA_MAX_CONNECTIONS_PER_ADDRESS', logLevel: 'TESSERA_LOG_LEVEL', logRequests: 'TESSERA_LOG_REQUESTS',
  clockOffsetSeconds: 'TESSERA_CLOCK_OFFSET_SECONDS', seedDemo: 'TESSERA_SEED_DEMO',
  emulator: 'TESSERA_EMULATOR', emulatorAllowRemote: 'TESSERA_EMULATOR_ALLOW_REMOTE',
  adminUser: 'TESSERA_ADMIN_USER', adminPassword: 'TESSERA_ADMIN_PASSWORD',
  sessionIdleSeconds: 'TESSERA_SESSION_IDLE_SECONDS', sessionMaxSeconds: 'TESSERA_SESSION_MAX_SECONDS',
  appInactivityDays: 'TESSERA_APP_INACTIVITY_DAYS', tokenStatusCacheSeconds: 'TESSERA_TOKEN_STATUS_CACHE_SECONDS',
  redisUrl: 'TESSERA_REDIS_URL', redisKeyPrefix: 'TESSERA_REDIS_KEY_PREFIX', trustProxy: 'TESSERA_TRUST_PROXY',
  rateLimitWindowSeconds: 'TESSERA_RATE_LIMIT_WINDOW_SECONDS', rateLimitPerClient: 'TESSERA_RATE_LIMIT_PER_CLIENT',
  rateLimitPerAddress: 'TESSERA_RATE_LIMIT_PER_ADDRESS', failureWindowSeconds: 'TESSERA_FAILURE_WINDOW_SECONDS',
  failureBudgetPerClient: 'TESSERA_FAILURE_BUDGET_PER_CLIENT', failureBudgetPerLoginId: 'TESSERA_FAILURE_BUDGET_PER_LOGIN_ID',
  failureBudgetPerAddress: 'TESSERA_FAILURE_BUDGET_PER_ADDRESS',
  adminSignInRatePerAddress: 'TESSERA_ADMIN_SIGN_IN_RATE_PER_ADDRESS', adminFailureBudgetPerAddress: 'TESSERA_ADMIN_FAILURE_BUDGET_PER_ADDRESS',
  takenLoginIdBudgetPerCompany: 'TESSERA_TAKEN_LOGIN_ID_BUDGET_PER_COMPANY',
  auditRefusalsPerAddress: 'TESSERA_AUDIT_REFUSALS_PER_ADDRESS', auditRefusalsTotal: 'TESSERA_AUDIT_REFUSALS_TOTAL',
  sweepIntervalSeconds: 'TESSERA_SWEEP_INTERVAL_SECONDS', auditRetentionDays: 'TESSERA_AUDIT_RETENTION_DAYS',
  endedConnectionRetentionDays: 'TESSERA_ENDED_CONNECTION_RETENTION_DAYS',
  keyRotationDays: 'TESSERA_KEY_ROTATION_DAYS', keyPropagationSeconds: 'TESSERA_KEY_PROPAGATION_SECONDS',
  keyReloadSeconds: 'TESSERA_KEY_RELOAD_SECONDS', jwksMaxAgeSeconds: 'TESSERA_JWKS_MAX_AGE_SECONDS',
  smtpUrl: 'TESSERA_SMTP_URL', smtpFrom: 'TESSERA_SMTP_FROM', outboxRetentionHours: 'TESSERA_OUTBOX_RETENTION_HOURS',
};

/** The environment variable behind each setting, for `--help` and the docs. */
export const SettingEnvironmentNames: Readonly<Record<keyof SettingsInput, string>> = Object.freeze(envNames);

/** Reads settings from `env`, overridden by `overrides` (flags); throws a readable error when invalid. */
export function loadSettings(overrides: SettingsInput = {}, env: NodeJS.ProcessEnv = process.env): Settings {
  const fromEnv: Record<string, string> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const result = SettingsSchema.safeParse({ ...fromEnv, ...defined });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'settings'}: ${issue.message}`);
    throw new Error(`invalid settings: ${problems.join('; ')}`);
  }
  const settings = result.data;
  // Publish before use (Decision 9): every node must have reloaded the new key, and every cached
  // JWKS must have expired, before anything is signed with it.
  if (settings.keyPropagationSeconds <= settings.keyReloadSeconds + settings.jwksMaxAgeSeconds) {
    throw new Error(`invalid settings: keyPropagationSeconds (${settings.keyPropagationSeconds}) must exceed keyReloadSeconds + jwksMaxAgeSeconds (${settings.keyReloadSeconds + settings.jwksMaxAgeSeconds})`);
  }
  if (settings.headersTimeoutSeconds > settings.requestTimeoutSeconds) {
    throw new Error(`invalid settings: headersTimeoutSeconds (${settings.headersTimeoutSeconds}) must not exceed requestTimeoutSeconds (${settings.requestTimeoutSeconds})`);
  }
  if (settings.emulator && !settings.emulatorAllowRemote && !isLoopbackHost(settings.host)) {
    // The emulator routes are unauthenticated: anyone who reaches them moves time and breaks requests.
    throw new Error(`invalid settings: emulator mode listens only on loopback (host is ${settings.host}); set TESSERA_EMULATOR_ALLOW_REMOTE=1 to force it on a network you control`);
  }
  return Object.freeze(settings);
}

/** Whether `host` is a loopback address or name: only this machine reaches it. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
