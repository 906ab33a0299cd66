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
   * PostgreSQL instead of the embedded store, for several nodes on one database (DESIGN.md
   * "Storage"): `postgres://user:password@host:5432/database`. Nodes sharing it need the same
   * `secretKey`.
   */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'TESSERA_DATABASE_URL must be a postgres:// URL').optional(),
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
  /** `"3600"` as Concur documents it, or `3600` for RFC-strict clients (PROTOCOL.md Decision 1). */
  expiresInFormat: z.enum(['string', 'number']).default('string'),
  /** New refresh token value on every refresh (Decision 8); off by default, like Concur. */
  refreshRotation: bool.default(false),
  rotationGraceSeconds: seconds.default(60),
  signingAlg: z.enum(['RS256', 'ES256', 'EdDSA']).default('RS256'),
  maxFailedLogins: z.coerce.number().int().min(1).default(5),
  lockoutSeconds: seconds.default(15 * 60),
  /** Largest accepted token request body, bytes. */
  bodyLimit: z.coerce.number().int().min(1024).max(1024 * 1024).default(16 * 1024),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Log one line per request (off keeps the token path lean; audit events are kept either way). */
  logRequests: bool.default(true),
  /** Shifts the server clock, seconds (to see expiries without waiting). */
  clockOffsetSeconds: z.coerce.number().int().default(0),
  seedDemo: bool.default(true),
  adminUser: z.string().min(1).default('admin'),
  adminPassword: z.string().min(8).optional(),
  /** Admin console: a session unused this long ends (sign in again). */
  sessionIdleSeconds: seconds.default(30 * 60),
  /** Admin console: a session ends this long after sign-in, however busy. */
  sessionMaxSeconds: seconds.default(12 * 3600),
  /** Decision 7: an app unused this many days is deactivated (code 59); 0 never deactivates. */
  appInactivityDays: z.coerce.number().int().min(0).default(365),
});

export type SettingsInput = z.input<typeof SettingsSchema>;
export type Settings = Readonly<z.output<typeof SettingsSchema>>;

const envNames: Record<keyof SettingsInput, string> = {
  host: 'TESSERA_HOST', port: 'TESSERA_PORT', dataDir: 'TESSERA_DATA_DIR', geolocation: 'TESSERA_GEOLOCATION',
  databaseUrl: 'TESSERA_DATABASE_URL',
  https: 'TESSERA_HTTPS', tlsCert: 'TESSERA_TLS_CERT', tlsKey: 'TESSERA_TLS_KEY', secretKey: 'TESSERA_SECRET_KEY',
  accessTokenTtl: 'TESSERA_ACCESS_TOKEN_TTL', refreshTokenTtl: 'TESSERA_REFRESH_TOKEN_TTL',
  requestTokenTtl: 'TESSERA_REQUEST_TOKEN_TTL', requestTokenMaxUses: 'TESSERA_REQUEST_TOKEN_MAX_USES',
  expiresInFormat: 'TESSERA_EXPIRES_IN_FORMAT', refreshRotation: 'TESSERA_REFRESH_ROTATION',
  rotationGraceSeconds: 'TESSERA_ROTATION_GRACE_SECONDS', signingAlg: 'TESSERA_SIGNING_ALG',
  maxFailedLogins: 'TESSERA_MAX_FAILED_LOGINS', lockoutSeconds: 'TESSERA_LOCKOUT_SECONDS',
  bodyLimit: 'TESSERA_BODY_LIMIT', logLevel: 'TESSERA_LOG_LEVEL', logRequests: 'TESSERA_LOG_REQUESTS',
  clockOffsetSeconds: 'TESSERA_CLOCK_OFFSET_SECONDS', seedDemo: 'TESSERA_SEED_DEMO',
  adminUser: 'TESSERA_ADMIN_USER', adminPassword: 'TESSERA_ADMIN_PASSWORD',
  sessionIdleSeconds: 'TESSERA_SESSION_IDLE_SECONDS', sessionMaxSeconds: 'TESSERA_SESSION_MAX_SECONDS',
  appInactivityDays: 'TESSERA_APP_INACTIVITY_DAYS',
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
  return Object.freeze(result.data);
}
