/**
 * The embedded SQLite backend (better-sqlite3, WAL). Statements are prepared once; every
 * single-use or rotating operation is one conditional statement, so it is atomic.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ensurePrivateFile, restrictToOwner } from '../../data-dir.js';
import { LoginIdTakenError } from '../errors.js';
import { foldLoginId } from '../login-ids.js';
import { ProcessLocks } from '../process-locks.js';
import { backstopCheckpointPages, startCheckpointer, type Checkpointer } from './checkpointer.js';
import { sqliteMigrations } from './migrations.js';
import type {
  AddSecretOutcome, AdminSession, App, AppCenterEntry, AuthorizationCode, CodeUse, Consent, AppCompanyGrant, AppListQuery, AppSecret,
  AuditEvent, AuditQuery, Company, Connection, ConnectionPageQuery, ConversionContext, ConnectionStatus, Page, PageQuery, RefreshLookup, RefreshRotation,
  RefreshToken, RequestToken, RotationOutcome, SecretLimits, AddOtpOutcome, OneTimePassword, OutboxMessage,
  SecretStatus, SecretStatusOutcome, SigningKey, Store, StoredAuditEvent, TokenParts, TokenStanding, User, UserStatus,
} from '../types.js';

type Row = Record<string, unknown>;
type Database = BetterSqlite3.Database;

const json = (value: unknown): string => JSON.stringify(value);
const parse = <T>(value: unknown): T => JSON.parse(String(value)) as T;
const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

const toCompany = (r: Row): Company => ({
  id: String(r.id), name: String(r.name), geolocation: strOrNull(r.geolocation), domain: strOrNull(r.domain),
  enabled: r.enabled === 1, createdAt: num(r.created_at),
});
const toUser = (r: Row): User => ({
  id: String(r.id), companyId: String(r.company_id), loginId: String(r.login_id), email: strOrNull(r.email),
  displayName: strOrNull(r.display_name), passwordHash: String(r.password_hash), roles: parse<string[]>(r.roles),
  status: r.status as UserStatus, failedLogins: num(r.failed_logins), lockedUntil: numOrNull(r.locked_until),
  createdAt: num(r.created_at), updatedAt: num(r.updated_at),
});
const toApp = (r: Row): App => ({
  id: String(r.id), companyId: String(r.company_id), name: String(r.name), description: String(r.description),
  stage: r.stage as App['stage'], appType: r.app_type as App['appType'], clientType: r.client_type as App['clientType'], grants: parse<string[]>(r.grants),
  scopes: parse<string[]>(r.scopes), redirectUris: parse<string[]>(r.redirect_uris), enabled: r.enabled === 1,
  listed: r.listed === 1, connectUrl: strOrNull(r.connect_url),
  createdAt: num(r.created_at), updatedAt: num(r.updated_at), lastUsedAt: numOrNull(r.last_used_at),
});
const toSecret = (r: Row): AppSecret => ({
  id: String(r.id), appId: String(r.app_id), digest: String(r.digest), status: r.status as SecretStatus,
  createdAt: num(r.created_at), updatedAt: num(r.updated_at),
});
const toGrant = (r: Row): AppCompanyGrant => ({
  appId: String(r.app_id), companyId: String(r.company_id), enabled: r.enabled === 1,
  createdAt: num(r.created_at), updatedAt: num(r.updated_at),
});
const toRequestToken = (r: Row): RequestToken => ({
  digest: String(r.digest), appId: String(r.app_id), companyId: String(r.company_id), uses: num(r.uses),
  maxUses: num(r.max_uses), expiresAt: num(r.expires_at), createdAt: num(r.created_at),
  connectionId: strOrNull(r.connection_id),
});
const toConnection = (r: Row): Connection => ({
  id: String(r.id), appId: String(r.app_id), principalType: r.principal_type as Connection['principalType'],
  principalId: String(r.principal_id), companyId: String(r.company_id), scopes: parse<string[]>(r.scopes),
  refreshExpiresAt: num(r.refresh_expires_at), createdAt: num(r.created_at),
  lastUsedAt: num(r.last_used_at), revokedAt: numOrNull(r.revoked_at),
});
const toRefreshToken = (r: Row): RefreshToken => ({
  digest: String(r.rt_digest), connectionId: String(r.rt_connection_id), createdAt: num(r.rt_created_at),
  supersededAt: numOrNull(r.rt_superseded_at),
});
const toRefreshLookup = (r: Row): RefreshLookup => ({
  token: toRefreshToken(r), connection: toConnection(r),
  companyGrantEnabled: r.g_enabled === null || r.g_enabled === undefined ? null : r.g_enabled === 1,
  userStatus: strOrNull(r.u_status) as UserStatus | null,
  company: companyOf(r),
});
const companyOf = (r: Row): Company | undefined => (r.co_id === null || r.co_id === undefined ? undefined : toCompany({
  id: r.co_id, name: r.co_name, geolocation: r.co_geolocation, domain: r.co_domain, enabled: r.co_enabled, created_at: r.co_created_at,
}));
const toConversionContext = (r: Row): ConversionContext => ({
  company: companyOf(r), companyGrantEnabled: r.g_enabled === null || r.g_enabled === undefined ? null : r.g_enabled === 1,
  connection: r.id === null || r.id === undefined ? undefined : toConnection(r),
});
const toKey = (r: Row): SigningKey => ({
  kid: String(r.kid), alg: String(r.alg), publicJwk: parse<Record<string, unknown>>(r.public_jwk),
  privateKeyEnc: String(r.private_key_enc), createdAt: num(r.created_at), activatesAt: num(r.activates_at),
  retiredAt: numOrNull(r.retired_at), expiresAt: numOrNull(r.expires_at),
});
const toAudit = (r: Row): StoredAuditEvent => ({
  id: num(r.id), at: num(r.at), action: String(r.action), outcome: r.outcome as AuditEvent['outcome'],
  correlationId: strOrNull(r.correlation_id), actorType: strOrNull(r.actor_type), actorId: strOrNull(r.actor_id),
  appId: strOrNull(r.app_id), companyId: strOrNull(r.company_id), principalId: strOrNull(r.principal_id),
  code: numOrNull(r.code), detail: r.detail == null ? null : parse<Record<string, unknown>>(r.detail),
});

const toOtp = (r: Row): OneTimePassword => ({
  digest: String(r.digest), appId: String(r.app_id), userId: String(r.user_id), companyId: String(r.company_id),
  handle: String(r.handle), factsDigest: String(r.facts_digest), createdAt: num(r.created_at), expiresAt: num(r.expires_at),
  usedAt: numOrNull(r.used_at),
});
const toOutboxMessage = (r: Row): OutboxMessage => ({
  id: String(r.id), companyId: String(r.company_id), to: String(r.recipient), subject: String(r.subject), text: String(r.body),
  createdAt: num(r.created_at),
});

const toSession = (r: Row): AdminSession => ({
  digest: String(r.digest), userId: String(r.user_id), companyId: String(r.company_id), createdAt: num(r.created_at),
  lastSeenAt: num(r.last_seen_at), expiresAt: num(r.expires_at),
});

const toCode = (r: Row): AuthorizationCode => ({
  digest: String(r.digest), appId: String(r.app_id), userId: String(r.user_id), companyId: String(r.company_id),
  redirectUri: String(r.redirect_uri), scopes: parse<string[]>(r.scopes), codeChallenge: strOrNull(r.code_challenge),
  nonce: strOrNull(r.nonce), createdAt: num(r.created_at), expiresAt: num(r.expires_at), usedAt: numOrNull(r.used_at),
  replayedAt: numOrNull(r.replayed_at), connectionId: strOrNull(r.connection_id),
});
const toConsent = (r: Row): Consent => ({
  userId: String(r.user_id), appId: String(r.app_id), scopes: parse<string[]>(r.scopes), createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const appSortColumns: Record<NonNullable<AppListQuery['sort']>, string> = {
  id: 'id', name: 'name COLLATE NOCASE', description: 'description COLLATE NOCASE', createdAt: 'created_at',
  updatedAt: 'updated_at', lastUsedAt: 'last_used_at',
};

/** Which connections are in each state at `@now` (`ConnectionStatus`). */
const connectionStates: Record<ConnectionStatus, string> = {
  active: 'revoked_at IS NULL AND refresh_expires_at > @now',
  expired: 'revoked_at IS NULL AND refresh_expires_at <= @now',
  revoked: 'revoked_at IS NOT NULL',
};

