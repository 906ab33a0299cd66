/**
 * The narrow, async repository interfaces the core needs (docs/architecture.md "Storage"), over the
 * domain's records (core/model.ts). Secrets and tokens appear here only as keyed digests. Every single-use or rotating
 * operation is one atomic conditional statement, so exactly one concurrent caller wins.
 * Times are Unix epoch milliseconds.
 */
import type { UserStatus, AppStage, AppType, SecretStatus, Company, User, App, AppSecret, ActiveSecret, TokenParts, TokenStanding, AppCompanyGrant, AppCenterEntry, RequestToken, Connection, RefreshToken, SigningKey, AuditEvent, AdminSession, StoredAuditEvent, ConnectionStatus, AuthorizationCode, Consent, OneTimePassword, OutboxMessage } from '../core/model.js';

// The stores and the contract suite take the records from here too.
export type * from '../core/model.js';

export interface Page<T> {
  items: T[];
  total: number;
}

/** One page of a listing: skip `offset` rows, answer at most `limit`. */
export interface PageQuery {
  offset: number;
  limit: number;
}

export interface ConnectionPageQuery extends PageQuery {
  appId: string;
  /** Only the connections of this company. */
  companyId?: string;
  /** Only connections in this state at `now`; every state when absent. */
  status?: ConnectionStatus;
  now: number;
}

/** What `AppRepository.addSecret` did: added, or refused because the app already holds its most. */
export type AddSecretOutcome = 'added' | 'limit';

/**
 * What `AppRepository.setSecretStatus` did: set; `missing` (no such secret of the app); or
 * `limit` (an activation refused because the app already has its most active secrets).
 */
export type SecretStatusOutcome = 'set' | 'missing' | 'limit';

export interface AppListQuery {
  companyId: string;
  filter?: string;
  sort?: 'id' | 'name' | 'description' | 'createdAt' | 'updatedAt' | 'lastUsedAt';
  order?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

/** The most secrets an app may hold, and the most of them active at once (Decision 5). */
export interface SecretLimits {
  maxSecrets: number;
  maxActive: number;
}

export interface AuditQuery {
  companyId?: string;
  appId?: string;
  principalId?: string;
  action?: string;
  since?: number;
  until?: number;
  limit?: number;
  offset?: number;
}

export interface CompanyRepository {
  create(company: Company): Promise<void>;
  get(id: string): Promise<Company | undefined>;
  list(): Promise<Company[]>;
  count(): Promise<number>;
  /** Enables or disables a company; false when there is none. */
  setEnabled(id: string, enabled: boolean): Promise<boolean>;
  /**
   * Moves a company to another home datacenter (its `geolocation`, a base URL; null: whichever
   * datacenter serves the request, docs/protocol.md §10); false when there is none.
   */
  setGeolocation(id: string, geolocation: string | null): Promise<boolean>;
}

export interface UserRepository {
  /**
   * Rejects with `LoginIdTakenError` (storage/errors.ts) when another user has the login id,
   * ignoring case (login ids are compared folded, `foldLoginId` in storage/login-ids.ts).
   */
  create(user: User): Promise<void>;
  get(id: string): Promise<User | undefined>;
  /** The user whose login id folds (`foldLoginId`) as `loginId` does. */
  findByLoginId(loginId: string): Promise<User | undefined>;
  listByCompany(companyId: string): Promise<User[]>;
  /** One page of `listByCompany` (same order, by login id), with the company's user count, paged in SQL. */
  pageByCompany(companyId: string, page: PageQuery): Promise<Page<User>>;
  /** Records a failed sign-in; locks the user when `lockAfter` is reached. Returns the new count. */
  recordFailedLogin(id: string, now: number, lockAfter: number, lockUntil: number): Promise<number>;
  /** Resets the failure count (a successful sign-in or an unlock). */
  clearFailedLogins(id: string, now: number): Promise<void>;
  setStatus(id: string, status: UserStatus, now: number): Promise<void>;
  /** Replaces the password hash (a reset by an administrator or operator). */
  setPasswordHash(id: string, passwordHash: string, now: number): Promise<void>;
  /**
   * Up to `limit` users whose email, lower-cased in ASCII (`foldEmail`, storage/login-ids.ts), is `folded`
   * (emails are not unique: the caller decides what several mean), by id.
   */
  findByEmail(folded: string, limit: number): Promise<User[]>;
}

export interface AppRepository {
  create(app: App): Promise<void>;
  /**
   * Creates an app with its first secret, enabled for its own company (a grant created at
   * `app.createdAt`), in one transaction: all three rows or none.
   */
  createWithSecret(app: App, secret: AppSecret): Promise<void>;
  get(id: string): Promise<App | undefined>;
  update(app: App): Promise<void>;
  list(query: AppListQuery): Promise<Page<App>>;
  touchLastUsed(id: string, now: number): Promise<void>;

