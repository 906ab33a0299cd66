/**
 * The domain's records, as core works with them and every store keeps them. Secrets and tokens
 * appear only as keyed digests; times are Unix epoch milliseconds. The stores (storage/) adapt
 * these to SQL; nothing here knows a store.
 */
import type { PrincipalType } from 'tessera-protocol';

export type UserStatus = 'active' | 'disabled' | 'locked';
export type AppStage = 'development' | 'test' | 'production';
export type AppType = 'ws-client' | 'ics-client';
/**
 * Whether an app can keep a secret (docs/protocol.md Decision 14): a public app (a native or
 * browser app) must use PKCE at `/authorize` and redeems codes and refresh tokens with its
 * client id alone.
 */
export type ClientType = 'confidential' | 'public';
export type SecretStatus = 'active' | 'inactive';

export interface Company {
  id: string;
  name: string;
  /** Base URL of the datacenter this company lives in; null for this node's own datacenter. */
  geolocation: string | null;
  domain: string | null;
  enabled: boolean;
  createdAt: number;
}

export interface User {
  id: string;
  companyId: string;
  loginId: string;
  email: string | null;
  displayName: string | null;
  passwordHash: string;
  roles: string[];
  status: UserStatus;
  failedLogins: number;
  lockedUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface App {
  /** The client id, a UUID. */
  id: string;
  /** The company that owns (administers) the app. */
  companyId: string;
  name: string;
  description: string;
  stage: AppStage;
  appType: AppType;
  clientType: ClientType;
  grants: string[];
  scopes: string[];
  redirectUris: string[];
  enabled: boolean;
  /** Shown to other companies in their App Center (docs/protocol.md §12 "App Center"). */
  listed: boolean;
  /** Where the App Center's Connect sends the administrator's browser with a request token; null when not listed. */
  connectUrl: string | null;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
}

export interface AppSecret {
  id: string;
  appId: string;
  digest: string;
  status: SecretStatus;
  createdAt: number;
  updatedAt: number;
}

/** An active secret as client authentication sees it: which one matched is recorded in app tokens. */
export interface ActiveSecret {
  id: string;
  digest: string;
}

/** What a token depends on (`AppRepository.tokenStanding`); null where the token has no such part. */
export interface TokenParts {
  appId: string;
  companyId: string | null;
  userId: string | null;
  /** A connection of `appId`. */
  connectionId: string | null;
  /** A secret of `appId`. */
  secretId: string | null;
}

/** The state of a token's parts now; null for a part not asked for or not found. */
export interface TokenStanding {
  appEnabled: boolean | null;
  companyEnabled: boolean | null;
  /** Whether `companyId` has the app enabled (its owner always has). */
  companyGrantEnabled: boolean | null;
  /** The status of `userId` when the user belongs to `companyId`. */
  userStatus: UserStatus | null;
  connectionRevoked: boolean | null;
  secretStatus: SecretStatus | null;
}

/** A company's permission for an app to obtain tokens for it (code 53 when missing or withdrawn). */
export interface AppCompanyGrant {
  appId: string;
  companyId: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** An app of another company as a company's App Center shows it: its owner's name and that company's grant of it. */
export interface AppCenterEntry {
  app: App;
  ownerName: string;
  /** Listed and enabled, of an enabled company: what Connect accepts. */
  connectable: boolean;
  /** The viewing company's grant of the app: null when it never connected it. */
  grantEnabled: boolean | null;
}

export interface RequestToken {
  digest: string;
  appId: string;
  companyId: string;
  uses: number;
  maxUses: number;
  expiresAt: number;
  createdAt: number;
  /** The connection created by the first conversion; later retries add refresh tokens to it. */
  connectionId: string | null;
}

/** One refresh-token family: a principal connected to an app. */
export interface Connection {
  id: string;
  appId: string;
  principalType: Exclude<PrincipalType, 'application'>;
  principalId: string;
  companyId: string;
  scopes: string[];
  refreshExpiresAt: number;
  createdAt: number;
  lastUsedAt: number;
  revokedAt: number | null;
}

export interface RefreshToken {
  digest: string;
  connectionId: string;
  createdAt: number;
  /** Set when rotation replaced this value; it stays usable for the grace window after. */
  supersededAt: number | null;
}

export interface SigningKey {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  /** The PKCS#8 private key, encrypted with the server key (AES-256-GCM), base64url. */
  privateKeyEnc: string;
  createdAt: number;
  /** Not used for signing before this time (published in JWKS ahead of use). */
  activatesAt: number;
  /** When set, the key no longer signs; it stays published until `expiresAt`. */
  retiredAt: number | null;
  /** When set, the key is withdrawn from JWKS after this time. */
  expiresAt: number | null;
}

export interface AuditEvent {
  at: number;
  action: string;
  outcome: 'success' | 'failure';
  correlationId: string | null;
  actorType: string | null;
  actorId: string | null;
  appId: string | null;
  companyId: string | null;
  principalId: string | null;
  code: number | null;
  detail: Record<string, unknown> | null;
}

/**
 * A signed-in admin console session. The session id is known only to the browser (an HttpOnly
 * cookie); the store keeps its keyed digest.
 */
export interface AdminSession {
  digest: string;
  userId: string;
  companyId: string;
  createdAt: number;
  /** Last request seen; the session ends when it is older than the idle timeout. */
  lastSeenAt: number;
  /** Absolute end, however busy the session is. */
  expiresAt: number;
}

export interface StoredAuditEvent extends AuditEvent {
  id: number;
}

/**
 * An authorization code of `/oauth2/v0/authorize` (docs/protocol.md §4, Decision 4): single use,
 * 10 minutes, bound to its app and redirect URI. The store keeps the code's keyed digest only.
 */
export interface AuthorizationCode {
  digest: string;
  appId: string;
  userId: string;
  companyId: string;
  redirectUri: string;
  scopes: string[];
  /** The PKCE S256 challenge sent at `/authorize`, if any. */
  codeChallenge: string | null;
  /** The client's `nonce`, echoed in the id token. */
  nonce: string | null;
  createdAt: number;
  expiresAt: number;
  /** When the code was redeemed; a second use revokes the connection it made. */
  usedAt: number | null;
  /** When a used code was presented again. */
  replayedAt: number | null;
  /** The connection the redemption opened. */
  connectionId: string | null;
}

/** A user's remembered consent to an app for a set of scopes (docs/protocol.md Decision 15). */
export interface Consent {
  userId: string;
  appId: string;
  scopes: string[];
  createdAt: number;
  updatedAt: number;
}

/** A connection's state at `now`: revoked; else expired (`refreshExpiresAt <= now`); else active. */
export type ConnectionStatus = 'active' | 'revoked' | 'expired';

/**
 * A one-time password sent by mail (docs/protocol.md §5, Decision 4): 15 minutes, single use,
 * at most 5 open per channel handle. Stored only as the keyed digest of its value.
 */
export interface OneTimePassword {
  digest: string;
  appId: string;
  userId: string;
  companyId: string;
  /** The channel handle (an email address) as sent, folded (trimmed, lower case): the key of the open-OTP limit. */
  handle: string;
  /** Keyed digest of the client's extra parameters (their canonical form), matched again at `/token`. */
  factsDigest: string;
  createdAt: number;
  expiresAt: number;
  /** When the OTP was exchanged at `/token`; null while open. */
  usedAt: number | null;
}

/** A mail kept in the store instead of sent, when no SMTP server is configured: readable by the company's administrators. */
export interface OutboxMessage {
  id: string;
  /** The company of the recipient; only its administrators see the message. */
  companyId: string;
  to: string;
  subject: string;
  text: string;
  createdAt: number;
}
