/**
 * Row ↔ record mapping for the PostgreSQL backend (docs/architecture.md "Storage"). `pg` answers `bigint`
 * columns and `count(*)` as strings (they may exceed 2^53 in general; epoch milliseconds do not),
 * `jsonb` already parsed and `boolean` as booleans.
 */
import type {
  AdminSession, App, AppCompanyGrant, AuthorizationCode, Consent, AppSecret, AuditEvent, Company, Connection, OneTimePassword, OutboxMessage, ConversionContext, RefreshLookup, RefreshToken, RequestToken, SecretStatus,
  SigningKey, StoredAuditEvent, User, UserStatus,
} from '../types.js';

/** One row as `pg` answers it. */
export type Row = Record<string, unknown>;

export const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const object = (value: unknown): Record<string, unknown> => value as Record<string, unknown>;

/** A value for a `jsonb` parameter: `pg` would send a JS array as a PostgreSQL array, so send JSON text. */
export const jsonb = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

export const toCompany = (r: Row): Company => ({
  id: String(r.id), name: String(r.name), geolocation: strOrNull(r.geolocation), domain: strOrNull(r.domain),
  enabled: r.enabled === true, createdAt: num(r.created_at),
});

export const toUser = (r: Row): User => ({
  id: String(r.id), companyId: String(r.company_id), loginId: String(r.login_id), email: strOrNull(r.email),
  displayName: strOrNull(r.display_name), passwordHash: String(r.password_hash), roles: list(r.roles),
  status: r.status as UserStatus, failedLogins: num(r.failed_logins), lockedUntil: numOrNull(r.locked_until),
  createdAt: num(r.created_at), updatedAt: num(r.updated_at),
});

export const toApp = (r: Row): App => ({
  id: String(r.id), companyId: String(r.company_id), name: String(r.name), description: String(r.description),
  stage: r.stage as App['stage'], appType: r.app_type as App['appType'], clientType: r.client_type as App['clientType'],
  grants: list(r.grants),
  scopes: list(r.scopes), redirectUris: list(r.redirect_uris), enabled: r.enabled === true,
  listed: r.listed === true, connectUrl: strOrNull(r.connect_url),
  createdAt: num(r.created_at), updatedAt: num(r.updated_at), lastUsedAt: numOrNull(r.last_used_at),
});

export const toCode = (r: Row): AuthorizationCode => ({
  digest: String(r.digest), appId: String(r.app_id), userId: String(r.user_id), companyId: String(r.company_id),
  redirectUri: String(r.redirect_uri), scopes: list(r.scopes), codeChallenge: strOrNull(r.code_challenge),
  nonce: strOrNull(r.nonce), createdAt: num(r.created_at), expiresAt: num(r.expires_at), usedAt: numOrNull(r.used_at),
  replayedAt: numOrNull(r.replayed_at), connectionId: strOrNull(r.connection_id),
});