  /**
   * Adds a secret unless its app already holds `maxSecrets` (and, for an active one, unless it
   * already has `maxActive` active), atomically: concurrent additions never end above the limits
   * (the check and the insert run under the app row's lock).
   */
  addSecret(secret: AppSecret, limits: SecretLimits): Promise<AddSecretOutcome>;
  listSecrets(appId: string): Promise<AppSecret[]>;
  /**
   * What client authentication needs, in one query: the app and the ids and digests of its
   * active secrets (the ones a client may authenticate with; several during a rotation).
   */
  getClient(id: string): Promise<{ app: App; activeSecrets: ActiveSecret[] } | undefined>;
  /**
   * The current state of everything a token depends on, in one query (the protected APIs' check
   * that a token's app, secret, connection, user and company have not ended). Parts not asked
   * for (null) and rows that do not exist answer null.
   */
  tokenStanding(parts: TokenParts): Promise<TokenStanding>;
  /**
   * Sets a secret's status; an activation only while the app has fewer than `limits.maxActive`
   * active secrets other than this one, atomically (concurrent activations never end above it).
   */
  setSecretStatus(appId: string, secretId: string, status: SecretStatus, now: number, limits: SecretLimits): Promise<SecretStatusOutcome>;
  /** Deletes an inactive secret; false when it is missing or active. */
  deleteInactiveSecret(appId: string, secretId: string): Promise<boolean>;

  grantCompany(grant: AppCompanyGrant): Promise<void>;
  getCompanyGrant(appId: string, companyId: string): Promise<AppCompanyGrant | undefined>;
  setCompanyGrant(appId: string, companyId: string, enabled: boolean, now: number): Promise<boolean>;

  /**
   * The App Center of `companyId` (docs/protocol.md §12 "App Center"), by name then id: the apps of
   * other companies that are connectable (listed and enabled, of an enabled company) or that
   * `companyId` has enabled (so it can withdraw them), with the owner's name and `companyId`'s grant.
   */
  listAppCenter(companyId: string, page: PageQuery): Promise<Page<AppCenterEntry>>;
  /** How many companies other than its owner have the app enabled now. */
  countConnectedCompanies(appId: string): Promise<number>;