/**
 * Applies pending migrations one transaction each. The version is read again under the write
 * lock, so a process that opens a new file while another is migrating it applies nothing twice.
 */
function migrate(db: Database): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  while (version() < sqliteMigrations.length) {
    db.transaction(() => {
      const current = version();
      if (current >= sqliteMigrations.length) return;
      const migration = sqliteMigrations[current]!;
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${current + 1}`);
    }).immediate();
  }
}

export interface SqliteStoreOptions {
  /** Page cache, MB (SQLite's default is 2). */
  cacheMb?: number;
  /**
   * Checkpoint the WAL from a worker thread every this many milliseconds instead of inside the
   * request that fills it (`checkpointer.ts`); 0 (the default, for short-lived tools) leaves
   * checkpoints to SQLite.
   */
  checkpointIntervalMs?: number;
  /** Where a failed background checkpoint is reported. */
  onCheckpointError?: (message: string) => void;
}

/** Opens (creating and migrating as needed) the SQLite store at `file` (`:memory:` for a private one). */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const { default: Sqlite } = await import('better-sqlite3');
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // SQLite creates a new file with the umask's mode (0644 under the usual 022) and its -wal and
    // -shm files with the mode of the database file: a database made 0600 first keeps all three private.
    ensurePrivateFile(file);
    for (const companion of ['-wal', '-shm']) restrictToOwner(`${file}${companion}`);
  }
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (options.cacheMb) db.pragma(`cache_size = -${Math.floor(options.cacheMb * 1024)}`);
  migrate(db);
  let checkpointer: Checkpointer | undefined;
  if (options.checkpointIntervalMs && file !== ':memory:') {
    db.pragma(`wal_autocheckpoint = ${backstopCheckpointPages}`);
    checkpointer = startCheckpointer(file, options.checkpointIntervalMs, options.onCheckpointError ?? (() => undefined));
  }
  return new SqliteStore(db, checkpointer);
}

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly db: Database,
    private readonly checkpointer?: Checkpointer,
  ) {}

  /** A prepared statement, prepared on first use and cached. */
  private sql(text: string): BetterSqlite3.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }
  private one(text: string, ...params: unknown[]): Row | undefined {
    return this.sql(text).get(...params) as Row | undefined;
  }
  private all(text: string, ...params: unknown[]): Row[] {
    return this.sql(text).all(...params) as Row[];
  }
  private run(text: string, ...params: unknown[]): number {
    return this.sql(text).run(...params).changes;
  }

  readonly companies = {
    create: async (c: Company) => {
      this.run('INSERT INTO companies (id, name, geolocation, domain, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        c.id, c.name, c.geolocation, c.domain, c.enabled ? 1 : 0, c.createdAt);
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM companies WHERE id = ?', id);
      return r && toCompany(r);
    },
    list: async () => this.all('SELECT * FROM companies ORDER BY created_at, id').map(toCompany),
    count: async () => num(this.one('SELECT count(*) AS n FROM companies')!.n),
    setEnabled: async (id: string, enabled: boolean) =>
      this.run('UPDATE companies SET enabled = ? WHERE id = ?', enabled ? 1 : 0, id) === 1,
    setGeolocation: async (id: string, geolocation: string | null) =>
      this.run('UPDATE companies SET geolocation = ? WHERE id = ?', geolocation, id) === 1,
  };

  readonly users = {
    create: async (u: User) => {
      try {
        this.run(`INSERT INTO users (id, company_id, login_id, login_id_folded, email, display_name, password_hash, roles, status,
          failed_logins, locked_until, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        u.id, u.companyId, u.loginId, foldLoginId(u.loginId), u.email, u.displayName, u.passwordHash, json(u.roles), u.status,
        u.failedLogins, u.lockedUntil, u.createdAt, u.updatedAt);
      } catch (error) {
        const { code, message } = error as { code?: string; message?: string };
        if (code === 'SQLITE_CONSTRAINT_UNIQUE' && message?.includes('login_id')) throw new LoginIdTakenError(u.loginId);
        throw error;
      }
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM users WHERE id = ?', id);
      return r && toUser(r);
    },
    findByLoginId: async (loginId: string) => {
      const r = this.one('SELECT * FROM users WHERE login_id_folded = ?', foldLoginId(loginId));
      return r && toUser(r);
    },
    listByCompany: async (companyId: string) =>
      this.all('SELECT * FROM users WHERE company_id = ? ORDER BY login_id', companyId).map(toUser),
    pageByCompany: async (companyId: string, page: PageQuery): Promise<Page<User>> => {
      const total = num(this.one('SELECT count(*) AS n FROM users WHERE company_id = ?', companyId)!.n);
      const items = this.all('SELECT * FROM users WHERE company_id = ? ORDER BY login_id LIMIT ? OFFSET ?',
        companyId, page.limit, page.offset).map(toUser);
      return { items, total };
    },
    recordFailedLogin: async (id: string, now: number, lockAfter: number, lockUntil: number) => {
      const r = this.one(`UPDATE users SET failed_logins = failed_logins + 1, updated_at = ?,
          status = CASE WHEN failed_logins + 1 >= ? AND status <> 'disabled' THEN 'locked' ELSE status END,
          locked_until = CASE WHEN failed_logins + 1 >= ? AND status <> 'disabled' THEN ? ELSE locked_until END
        WHERE id = ? RETURNING failed_logins`, now, lockAfter, lockAfter, lockUntil, id);
      return r ? num(r.failed_logins) : 0;
    },
    clearFailedLogins: async (id: string, now: number) => {
      this.run(`UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = ?,
        status = CASE WHEN status = 'locked' THEN 'active' ELSE status END WHERE id = ?`, now, id);
    },
    setStatus: async (id: string, status: UserStatus, now: number) => {
      this.run('UPDATE users SET status = ?, updated_at = ? WHERE id = ?', status, now, id);
    },
    setPasswordHash: async (id: string, passwordHash: string, now: number) => {
      this.run('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?', passwordHash, now, id);
    },
    findByEmail: async (folded: string, limit: number) =>
      this.all('SELECT * FROM users WHERE lower(email) = ? ORDER BY id LIMIT ?', folded, limit).map(toUser),
  };

  readonly apps = {
    create: async (a: App) => this.insertApp(a),
    createWithSecret: async (a: App, s: AppSecret) => {
      this.db.transaction(() => {
        this.insertApp(a);
        this.insertGrant({ appId: a.id, companyId: a.companyId, enabled: true, createdAt: a.createdAt, updatedAt: a.createdAt });
        this.run('INSERT INTO app_secrets (id, app_id, digest, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
          s.id, s.appId, s.digest, s.status, s.createdAt, s.updatedAt);
      }).immediate();
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM apps WHERE id = ?', id);
      return r && toApp(r);
    },
    update: async (a: App) => {
      this.run(`UPDATE apps SET name = ?, description = ?, stage = ?, app_type = ?, client_type = ?, grants = ?, scopes = ?,
        redirect_uris = ?, enabled = ?, listed = ?, connect_url = ?, updated_at = ? WHERE id = ?`,
      a.name, a.description, a.stage, a.appType, a.clientType, json(a.grants), json(a.scopes), json(a.redirectUris),
      a.enabled ? 1 : 0, a.listed ? 1 : 0, a.connectUrl, a.updatedAt, a.id);
    },
    list: async (q: AppListQuery): Promise<Page<App>> => {
      const filter = q.filter ? `%${q.filter.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      const where = `company_id = ? AND (? IS NULL OR id LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')`;
      const params = [q.companyId, filter, filter, filter];
      const order = `${appSortColumns[q.sort ?? 'createdAt']} ${q.order === 'asc' ? 'ASC' : 'DESC'}, id`;
      const total = num(this.one(`SELECT count(*) AS n FROM apps WHERE ${where}`, ...params)!.n);
      const items = this.all(`SELECT * FROM apps WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`,
        ...params, q.limit ?? 50, q.offset ?? 0).map(toApp);
      return { items, total };
    },
    touchLastUsed: async (id: string, now: number) => {
      this.run('UPDATE apps SET last_used_at = ? WHERE id = ?', now, id);
    },
    // The write lock is taken first (IMMEDIATE), so the counts read are the ones the insert sees.
    addSecret: async (s: AppSecret, limits: SecretLimits): Promise<AddSecretOutcome> =>
      this.db.transaction(() => this.run(`INSERT INTO app_secrets (id, app_id, digest, status, created_at, updated_at)
          SELECT ?, ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM app_secrets WHERE app_id = ?) < ?
            AND (? <> 'active' OR (SELECT count(*) FROM app_secrets WHERE app_id = ? AND status = 'active') < ?)`,
      s.id, s.appId, s.digest, s.status, s.createdAt, s.updatedAt, s.appId, limits.maxSecrets,
      s.status, s.appId, limits.maxActive)).immediate() === 1 ? 'added' : 'limit',
    listSecrets: async (appId: string) =>
      this.all('SELECT * FROM app_secrets WHERE app_id = ? ORDER BY created_at, id', appId).map(toSecret),
    getClient: async (id: string) => {
      const r = this.one(`SELECT a.*, (SELECT json_group_array(json_array(id, digest)) FROM app_secrets
          WHERE app_id = a.id AND status = 'active') AS active_secrets FROM apps a WHERE a.id = ?`, id);
      return r && { app: toApp(r), activeSecrets: parse<[string, string][]>(r.active_secrets).map(([sid, digest]) => ({ id: sid, digest })) };
    },
    tokenStanding: async (p: TokenParts): Promise<TokenStanding> => {
      const r = this.one(`SELECT
          (SELECT enabled FROM apps WHERE id = @app) AS app_enabled,
          (SELECT enabled FROM companies WHERE id = @company) AS company_enabled,
          (SELECT enabled FROM app_companies WHERE app_id = @app AND company_id = @company) AS grant_enabled,
          (SELECT status FROM users WHERE id = @user AND company_id = @company) AS user_status,
          (SELECT revoked_at IS NOT NULL FROM connections WHERE id = @connection AND app_id = @app) AS connection_revoked,
          (SELECT status FROM app_secrets WHERE id = @secret AND app_id = @app) AS secret_status`,
      { app: p.appId, company: p.companyId, user: p.userId, connection: p.connectionId, secret: p.secretId })!;
      const flag = (value: unknown) => (value === null || value === undefined ? null : value === 1);
      return {
        appEnabled: flag(r.app_enabled), companyEnabled: flag(r.company_enabled), companyGrantEnabled: flag(r.grant_enabled),
        userStatus: strOrNull(r.user_status) as UserStatus | null, connectionRevoked: flag(r.connection_revoked),
        secretStatus: strOrNull(r.secret_status) as SecretStatus | null,
      };
    },
    setSecretStatus: async (appId: string, secretId: string, status: SecretStatus, now: number, limits: SecretLimits) =>
      this.db.transaction((): SecretStatusOutcome => {
        const set = this.run(`UPDATE app_secrets SET status = ?, updated_at = ? WHERE app_id = ? AND id = ?
          AND (? <> 'active' OR status = 'active'
            OR (SELECT count(*) FROM app_secrets WHERE app_id = ? AND status = 'active') < ?)`,
        status, now, appId, secretId, status, appId, limits.maxActive);
        if (set === 1) return 'set';
        return this.one('SELECT 1 FROM app_secrets WHERE app_id = ? AND id = ?', appId, secretId) ? 'limit' : 'missing';
      }).immediate(),
    deleteInactiveSecret: async (appId: string, secretId: string) =>
      this.run("DELETE FROM app_secrets WHERE app_id = ? AND id = ? AND status = 'inactive'", appId, secretId) === 1,
    grantCompany: async (g: AppCompanyGrant) => this.insertGrant(g),
    getCompanyGrant: async (appId: string, companyId: string) => {
      const r = this.one('SELECT * FROM app_companies WHERE app_id = ? AND company_id = ?', appId, companyId);
      return r && toGrant(r);
    },
    setCompanyGrant: async (appId: string, companyId: string, enabled: boolean, now: number) =>
      this.run('UPDATE app_companies SET enabled = ?, updated_at = ? WHERE app_id = ? AND company_id = ?',
        enabled ? 1 : 0, now, appId, companyId) === 1,
    listAppCenter: async (companyId: string, page: PageQuery): Promise<Page<AppCenterEntry>> => {
      const connectable = 'a.listed = 1 AND a.enabled = 1 AND o.enabled = 1';
      const from = `FROM apps a JOIN companies o ON o.id = a.company_id
        LEFT JOIN app_companies g ON g.app_id = a.id AND g.company_id = @company
        WHERE a.company_id <> @company AND ((${connectable}) OR g.enabled = 1)`;
      const total = num(this.one(`SELECT count(*) AS n ${from}`, { company: companyId })!.n);
      const items = this.all(`SELECT a.*, o.name AS owner_name, (${connectable}) AS connectable, g.enabled AS grant_enabled
        ${from} ORDER BY a.name COLLATE NOCASE, a.id LIMIT @limit OFFSET @offset`, { company: companyId, limit: page.limit, offset: page.offset })
        .map((r) => ({
          app: toApp(r), ownerName: String(r.owner_name), connectable: r.connectable === 1,
          grantEnabled: r.grant_enabled == null ? null : r.grant_enabled === 1,
        }));
      return { items, total };
    },
    countConnectedCompanies: async (appId: string) =>
      num(this.one(`SELECT count(*) AS n FROM app_companies g JOIN apps a ON a.id = g.app_id
        WHERE g.app_id = ? AND g.enabled = 1 AND g.company_id <> a.company_id`, appId)!.n),
    disableUnusedSince: async (cutoff: number, now: number) =>
      this.all(`UPDATE apps SET enabled = 0, updated_at = ?
        WHERE enabled = 1 AND coalesce(last_used_at, 0) <= ? AND updated_at <= ? AND created_at <= ? RETURNING *`,
      now, cutoff, cutoff, cutoff).map(toApp),
  };

  readonly requestTokens = {
    replace: async (t: RequestToken) => {
      this.db.transaction(() => {
        this.run('DELETE FROM request_tokens WHERE app_id = ? AND company_id = ?', t.appId, t.companyId);
        this.run(`INSERT INTO request_tokens (digest, app_id, company_id, uses, max_uses, expires_at, created_at, connection_id)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.digest, t.appId, t.companyId, t.uses, t.maxUses, t.expiresAt, t.createdAt, t.connectionId);
      }).immediate();
    },
    consume: async (digest: string, now: number) => {
      const r = this.one(`UPDATE request_tokens SET uses = uses + 1
        WHERE digest = ? AND uses < max_uses AND expires_at > ? RETURNING *`, digest, now);
      return r && toRequestToken(r);
    },
    linkConnection: async (digest: string, connectionId: string) => {
      const r = this.one(`UPDATE request_tokens SET connection_id = coalesce(connection_id, ?) WHERE digest = ?
        RETURNING connection_id`, connectionId, digest);
      return r ? String(r.connection_id) : connectionId;
    },
    // One statement (one WAL read lock) for every read of a conversion.
    conversionContext: async (appId: string, companyId: string, connectionId: string | null): Promise<ConversionContext> => {
      const r = this.one(`SELECT c.*, co.id AS co_id, co.name AS co_name, co.geolocation AS co_geolocation, co.domain AS co_domain,
          co.enabled AS co_enabled, co.created_at AS co_created_at, g.enabled AS g_enabled
        FROM (SELECT 1) AS one
          LEFT JOIN companies co ON co.id = @company
          LEFT JOIN app_companies g ON g.app_id = @app AND g.company_id = @company
          LEFT JOIN connections c ON c.id = @connection`,
      { app: appId, company: companyId, connection: connectionId })!;
      return toConversionContext(r);
    },
    deleteExpired: async (now: number) => this.run('DELETE FROM request_tokens WHERE expires_at <= ?', now),
  };

  readonly connections = {
    create: async (c: Connection) => {
      this.run(`INSERT INTO connections (id, app_id, principal_type, principal_id, company_id, scopes,
        refresh_expires_at, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      c.id, c.appId, c.principalType, c.principalId, c.companyId, json(c.scopes),
      c.refreshExpiresAt, c.createdAt, c.lastUsedAt, c.revokedAt);
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM connections WHERE id = ?', id);
      return r && toConnection(r);
    },
    listByApp: async (appId: string, companyId?: string) =>
      this.all('SELECT * FROM connections WHERE app_id = ? AND (? IS NULL OR company_id = ?) ORDER BY created_at DESC, id',
        appId, companyId ?? null, companyId ?? null).map(toConnection),
    page: async (q: ConnectionPageQuery): Promise<Page<Connection>> => {
      const where = `app_id = @app AND (@company IS NULL OR company_id = @company) AND ${q.status ? connectionStates[q.status] : 'TRUE'}`;
      const params = { app: q.appId, company: q.companyId ?? null, now: q.now };
      const total = num(this.one(`SELECT count(*) AS n FROM connections WHERE ${where}`, params)!.n);
      const items = this.all(`SELECT * FROM connections WHERE ${where} ORDER BY created_at DESC, id LIMIT @limit OFFSET @offset`,
        { ...params, limit: q.limit, offset: q.offset }).map(toConnection);
      return { items, total };
    },
    addRefreshToken: async (t: RefreshToken) => this.insertRefreshToken(t),
    findRefreshToken: async (digest: string) => {
      const r = this.one(`SELECT c.*, t.digest AS rt_digest, t.connection_id AS rt_connection_id,
          t.created_at AS rt_created_at, t.superseded_at AS rt_superseded_at
        FROM refresh_tokens t JOIN connections c ON c.id = t.connection_id WHERE t.digest = ?`, digest);
      return r && { token: toRefreshToken(r), connection: toConnection(r) };
    },
    // One statement (one WAL read lock) for every read of a refresh.
    findRefresh: async (digest: string): Promise<RefreshLookup | undefined> => {
      const r = this.one(`SELECT c.*, t.digest AS rt_digest, t.connection_id AS rt_connection_id,
          t.created_at AS rt_created_at, t.superseded_at AS rt_superseded_at, g.enabled AS g_enabled, u.status AS u_status,
          co.id AS co_id, co.name AS co_name, co.geolocation AS co_geolocation, co.domain AS co_domain,
          co.enabled AS co_enabled, co.created_at AS co_created_at
        FROM refresh_tokens t JOIN connections c ON c.id = t.connection_id
          LEFT JOIN app_companies g ON g.app_id = c.app_id AND g.company_id = c.company_id
          LEFT JOIN users u ON c.principal_type = 'user' AND u.id = c.principal_id
          LEFT JOIN companies co ON co.id = c.company_id
        WHERE t.digest = ?`, digest);
      return r && toRefreshLookup(r);
    },
    rotateRefreshToken: async (r: RefreshRotation): Promise<RotationOutcome> =>
      this.db.transaction((): RotationOutcome => {
        const presented = this.one(`UPDATE refresh_tokens SET superseded_at = coalesce(superseded_at, ?)
          WHERE digest = ? AND connection_id = ? RETURNING superseded_at, created_at`, r.now, r.presentedDigest, r.connectionId);
        if (!presented) return 'ended';
        // Superseded before the window: a retry if nothing of the family was presented since, else a replay.
        const retry = num(presented.superseded_at) < r.graceFrom ? 1 : 0;
        // SQLite rewrites an index whenever its column is SET, even to the same value: without a new
        // expiry the statement leaves refresh_expires_at out, so connections_expiry is not touched.
        const expiry = r.refreshExpiresAt === null ? '' : 'refresh_expires_at = max(refresh_expires_at, @expiresAt), ';
        const slid = this.run(`UPDATE connections SET ${expiry}last_used_at = @now, last_presented = @presented,
            withdrawn_before = CASE WHEN @retry THEN max(coalesce(withdrawn_before, 0), @graceFrom) ELSE withdrawn_before END
          WHERE id = @connection AND revoked_at IS NULL AND refresh_expires_at > @now
            AND CASE WHEN @retry THEN last_presented = @presented ELSE @createdAt >= coalesce(withdrawn_before, 0) END`,
        { ...(r.refreshExpiresAt === null ? {} : { expiresAt: r.refreshExpiresAt }), now: r.now, presented: r.presentedDigest, retry,
          graceFrom: r.graceFrom, connection: r.connectionId, createdAt: num(presented.created_at) });
        if (slid === 1) {
          this.insertRefreshToken(r.next);
          return retry ? 'retried' : 'rotated';
        }
        const connection = this.one('SELECT 1 FROM connections WHERE id = ? AND revoked_at IS NULL AND refresh_expires_at > ?', r.connectionId, r.now);
        if (!connection) return 'ended';
        return retry ? 'replayed' : 'withdrawn';
      }).immediate(),
    slide: async (id: string, now: number, refreshExpiresAt: number) => this.slideConnection(id, now, refreshExpiresAt),
    revoke: async (id: string, now: number) =>
      this.run('UPDATE connections SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', now, id) === 1,
    revokeByPrincipal: async (appId: string, principalId: string, now: number) =>
      this.run('UPDATE connections SET revoked_at = ? WHERE app_id = ? AND principal_id = ? AND revoked_at IS NULL',
        now, appId, principalId),
    revokeByCompany: async (appId: string, companyId: string, now: number) =>
      this.run('UPDATE connections SET revoked_at = ? WHERE app_id = ? AND company_id = ? AND revoked_at IS NULL', now, appId, companyId),
    revokeAllOfPrincipal: async (principalId: string, now: number) =>
      this.run('UPDATE connections SET revoked_at = ? WHERE principal_id = ? AND revoked_at IS NULL', now, principalId),
    sweep: async (before: number) =>
      this.run('DELETE FROM connections WHERE (revoked_at IS NOT NULL AND revoked_at < ?) OR refresh_expires_at < ?', before, before),
    deleteTokensOfEnded: async (now: number, limit: number) =>
      this.run(`DELETE FROM refresh_tokens WHERE digest IN (SELECT t.digest FROM refresh_tokens t
        JOIN connections c ON c.id = t.connection_id WHERE c.revoked_at IS NOT NULL OR c.refresh_expires_at <= ? LIMIT ?)`, now, limit),
    deleteSupersededBefore: async (before: number, limit: number) =>
      this.run(`DELETE FROM refresh_tokens WHERE digest IN (SELECT digest FROM refresh_tokens
        WHERE superseded_at IS NOT NULL AND superseded_at < ? LIMIT ?)`, before, limit),
  };

  private insertApp(a: App): void {
    this.run(`INSERT INTO apps (id, company_id, name, description, stage, app_type, client_type, grants, scopes, redirect_uris,
      enabled, listed, connect_url, created_at, updated_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    a.id, a.companyId, a.name, a.description, a.stage, a.appType, a.clientType, json(a.grants), json(a.scopes),
    json(a.redirectUris), a.enabled ? 1 : 0, a.listed ? 1 : 0, a.connectUrl, a.createdAt, a.updatedAt, a.lastUsedAt);
  }

  /** Grants a company the app, or switches an existing grant (keeping its creation time). */
  private insertGrant(g: AppCompanyGrant): void {
    this.run(`INSERT INTO app_companies (app_id, company_id, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (app_id, company_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
    g.appId, g.companyId, g.enabled ? 1 : 0, g.createdAt, g.updatedAt);
  }

  private insertRefreshToken(t: RefreshToken): void {
    this.run('INSERT INTO refresh_tokens (digest, connection_id, created_at, superseded_at) VALUES (?, ?, ?, ?)',
      t.digest, t.connectionId, t.createdAt, t.supersededAt);
  }

  private slideConnection(id: string, now: number, refreshExpiresAt: number): boolean {
    return this.run(`UPDATE connections SET refresh_expires_at = max(refresh_expires_at, ?), last_used_at = ?
      WHERE id = ? AND revoked_at IS NULL AND refresh_expires_at > ?`, refreshExpiresAt, now, id, now) === 1;
  }

  readonly keys = {
    add: async (k: SigningKey) => {
      this.run(`INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc, created_at, activates_at, retired_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, k.kid, k.alg, json(k.publicJwk), k.privateKeyEnc, k.createdAt, k.activatesAt,
      k.retiredAt, k.expiresAt);
    },
    list: async () => this.all('SELECT * FROM signing_keys ORDER BY created_at, kid').map(toKey),
    retire: async (kid: string, retiredAt: number, expiresAt: number) => {
      this.run('UPDATE signing_keys SET retired_at = ?, expires_at = ? WHERE kid = ? AND retired_at IS NULL', retiredAt, expiresAt, kid);
    },
    deleteExpired: async (before: number) => this.run('DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at < ?', before),
  };

  readonly audit = {
    append: async (events: AuditEvent[]) => {
      if (events.length === 0) return;
      const insert = this.sql(`INSERT INTO audit_events (at, action, outcome, correlation_id, actor_type, actor_id, app_id,
        company_id, principal_id, code, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      this.db.transaction(() => {
        for (const e of events) {
          insert.run(e.at, e.action, e.outcome, e.correlationId, e.actorType, e.actorId, e.appId, e.companyId,
            e.principalId, e.code, e.detail ? json(e.detail) : null);
        }
      })();
    },
    query: async (q: AuditQuery): Promise<Page<StoredAuditEvent>> => {
      const where = `(? IS NULL OR company_id = ?) AND (? IS NULL OR app_id = ?) AND (? IS NULL OR principal_id = ?)
        AND (? IS NULL OR action = ?) AND (? IS NULL OR at >= ?) AND (? IS NULL OR at < ?)`;
      const pair = (v: unknown) => [v ?? null, v ?? null];
      const params = [...pair(q.companyId), ...pair(q.appId), ...pair(q.principalId), ...pair(q.action), ...pair(q.since), ...pair(q.until)];
      const total = num(this.one(`SELECT count(*) AS n FROM audit_events WHERE ${where}`, ...params)!.n);
      const items = this.all(`SELECT * FROM audit_events WHERE ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
        ...params, q.limit ?? 100, q.offset ?? 0).map(toAudit);
      return { items, total };
    },
    deleteBefore: async (before: number, limit: number) =>
      this.run('DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ? ORDER BY at LIMIT ?)', before, limit),
  };

  readonly sessions = {
    create: async (x: AdminSession) => {
      this.run(`INSERT INTO admin_sessions (digest, user_id, company_id, created_at, last_seen_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?)`, x.digest, x.userId, x.companyId, x.createdAt, x.lastSeenAt, x.expiresAt);
    },
    touch: async (digest: string, now: number, idleSince: number) => {
      const r = this.one(`UPDATE admin_sessions SET last_seen_at = max(last_seen_at, ?)
        WHERE digest = ? AND expires_at > ? AND last_seen_at > ? RETURNING *`, now, digest, now, idleSince);
      return r && toSession(r);
    },
    delete: async (digest: string) => this.run('DELETE FROM admin_sessions WHERE digest = ?', digest) === 1,
    deleteByUser: async (userId: string) => this.run('DELETE FROM admin_sessions WHERE user_id = ?', userId),
    deleteExpired: async (now: number, idleSince: number) =>
      this.run('DELETE FROM admin_sessions WHERE expires_at <= ? OR last_seen_at <= ?', now, idleSince),
  };

  readonly authorizations = {
    createCode: async (c: AuthorizationCode) => {
      this.run(`INSERT INTO authorization_codes (digest, app_id, user_id, company_id, redirect_uri, scopes, code_challenge, nonce,
        created_at, expires_at, used_at, replayed_at, connection_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      c.digest, c.appId, c.userId, c.companyId, c.redirectUri, json(c.scopes), c.codeChallenge, c.nonce, c.createdAt, c.expiresAt,
      c.usedAt, c.replayedAt, c.connectionId);
    },
    getCode: async (digest: string) => {
      const r = this.one('SELECT * FROM authorization_codes WHERE digest = ?', digest);
      return r && toCode(r);
    },
    useCode: async (digest: string, now: number): Promise<CodeUse | undefined> => {
      const first = this.one('UPDATE authorization_codes SET used_at = ? WHERE digest = ? AND used_at IS NULL RETURNING *', now, digest);
      if (first) return { code: toCode(first), firstUse: true };
      const again = this.one('UPDATE authorization_codes SET replayed_at = coalesce(replayed_at, ?) WHERE digest = ? RETURNING *', now, digest);
      return again && { code: toCode(again), firstUse: false };
    },
    linkCodeConnection: async (digest: string, connectionId: string) => {
      const r = this.one('UPDATE authorization_codes SET connection_id = ? WHERE digest = ? RETURNING replayed_at', connectionId, digest);
      return r !== undefined && r.replayed_at !== null;
    },
    deleteExpiredCodes: async (now: number) => this.run('DELETE FROM authorization_codes WHERE expires_at <= ?', now),
    saveConsent: async (c: Consent) => {
      this.run(`INSERT INTO consents (user_id, app_id, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (user_id, app_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
      c.userId, c.appId, json(c.scopes), c.createdAt, c.updatedAt);
    },
    getConsent: async (userId: string, appId: string) => {
      const r = this.one('SELECT * FROM consents WHERE user_id = ? AND app_id = ?', userId, appId);
      return r && toConsent(r);
    },
    listConsents: async (userId: string) =>
      this.all('SELECT * FROM consents WHERE user_id = ? ORDER BY updated_at DESC, app_id', userId).map(toConsent),
    deleteConsent: async (userId: string, appId: string) =>
      this.run('DELETE FROM consents WHERE user_id = ? AND app_id = ?', userId, appId) === 1,
  };

  readonly locks = new ProcessLocks();

  readonly otps = {
    // One conditional INSERT: SQLite runs one writer at a time, so the count it reads is the one it inserts against.
    add: async (o: OneTimePassword, maxOpen: number, now: number): Promise<AddOtpOutcome> =>
      this.run(`INSERT INTO otps (digest, app_id, user_id, company_id, handle, facts_digest, created_at, expires_at, used_at)
        SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM otps
          WHERE handle = ? AND used_at IS NULL AND expires_at > ?) < ?`,
      o.digest, o.appId, o.userId, o.companyId, o.handle, o.factsDigest, o.createdAt, o.expiresAt, o.usedAt,
      o.handle, now, maxOpen) === 1 ? 'added' : 'limit',
    find: async (digest: string) => {
      const r = this.one('SELECT * FROM otps WHERE digest = ?', digest);
      return r && toOtp(r);
    },
    consume: async (digest: string, now: number) => {
      const r = this.one('UPDATE otps SET used_at = ? WHERE digest = ? AND used_at IS NULL AND expires_at > ? RETURNING *', now, digest, now);
      return r && toOtp(r);
    },
    delete: async (digest: string) => this.run('DELETE FROM otps WHERE digest = ?', digest) === 1,
    deleteEnded: async (now: number) => this.run('DELETE FROM otps WHERE expires_at <= ? OR used_at IS NOT NULL', now),
  };

  readonly outbox = {
    add: async (m: OutboxMessage) => {
      this.run('INSERT INTO outbox (id, company_id, recipient, subject, body, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        m.id, m.companyId, m.to, m.subject, m.text, m.createdAt);
    },
    listByCompany: async (companyId: string, limit: number) =>
      this.all('SELECT * FROM outbox WHERE company_id = ? ORDER BY created_at DESC, id DESC LIMIT ?', companyId, limit).map(toOutboxMessage),
    deleteBefore: async (before: number, limit: number) =>
      this.run('DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_at < ? ORDER BY created_at LIMIT ?)', before, limit),
  };

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    // The last connection to close checkpoints what is left and removes the WAL.
    this.db.close();
  }
}
