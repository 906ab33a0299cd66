/**
 * Types of `tessera-cli/testing`, the published `startTessera` (docs/six-months-in-a-minute.md).
 *
 * Self-contained on purpose: the CLI tarball carries the server as one bundle, without its
 * per-file declarations or their dependencies' (Fastify, zod), so these are written out here.
 * They are the types of packages/server/src/testing.ts (`tessera-server/testing` in the
 * repository); packages/server/test/testing-published-types.ts fails to type-check when the two
 * drift apart. scripts/pack.mjs copies this file to the tarball's dist/testing.d.ts.
 */

/** A yes/no setting: a boolean, or its text as an environment variable would give it. */
export type BooleanSetting = boolean | '0' | '1' | 'true' | 'false' | 'yes' | 'no';

/** Any setting of docs/configuration.md, by its settings name (validated when the server starts). */
export interface TesseraSettings {
  host?: string;
  port?: number | string;
  dataDir?: string;
  databaseUrl?: string;
  databaseSchema?: string;
  databaseMaxConnections?: number | string;
  sqliteCacheMb?: number | string;
  geolocation?: string;
  datacenters?: string | string[];
  nodeDatacenters?: string;
  https?: BooleanSetting;
  tlsCert?: string;
  tlsKey?: string;
  secretKey?: string;
  accessTokenTtl?: number | string;
  refreshTokenTtl?: number | string;
  requestTokenTtl?: number | string;
  requestTokenMaxUses?: number | string;
  expiresInFormat?: "string" | "number";
  refreshRotation?: BooleanSetting;
  rotationGraceSeconds?: number | string;
  signingAlg?: "RS256" | "ES256" | "EdDSA";
  maxFailedLogins?: number | string;
  maxFailedLoginsAnyClient?: number | string;
  lockoutSeconds?: number | string;
  passwordHashConcurrency?: number | string;
  passwordHashQueue?: number | string;
  passwordHashWaitMs?: number | string;
  bodyLimit?: number | string;
  headersTimeoutSeconds?: number | string;
  requestTimeoutSeconds?: number | string;
  keepAliveTimeoutSeconds?: number | string;
  socketIdleTimeoutSeconds?: number | string;
  maxConnectionsPerAddress?: number | string;
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  logRequests?: BooleanSetting;
  metricsPort?: number | string;
  metricsHost?: string;
  metricsToken?: string;
  emulator?: BooleanSetting;
  emulatorAllowRemote?: BooleanSetting;
  clockOffsetSeconds?: number | string;
  seedDemo?: BooleanSetting;
  adminUser?: string;
  adminPassword?: string;
  sessionIdleSeconds?: number | string;
  sessionMaxSeconds?: number | string;
  tokenStatusCacheSeconds?: number | string;
  appInactivityDays?: number | string;
  redisUrl?: string;
  redisKeyPrefix?: string;
  trustProxy?: boolean | string;
  rateLimitWindowSeconds?: number | string;
  rateLimitPerClient?: number | string;
  rateLimitPerAddress?: number | string;
  failureWindowSeconds?: number | string;
  failureBudgetPerClient?: number | string;
  failureBudgetPerLoginId?: number | string;
  failureBudgetPerAddress?: number | string;
  adminSignInRatePerAddress?: number | string;
  adminFailureBudgetPerAddress?: number | string;
  takenLoginIdBudgetPerCompany?: number | string;
  auditRefusalsPerAddress?: number | string;
  auditRefusalsTotal?: number | string;
  sweepIntervalSeconds?: number | string;
  auditRetentionDays?: number | string;
  endedConnectionRetentionDays?: number | string;
  smtpUrl?: string;
  smtpFrom?: string;
  outboxRetentionHours?: number | string;
  keyRotationDays?: number | string;
  keyPropagationSeconds?: number | string;
  keyReloadSeconds?: number | string;
  jwksMaxAgeSeconds?: number | string;
}

/** An app's fields as "Create New App" takes them (docs/admin-console.md). */
export interface TesseraAppInput {
  name: string;
  description: string;
  stage?: 'development' | 'test' | 'production';
  appType?: 'ws-client' | 'ics-client';
  clientType?: 'confidential' | 'public';
  grants: Array<'password' | 'refresh_token' | 'client_credentials' | 'authorization_code' | 'otp'>;
  scopes: string[];
  redirectUris?: string[];
  enabled?: boolean;
  listed?: boolean;
  connectUrl?: string | null;
}

export interface TesseraUserInput {
  loginId: string;
  password: string;
  displayName?: string;
  email?: string;
  roles?: string[];
}

export interface StartTesseraOptions {
  /** Datacenter names, one loopback listener each (default `['us2']`). */
  datacenters?: string[];
  company?: {
    name?: string;
    /** The company's home datacenter (a name of `datacenters`; default the first). */
    datacenter?: string;
  };
  /** The seeded app (default: grants password, refresh_token, client_credentials; the usual scopes). */
  app?: Partial<TesseraAppInput>;
  /** Users besides the admin, in the seeded company (so homed where it is). */
  users?: TesseraUserInput[];
  /** Rotate refresh token values on every refresh (docs/protocol.md Decision 8; off, like Concur). */
  rotation?: boolean;
  /** Log level (default `silent`: a test run stays quiet). */
  logLevel?: TesseraSettings['logLevel'];
  /** Any other setting (docs/configuration.md); the data dir, port and host are the embedded server's own. */
  settings?: TesseraSettings;
}