  /**
   * Disables every enabled app neither used nor changed after `cutoff` (docs/protocol.md Decision 7:
   * `max(lastUsedAt, updatedAt, createdAt) <= cutoff`), setting `updatedAt` to `now`, in one
   * conditional statement; answers the apps as they are after it.
   */
  disableUnusedSince(cutoff: number, now: number): Promise<App[]>;
}

export interface RequestTokenRepository {
  /** Stores a new request token, replacing any earlier one for the same app and company. */
  replace(token: RequestToken): Promise<void>;
  /**
   * Counts one use of a live request token, atomically: answers the token as it is after the
   * use, or undefined when it is unknown, expired or used up.
   */
  consume(digest: string, now: number): Promise<RequestToken | undefined>;
  /** Links the connection created by the first conversion (first writer wins); answers the linked id. */
  linkConnection(digest: string, connectionId: string): Promise<string>;
  /**
   * What a conversion checks after counting its use, in one read: the company, whether it has the
   * app enabled (null: it never had it), and the connection an earlier conversion linked (when
   * `connectionId` is not null and it still exists).
   */
  conversionContext(appId: string, companyId: string, connectionId: string | null): Promise<ConversionContext>;
  deleteExpired(now: number): Promise<number>;
}

export interface RefreshRotation {
  connectionId: string;
  /** Digest of the value presented. */
  presentedDigest: string;
  /** The value that replaces it (its `connectionId` is the connection's). */
  next: RefreshToken;
  now: number;
  /**
   * The connection's new end (it only ever moves later); null keeps the stored one, so the
   * connection's expiry index is not rewritten (Decision 8: the expiry is written only when the
   * stored one lags by more than `expiryWriteLagMs`).
   */
  refreshExpiresAt: number | null;
  /** A value superseded before this instant is a replay. */
  graceFrom: number;
}

/**
 * What a rotation did: `rotated` (the value, current or within its grace window, was replaced);
 * `retried` (a value superseded before the grace window, but nothing of its family was presented
 * since: taken as a client retrying a refresh whose answer it never got, so `next` was added and
 * every value issued before the window, other than the presented one, was withdrawn);
 * `replayed` (a value superseded before the window after another value of its family was
 * presented); `withdrawn` (a value a retry withdrew). The last two add nothing: the caller
 * revokes the family. `ended`: the value is unknown or the connection revoked or expired.
 */
/** What `RequestTokenRepository.conversionContext` answers. */
export interface ConversionContext {
  company: Company | undefined;
  companyGrantEnabled: boolean | null;
  connection: Connection | undefined;
}

/** What `ConnectionRepository.findRefresh` answers. */
export interface RefreshLookup {
  token: RefreshToken;
  connection: Connection;
  /** Whether the connection's company has the connection's app enabled; null when it never had it. */
  companyGrantEnabled: boolean | null;
  /** The status of a user connection's user; null for a company connection or a user gone. */
  userStatus: UserStatus | null;
  /** The connection's company; undefined when it is gone. */
  company: Company | undefined;
}

export type RotationOutcome = 'rotated' | 'retried' | 'replayed' | 'withdrawn' | 'ended';

export interface ConnectionRepository {
  create(connection: Connection): Promise<void>;
  get(id: string): Promise<Connection | undefined>;
  listByApp(appId: string, companyId?: string): Promise<Connection[]>;
  /** One page of an app's connections, newest first (then by id), with the count of every match, paged in SQL. */
  page(query: ConnectionPageQuery): Promise<Page<Connection>>;
  addRefreshToken(token: RefreshToken): Promise<void>;
  findRefreshToken(digest: string): Promise<{ token: RefreshToken; connection: Connection } | undefined>;
  /**
   * Everything a refresh checks, in one read (docs/protocol.md Decision 8): the presented value, its
   * connection, and what the connection stands on (the company's grant of the connection's app,
   * a user connection's user, the company). Undefined for an unknown value.
   */
  findRefresh(digest: string): Promise<RefreshLookup | undefined>;
  /**
   * One refresh with rotation, atomically (Decision 8, see `RotationOutcome`): marks the presented
   * value superseded (keeping the time of the first supersession); then, when it is current or
   * within the grace window and not withdrawn, or superseded before the window but the last value
   * of its family presented, slides the live connection, records the presented value as the last
   * one, and adds `next` (a retry also withdraws every value issued before `graceFrom`). Concurrent
   * rotations of one value all rotate within the window, each with its own `next`; of a retry and
   * a concurrent use of another value of the family, exactly one succeeds.
   */
  rotateRefreshToken(rotation: RefreshRotation): Promise<RotationOutcome>;
  /** Slides the expiry of a live connection; false when it was revoked or expired meanwhile. */
  slide(id: string, now: number, refreshExpiresAt: number): Promise<boolean>;
  revoke(id: string, now: number): Promise<boolean>;
  /** Revokes every live connection of a principal for an app; answers how many. */
  revokeByPrincipal(appId: string, principalId: string, now: number): Promise<number>;
  /** Revokes every live connection of the app within a company (the company's and its users'); answers how many. */
  revokeByCompany(appId: string, companyId: string, now: number): Promise<number>;
  /** Revokes every live connection of a principal, through every app; answers how many. */
  revokeAllOfPrincipal(principalId: string, now: number): Promise<number>;
  /** Deletes revoked and expired connections (and their tokens) older than `before`. */
  sweep(before: number): Promise<number>;
  /**
   * Deletes up to `limit` refresh token values, current or superseded, of connections revoked or
   * expired at `now` (they answer 108 either way); answers how many.
   */
  deleteTokensOfEnded(now: number, limit: number): Promise<number>;
  /**
   * Deletes up to `limit` refresh token values superseded before `before`: past that, a replay is
   * answered as an unknown token (108) instead of revoking the family. Answers how many.
   */
  deleteSupersededBefore(before: number, limit: number): Promise<number>;
}

/** What `AuthorizationRepository.useCode` found: the code as it is after the use, and whether this was its first. */
export interface CodeUse {
  code: AuthorizationCode;
  firstUse: boolean;
}

/** Authorization codes and remembered consents (docs/protocol.md §4). */
export interface AuthorizationRepository {
  createCode(code: AuthorizationCode): Promise<void>;
  getCode(digest: string): Promise<AuthorizationCode | undefined>;
  /**
   * Uses a code, atomically: the first caller marks it used (`firstUse`); every later one marks
   * it replayed (keeping the first replay's time). Undefined when there is no such code.
   */
  useCode(digest: string, now: number): Promise<CodeUse | undefined>;
  /**
   * Records the connection a redemption opened; answers true when the code was replayed before
   * the link (the caller revokes that connection too).
   */
  linkCodeConnection(digest: string, connectionId: string): Promise<boolean>;
  /** Deletes codes expired at `now`, used or not; answers how many. */
  deleteExpiredCodes(now: number): Promise<number>;
  /** Stores a consent, replacing the scopes (and `updatedAt`) of an earlier one of the same user and app. */
  saveConsent(consent: Consent): Promise<void>;
  getConsent(userId: string, appId: string): Promise<Consent | undefined>;
  /** A user's consents, newest change first. */
  listConsents(userId: string): Promise<Consent[]>;
  /** Withdraws a consent; false when there was none. */
  deleteConsent(userId: string, appId: string): Promise<boolean>;
}

export interface KeyRepository {
  add(key: SigningKey): Promise<void>;
  list(): Promise<SigningKey[]>;
  retire(kid: string, retiredAt: number, expiresAt: number): Promise<void>;
  /** Deletes keys withdrawn from JWKS before `before` (`expiresAt < before`); answers how many. */
  deleteExpired(before: number): Promise<number>;
}

export interface SessionRepository {
  create(session: AdminSession): Promise<void>;
  /**
   * Finds a live session and marks it seen, atomically: answers it as it is after the touch, or
   * undefined when it is unknown, past `expiresAt`, or was last seen at or before `idleSince`.
   */
  touch(digest: string, now: number, idleSince: number): Promise<AdminSession | undefined>;
  /** Ends a session (sign-out); false when there was none. */
  delete(digest: string): Promise<boolean>;
  /** Ends every session of a user; answers how many. */
  deleteByUser(userId: string): Promise<number>;
  /** Deletes sessions past `expiresAt` or idle since `idleSince`; answers how many. */
  deleteExpired(now: number, idleSince: number): Promise<number>;
}

export interface AuditRepository {
  append(events: AuditEvent[]): Promise<void>;
  query(query: AuditQuery): Promise<Page<StoredAuditEvent>>;
  /** Deletes up to `limit` of the oldest events before `before` (retention); answers how many. */
  deleteBefore(before: number, limit: number): Promise<number>;
}

/** What `OtpRepository.add` did: added, or refused because the handle already has its most open OTPs. */
export type AddOtpOutcome = 'added' | 'limit';

/** One-time passwords (Decision 4): single use, expiring, a bounded number open per channel handle. */
export interface OtpRepository {
  /**
   * Stores `otp` unless its handle already has `maxOpen` open OTPs (unused, `expiresAt > now`),
   * atomically: concurrent additions for one handle never end above `maxOpen`.
   */
  add(otp: OneTimePassword, maxOpen: number, now: number): Promise<AddOtpOutcome>;
  /** The OTP with this digest, used or not, expired or not; undefined when there is none. */
  find(digest: string): Promise<OneTimePassword | undefined>;
  /**
   * Marks an open OTP used, atomically: answers it as it is after the use, or undefined when it
   * is unknown, already used or expired at `now` (exactly one of concurrent uses wins).
   */
  consume(digest: string, now: number): Promise<OneTimePassword | undefined>;
  /** Deletes one OTP (its mail could not be sent); false when there was none. */
  delete(digest: string): Promise<boolean>;
  /** Deletes OTPs used or expired at or before `now`; answers how many. */
  deleteEnded(now: number): Promise<number>;
}

/** Mail kept for the company's administrators when no SMTP server is configured. */
export interface OutboxRepository {
  add(message: OutboxMessage): Promise<void>;
  /** Up to `limit` messages of the company, newest first (then by id). */
  listByCompany(companyId: string, limit: number): Promise<OutboxMessage[]>;
  /** Deletes up to `limit` of the oldest messages created before `before` (retention); answers how many. */
  deleteBefore(before: number, limit: number): Promise<number>;
}

/** What `LockRepository.tryWithLock` answers: whether the work ran, and what it answered. */
export type LockOutcome<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Mutual exclusion across every node of one store (PostgreSQL session advisory locks, released
 * by the database if the holder dies; a process-local lock on the single-node SQLite store).
 */
export interface LockRepository {
  /** Runs `work` holding the lock `name` when nobody else holds it; otherwise runs nothing. */
  tryWithLock<T>(name: string, work: () => Promise<T>): Promise<LockOutcome<T>>;
  /** Waits for the lock `name`, then runs `work` holding it. */
  withLock<T>(name: string, work: () => Promise<T>): Promise<T>;
}

/** A storage backend: the repositories plus its life cycle. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly companies: CompanyRepository;
  readonly users: UserRepository;
  readonly apps: AppRepository;
  readonly requestTokens: RequestTokenRepository;
  readonly connections: ConnectionRepository;
  readonly keys: KeyRepository;
  readonly audit: AuditRepository;
  readonly sessions: SessionRepository;
  readonly authorizations: AuthorizationRepository;
  readonly locks: LockRepository;
  readonly otps: OtpRepository;
  readonly outbox: OutboxRepository;
  close(): Promise<void>;
}