export const toConsent = (r: Row): Consent => ({
  userId: String(r.user_id), appId: String(r.app_id), scopes: list(r.scopes), createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export const toSecret = (r: Row): AppSecret => ({
  id: String(r.id), appId: String(r.app_id), digest: String(r.digest), status: r.status as SecretStatus,
  createdAt: num(r.created_at), updatedAt: num(r.updated_at),
});

export const toGrant = (r: Row): AppCompanyGrant => ({
  appId: String(r.app_id), companyId: String(r.company_id), enabled: r.enabled === true,
  createdAt: num(r.created_at), updatedAt: num(r.updated_at),
});

export const toRequestToken = (r: Row): RequestToken => ({
  digest: String(r.digest), appId: String(r.app_id), companyId: String(r.company_id), uses: num(r.uses),
  maxUses: num(r.max_uses), expiresAt: num(r.expires_at), createdAt: num(r.created_at),
  connectionId: strOrNull(r.connection_id),
});

export const toConnection = (r: Row): Connection => ({
  id: String(r.id), appId: String(r.app_id), principalType: r.principal_type as Connection['principalType'],
  principalId: String(r.principal_id), companyId: String(r.company_id), scopes: list(r.scopes),
  refreshExpiresAt: num(r.refresh_expires_at), createdAt: num(r.created_at),
  lastUsedAt: num(r.last_used_at), revokedAt: numOrNull(r.revoked_at),
});

/** A refresh token from the `rt_`-prefixed columns of the token ⋈ connection join. */
export const toRefreshToken = (r: Row): RefreshToken => ({
  digest: String(r.rt_digest), connectionId: String(r.rt_connection_id), createdAt: num(r.rt_created_at),
  supersededAt: numOrNull(r.rt_superseded_at),
});

const companyOf = (r: Row): Company | undefined => (r.co_id === null || r.co_id === undefined ? undefined : toCompany({
  id: r.co_id, name: r.co_name, geolocation: r.co_geolocation, domain: r.co_domain, enabled: r.co_enabled, created_at: r.co_created_at,
}));
const grantEnabled = (r: Row): boolean | null => (r.g_enabled === null || r.g_enabled === undefined ? null : r.g_enabled === true);

export const toRefreshLookup = (r: Row): RefreshLookup => ({
  token: toRefreshToken(r), connection: toConnection(r), companyGrantEnabled: grantEnabled(r),
  userStatus: strOrNull(r.u_status) as UserStatus | null, company: companyOf(r),
});

export const toConversionContext = (r: Row): ConversionContext => ({
  company: companyOf(r), companyGrantEnabled: grantEnabled(r),
  connection: r.id === null || r.id === undefined ? undefined : toConnection(r),
});

export const toKey = (r: Row): SigningKey => ({
  kid: String(r.kid), alg: String(r.alg), publicJwk: object(r.public_jwk),
  privateKeyEnc: String(r.private_key_enc), createdAt: num(r.created_at), activatesAt: num(r.activates_at),
  retiredAt: numOrNull(r.retired_at), expiresAt: numOrNull(r.expires_at),
});

export const toAudit = (r: Row): StoredAuditEvent => ({
  id: num(r.id), at: num(r.at), action: String(r.action), outcome: r.outcome as AuditEvent['outcome'],
  correlationId: strOrNull(r.correlation_id), actorType: strOrNull(r.actor_type), actorId: strOrNull(r.actor_id),
  appId: strOrNull(r.app_id), companyId: strOrNull(r.company_id), principalId: strOrNull(r.principal_id),
  code: numOrNull(r.code), detail: r.detail === null || r.detail === undefined ? null : object(r.detail),
});

export const toSession = (r: Row): AdminSession => ({
  digest: String(r.digest), userId: String(r.user_id), companyId: String(r.company_id), createdAt: num(r.created_at),
  lastSeenAt: num(r.last_seen_at), expiresAt: num(r.expires_at),
});

/** An audit event as a `jsonb_to_recordset` record: column names, JSON values. */
export const auditRecord = (e: AuditEvent): Row => ({
  at: e.at, action: e.action, outcome: e.outcome, correlation_id: e.correlationId, actor_type: e.actorType,
  actor_id: e.actorId, app_id: e.appId, company_id: e.companyId, principal_id: e.principalId, code: e.code,
  detail: e.detail,
});

export const toOtp = (r: Row): OneTimePassword => ({
  digest: String(r.digest), appId: String(r.app_id), userId: String(r.user_id), companyId: String(r.company_id),
  handle: String(r.handle), factsDigest: String(r.facts_digest), createdAt: num(r.created_at), expiresAt: num(r.expires_at),
  usedAt: numOrNull(r.used_at),
});

export const toOutboxMessage = (r: Row): OutboxMessage => ({
  id: String(r.id), companyId: String(r.company_id), to: String(r.recipient), subject: String(r.subject), text: String(r.body),
  createdAt: num(r.created_at),
});