export interface TesseraUser {
  id: string;
  loginId: string;
  password: string;
  /** The home datacenter: the company's. */
  datacenter: string;
}

/** A company request token (step 2), as `tessera admin request-token` prints it. */
export interface IssuedRequestToken {
  companyUUID: string;
  requestToken: string;
  expiresAt: string;
}

/**
 * The emulated clock: every rule that depends on time follows it. A move takes effect at once;
 * the promise settles when the server's work caused by the move is done, with the new time (ms
 * since the epoch): `await` it.
 */
export interface TesseraClock {
  /** Moves forward by a duration (`'25h'`, `'181d'`, `'90s'`, `'61m'`, ISO-8601 `'P181D'`) or by milliseconds. */
  advance(by: string | number): Promise<number>;
  /** Jumps to a moment (a Date, an ISO string, or ms since the epoch). */
  set(to: Date | string | number): Promise<number>;
  /** Back to the real time. */
  reset(): Promise<number>;
  /** Now on the emulated clock, ms since the epoch (pass it to the SDK: `new TokenManager({ now: tessera.clock.now })`). */
  now(): number;
}

/** Which requests a fault rule applies to (docs/emulator.md); every field given must match. */
export interface FaultMatch {
  /** Exact path (no query; a trailing slash is ignored), or a prefix ending in `*`. */
  path?: string;
  grantType?: string;
  clientId?: string;
  /** A login id or company UUID sent as `username`, an OTP's `channel_handle`, or the `sub` of the Bearer token. */
  principal?: string;
  /** The datacenter answering: its name or its base URL (geolocation). */
  datacenter?: string;
}

/** A code of Concur's error table (docs/protocol.md §3). */
export type ConcurCode =
  5 | 10 | 11 | 12 | 13 | 14 | 16 | 19 | 20 | 21 | 51 | 52 | 53 | 54 | 55 | 56 | 57 | 58 | 59 | 60 | 61 | 62 | 63 | 64 | 65 | 80 | 81 | 82 | 83 | 84 | 85 | 100 | 101 | 102 | 103 | 104 | 105 | 106 | 107 | 108 | 109 | 115 | 117 | 118 | 119 | 120 | 121 | 122 | 123 | 124 | 134 | 135 | 136 | 139 | 400 | 401 | 403 | 404 | 408 | 413 | 429 | 500;

/** What a fault rule does to a matching request (docs/emulator.md). */
export type FaultEffect =
  | { type: 'concur-error'; code: ConcurCode; /** The body's `geolocation` (a datacenter name or base URL); code 16 has one by default, the answering datacenter. */ geolocation?: string }
  | { type: 'http-status'; status: number }
  | { type: 'delay'; ms: number }
  | { type: 'drop' }
  | { type: 'truncate' };

/** A fault rule as `POST /emulator/v0/faults` takes it. */
export interface FaultInput {
  match?: FaultMatch;
  effect: FaultEffect;
  /** Fire for the next N matching requests, then the rule is gone. Without it: until cleared. */
  times?: number;
  /** Fire for this share of the matching requests (default 1). */
  probability?: number;
}

/** A fault rule as the emulator answers it. */
export interface FaultRule {
  id: string;
  match: FaultMatch;
  effect: FaultEffect;
  /** How many more times it fires; null: until cleared. */
  remaining: number | null;
  probability: number;
  /** How many times it has fired. */
  fired: number;
  createdAt: string;
}

export interface TesseraFaults {
  add(rule: FaultInput): Promise<FaultRule>;
  list(): Promise<FaultRule[]>;
  /** Clears one rule (unknown id: an error, as the API's 404), or all of them. */
  clear(id?: string): Promise<void>;
}

/** The part of the server handle these types describe; the rest is the repository's internals. */
export interface EmbeddedServer {
  /** The base URL of every datacenter, by name. */
  readonly datacenters: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export interface RunningTessera {
  /** Base URL of the first datacenter. */
  url: string;
  /** Base URL of each datacenter, by name. */
  datacenters: Record<string, string>;
  company: { id: string; name: string; datacenter: string };
  app: { clientId: string; clientSecret: string };
  /** The company's Web Services Administrator. */
  admin: TesseraUser;
  users: TesseraUser[];
  /** A fresh company request token for the app (step 2; replaces the previous one). */
  requestToken(): Promise<IssuedRequestToken>;
  clock: TesseraClock;
  faults: TesseraFaults;
  /** The server itself, for what the above does not cover. */
  server: EmbeddedServer;
  close(): Promise<void>;
}

/**
 * A whole Tessera in a test suite: the real server in emulator mode on a free loopback port, the
 * real SQLite store in a temporary directory that `close()` removes.
 */
export declare function startTessera(options?: StartTesseraOptions): Promise<RunningTessera>;
