/**
 * The PostgreSQL backend, for many nodes sharing one database (docs/architecture.md "Storage"). Same
 * semantics as the SQLite store: every single-use or rotating operation is one conditional
 * `UPDATE … RETURNING` or `DELETE`, so under concurrent callers on any number of nodes exactly
 * one wins (PostgreSQL re-checks the condition on the row it waited for).
 */
import type pg from 'pg';
import { LoginIdTakenError } from '../errors.js';
import { foldLoginId } from '../login-ids.js';
import { AdvisoryLocks } from './advisory-locks.js';
import { applyPostgresMigrations, schemaNamePattern } from './migrations.js';
import { inTransaction } from './transaction.js';
import {
  auditRecord, jsonb, num, toApp, toCode, toConsent, toAudit, toCompany, toConnection, toGrant, toKey, toOtp, toOutboxMessage,
  toConversionContext, toRefreshLookup, toRefreshToken, toRequestToken, toSecret, toSession, toUser, type Row,
} from './rows.js';
import type {
  AddOtpOutcome, AddSecretOutcome, AdminSession, App, AppCenterEntry, AuthorizationCode, CodeUse, Consent, AppCompanyGrant, AppListQuery, AppSecret,
  AuditEvent, AuditQuery, Company, Connection, ConnectionPageQuery, ConversionContext, ConnectionStatus, OneTimePassword, OutboxMessage, Page, PageQuery,
  RefreshLookup, RefreshRotation, RefreshToken, RequestToken, RotationOutcome, SecretLimits, SecretStatus, SecretStatusOutcome, SigningKey, Store,
  StoredAuditEvent, TokenParts, TokenStanding, User, UserStatus,
} from '../types.js';

export interface PostgresStoreOptions {
  /** The schema to keep the tables in (created when missing; default `public`). Plain lower-case identifiers only. */
  schema?: string;
  /** Most connections the pool opens (default 10). */
  maxConnections?: number;
}

/**
 * Opens a pool on `url` (`postgres://user:password@host:port/database`), applies pending
 * migrations under an advisory lock, and answers the store. `pg` is loaded only here, so
 * SQLite-only installations never load it.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const schema = options.schema ?? 'public';
  if (!schemaNamePattern.test(schema)) throw new RangeError(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
  const { default: driver } = await import('pg');
  const pool = new driver.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    options: `-c search_path=${schema}`,
    application_name: 'tessera',
  });
  // A connection that breaks while idle is dropped by the pool and the next query opens another;
  // without a listener the pool's 'error' event would end the process.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await applyPostgresMigrations(client, schema);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PostgresStore(pool, schema);
}

const appSortColumns: Record<NonNullable<AppListQuery['sort']>, string> = {
  id: 'id COLLATE "C"', name: 'lower(name) COLLATE "C"', description: 'lower(description) COLLATE "C"',
  createdAt: 'created_at', updatedAt: 'updated_at', lastUsedAt: 'last_used_at',
};



/** What a statement inside a transaction runs on: the transaction's own connection. */
type Query = (text: string, params?: unknown[]) => Promise<pg.QueryResult<Row>>;

/** `%filter%` for LIKE, with the wildcards of the filter itself taken literally. */
const containsPattern = (filter: string): string => `%${filter.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** WHERE conditions with their numbered parameters, built from only the filters given. */
class Conditions {
  readonly params: unknown[] = [];
  private readonly clauses: string[] = [];

  /** Adds `clause`, in which `$?` stands for `value`, unless `value` is undefined or null (no filter). */
  add(clause: string, value: unknown): this {
    if (value === undefined || value === null) return this;
    this.params.push(value);
    this.clauses.push(clause.replaceAll('$?', `$${this.params.length}`));
    return this;
  }

  /** Adds a condition without parameters. */
  always(clause: string): this {
    this.clauses.push(clause);
    return this;
  }

  get sql(): string {
    return this.clauses.length === 0 ? 'TRUE' : this.clauses.join(' AND ');
  }

  /** The placeholder of the next parameter (for LIMIT and OFFSET after the conditions). */
  next(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/** Which connections are in each state at `now` (`ConnectionStatus`). */
const connectionStates: Record<ConnectionStatus, (where: Conditions, now: number) => Conditions> = {
  active: (where, now) => where.add('revoked_at IS NULL AND refresh_expires_at > $?', now),
  expired: (where, now) => where.add('revoked_at IS NULL AND refresh_expires_at <= $?', now),
  revoked: (where) => where.always('revoked_at IS NOT NULL'),
};

class PostgresStore implements Store {
  readonly kind = 'postgres' as const;

  readonly locks: AdvisoryLocks;

  constructor(private readonly pool: pg.Pool, schema: string) {
    this.locks = new AdvisoryLocks(pool, schema);
  }

  private async all(text: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query<Row>(text, params)).rows;
  }
  private async one(text: string, params: unknown[] = []): Promise<Row | undefined> {
    return (await this.pool.query<Row>(text, params)).rows[0];
  }
  /** Runs a statement; answers how many rows it changed. */
  private async run(text: string, params: unknown[] = []): Promise<number> {
    return (await this.pool.query(text, params)).rowCount ?? 0;
  }

  /** Runs `work` in one transaction on one connection of the pool: committed when it answers, rolled back when it throws. */
  private async transaction<T>(work: (query: Query) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await inTransaction(client, () => work((text, params) => client.query<Row>(text, params)));
    } finally {
      client.release();
    }
  }

  /**
   * Locks the app's row until the transaction ends: the secret limits are checked and kept under
   * it, so concurrent changes to one app's secrets take turns. Each later statement (READ
   * COMMITTED) sees what the previous holder committed.
   */
  private static async lockApp(query: Query, appId: string): Promise<void> {
    await query('SELECT 1 FROM apps WHERE id = $1 FOR UPDATE', [appId]);
  }

  readonly companies = {
    create: async (c: Company) => {
      await this.run('INSERT INTO companies (id, name, geolocation, domain, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [c.id, c.name, c.geolocation, c.domain, c.enabled, c.createdAt]);
    },
    get: async (id: string) => {
      const r = await this.one('SELECT * FROM companies WHERE id = $1', [id]);
      return r && toCompany(r);
    },
    list: async () => (await this.all('SELECT * FROM companies ORDER BY created_at, id COLLATE "C"')).map(toCompany),
    count: async () => num((await this.one('SELECT count(*) AS n FROM companies'))!.n),
    setEnabled: async (id: string, enabled: boolean) =>
      (await this.run('UPDATE companies SET enabled = $2 WHERE id = $1', [id, enabled])) === 1,
    setGeolocation: async (id: string, geolocation: string | null) =>
      (await this.run('UPDATE companies SET geolocation = $2 WHERE id = $1', [id, geolocation])) === 1,
  };

  readonly users = {
    create: async (u: User) => {
      try {
        await this.run(`INSERT INTO users (id, company_id, login_id, login_id_folded, email, display_name, password_hash, roles, status,
          failed_logins, locked_until, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [u.id, u.companyId, u.loginId, foldLoginId(u.loginId), u.email, u.displayName, u.passwordHash, jsonb(u.roles), u.status,
          u.failedLogins, u.lockedUntil, u.createdAt, u.updatedAt]);
      } catch (error) {
        // 23505 unique_violation, on the login id's unique index (not the primary key).
        const { code, constraint, detail } = error as { code?: string; constraint?: string; detail?: string };
        if (code === '23505' && (constraint ?? detail ?? '').includes('login_id')) throw new LoginIdTakenError(u.loginId);
        throw error;
      }
    },
    get: async (id: string) => {
      const r = await this.one('SELECT * FROM users WHERE id = $1', [id]);
      return r && toUser(r);
    },
    findByLoginId: async (loginId: string) => {
      const r = await this.one('SELECT * FROM users WHERE login_id_folded = $1', [foldLoginId(loginId)]);
      return r && toUser(r);
    },
    listByCompany: async (companyId: string) =>
      (await this.all('SELECT * FROM users WHERE company_id = $1 ORDER BY login_id COLLATE "C"', [companyId])).map(toUser),
    pageByCompany: async (companyId: string, page: PageQuery): Promise<Page<User>> => {
      const total = num((await this.one('SELECT count(*) AS n FROM users WHERE company_id = $1', [companyId]))!.n);
      const rows = await this.all('SELECT * FROM users WHERE company_id = $1 ORDER BY login_id COLLATE "C" LIMIT $2 OFFSET $3',
        [companyId, page.limit, page.offset]);
      return { items: rows.map(toUser), total };
    },
    recordFailedLogin: async (id: string, now: number, lockAfter: number, lockUntil: number) => {
      const r = await this.one(`UPDATE users SET failed_logins = failed_logins + 1, updated_at = $2,
          status = CASE WHEN failed_logins + 1 >= $3 AND status <> 'disabled' THEN 'locked' ELSE status END,
          locked_until = CASE WHEN failed_logins + 1 >= $3 AND status <> 'disabled' THEN $4 ELSE locked_until END
        WHERE id = $1 RETURNING failed_logins`, [id, now, lockAfter, lockUntil]);
      return r ? num(r.failed_logins) : 0;
    },
    clearFailedLogins: async (id: string, now: number) => {
      await this.run(`UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $2,
        status = CASE WHEN status = 'locked' THEN 'active' ELSE status END WHERE id = $1`, [id, now]);
    },
    setStatus: async (id: string, status: UserStatus, now: number) => {
      await this.run('UPDATE users SET status = $2, updated_at = $3 WHERE id = $1', [id, status, now]);
    },
    setPasswordHash: async (id: string, passwordHash: string, now: number) => {
      await this.run('UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1', [id, passwordHash, now]);
    },
    findByEmail: async (folded: string, limit: number) =>
      (await this.all('SELECT * FROM users WHERE lower(email COLLATE "C") = $1 ORDER BY id COLLATE "C" LIMIT $2', [folded, limit])).map(toUser),
  };

  readonly apps = {
    create: async (a: App) => {
      await PostgresStore.insertApp((text, params) => this.pool.query<Row>(text, params), a);
    },
    createWithSecret: async (a: App, s: AppSecret) => {
      await this.transaction(async (query) => {
        await PostgresStore.insertApp(query, a);
        await PostgresStore.insertGrant(query, { appId: a.id, companyId: a.companyId, enabled: true, createdAt: a.createdAt, updatedAt: a.createdAt });
        await query('INSERT INTO app_secrets (id, app_id, digest, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)',
          [s.id, s.appId, s.digest, s.status, s.createdAt, s.updatedAt]);
      });
    },
    get: async (id: string) => {
      const r = await this.one('SELECT * FROM apps WHERE id = $1', [id]);
      return r && toApp(r);
    },
    update: async (a: App) => {
      await this.run(`UPDATE apps SET name = $2, description = $3, stage = $4, app_type = $5, grants = $6, scopes = $7,
        redirect_uris = $8, enabled = $9, updated_at = $10, client_type = $11, listed = $12, connect_url = $13 WHERE id = $1`,
      [a.id, a.name, a.description, a.stage, a.appType, jsonb(a.grants), jsonb(a.scopes), jsonb(a.redirectUris),
        a.enabled, a.updatedAt, a.clientType, a.listed, a.connectUrl]);
    },
    list: async (q: AppListQuery): Promise<Page<App>> => {
      const where = new Conditions()
        .add('company_id = $?', q.companyId)
        .add("(id ILIKE $? ESCAPE '\\' OR name ILIKE $? ESCAPE '\\')", q.filter ? containsPattern(q.filter) : undefined);
      // NULL sorts as the smallest value, as in SQLite: never-used apps come last when newest-used come first.
      const direction = q.order === 'asc' ? 'ASC NULLS FIRST' : 'DESC NULLS LAST';
      const total = num((await this.one(`SELECT count(*) AS n FROM apps WHERE ${where.sql}`, where.params))!.n);
      const rows = await this.all(`SELECT * FROM apps WHERE ${where.sql}
        ORDER BY ${appSortColumns[q.sort ?? 'createdAt']} ${direction}, id COLLATE "C"
        LIMIT ${where.next(q.limit ?? 50)} OFFSET ${where.next(q.offset ?? 0)}`, where.params);
      return { items: rows.map(toApp), total };
    },
    touchLastUsed: async (id: string, now: number) => {
      await this.run('UPDATE apps SET last_used_at = $2 WHERE id = $1', [id, now]);
    },
    addSecret: async (s: AppSecret, limits: SecretLimits): Promise<AddSecretOutcome> =>
      this.transaction(async (query) => {
        await PostgresStore.lockApp(query, s.appId);
        const added = await query(`INSERT INTO app_secrets (id, app_id, digest, status, created_at, updated_at)
          SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT count(*) FROM app_secrets WHERE app_id = $2) < $7
            AND ($4 <> 'active' OR (SELECT count(*) FROM app_secrets WHERE app_id = $2 AND status = 'active') < $8)`,
        [s.id, s.appId, s.digest, s.status, s.createdAt, s.updatedAt, limits.maxSecrets, limits.maxActive]);
        return added.rowCount === 1 ? 'added' : 'limit';
      }),
    listSecrets: async (appId: string) =>
      (await this.all('SELECT * FROM app_secrets WHERE app_id = $1 ORDER BY created_at, id COLLATE "C"', [appId])).map(toSecret),
    getClient: async (id: string) => {
      const r = await this.one(`SELECT a.*, coalesce((SELECT json_agg(json_build_array(id, digest)) FROM app_secrets
          WHERE app_id = a.id AND status = 'active'), '[]') AS active_secrets FROM apps a WHERE a.id = $1`, [id]);
      return r && { app: toApp(r), activeSecrets: (r.active_secrets as [string, string][]).map(([sid, digest]) => ({ id: sid, digest })) };
    },
    tokenStanding: async (p: TokenParts): Promise<TokenStanding> => {
      const r = (await this.one(`SELECT
          (SELECT enabled FROM apps WHERE id = $1) AS app_enabled,
          (SELECT enabled FROM companies WHERE id = $2) AS company_enabled,
          (SELECT enabled FROM app_companies WHERE app_id = $1 AND company_id = $2) AS grant_enabled,
          (SELECT status FROM users WHERE id = $3 AND company_id = $2) AS user_status,
          (SELECT revoked_at IS NOT NULL FROM connections WHERE id = $4 AND app_id = $1) AS connection_revoked,
          (SELECT status FROM app_secrets WHERE id = $5 AND app_id = $1) AS secret_status`,
      [p.appId, p.companyId, p.userId, p.connectionId, p.secretId]))!;
      const flag = (value: unknown) => (value === null || value === undefined ? null : value === true);
      const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
      return {
        appEnabled: flag(r.app_enabled), companyEnabled: flag(r.company_enabled), companyGrantEnabled: flag(r.grant_enabled),
        userStatus: text(r.user_status) as UserStatus | null, connectionRevoked: flag(r.connection_revoked),
        secretStatus: text(r.secret_status) as SecretStatus | null,
      };
    },
    setSecretStatus: async (appId: string, secretId: string, status: SecretStatus, now: number, limits: SecretLimits) =>
      this.transaction(async (query): Promise<SecretStatusOutcome> => {
        await PostgresStore.lockApp(query, appId);
        const set = await query(`UPDATE app_secrets SET status = $3, updated_at = $4 WHERE app_id = $1 AND id = $2
          AND ($3 <> 'active' OR status = 'active'
            OR (SELECT count(*) FROM app_secrets WHERE app_id = $1 AND status = 'active') < $5)`,
        [appId, secretId, status, now, limits.maxActive]);
        if (set.rowCount === 1) return 'set';
        return (await query('SELECT 1 FROM app_secrets WHERE app_id = $1 AND id = $2', [appId, secretId])).rowCount ? 'limit' : 'missing';
      }),
    deleteInactiveSecret: async (appId: string, secretId: string) =>
      (await this.run("DELETE FROM app_secrets WHERE app_id = $1 AND id = $2 AND status = 'inactive'", [appId, secretId])) === 1,
    grantCompany: async (g: AppCompanyGrant) => {
      await PostgresStore.insertGrant((text, params) => this.pool.query<Row>(text, params), g);
    },
    getCompanyGrant: async (appId: string, companyId: string) => {
      const r = await this.one('SELECT * FROM app_companies WHERE app_id = $1 AND company_id = $2', [appId, companyId]);
      return r && toGrant(r);
    },
    setCompanyGrant: async (appId: string, companyId: string, enabled: boolean, now: number) =>
      (await this.run('UPDATE app_companies SET enabled = $3, updated_at = $4 WHERE app_id = $1 AND company_id = $2',
        [appId, companyId, enabled, now])) === 1,
    listAppCenter: async (companyId: string, page: PageQuery): Promise<Page<AppCenterEntry>> => {
      const connectable = 'a.listed AND a.enabled AND o.enabled';
      const from = `FROM apps a JOIN companies o ON o.id = a.company_id
        LEFT JOIN app_companies g ON g.app_id = a.id AND g.company_id = $1
        WHERE a.company_id <> $1 AND ((${connectable}) OR g.enabled)`;
      const total = num((await this.one(`SELECT count(*) AS n ${from}`, [companyId]))!.n);
      const rows = await this.all(`SELECT a.*, o.name AS owner_name, (${connectable}) AS connectable, g.enabled AS grant_enabled
        ${from} ORDER BY lower(a.name) COLLATE "C", a.id COLLATE "C" LIMIT $2 OFFSET $3`, [companyId, page.limit, page.offset]);
      const items = rows.map((r) => ({
        app: toApp(r), ownerName: String(r.owner_name), connectable: r.connectable === true,
        grantEnabled: r.grant_enabled === null ? null : r.grant_enabled === true,
      }));
      return { items, total };
    },
    countConnectedCompanies: async (appId: string) =>
      num((await this.one(`SELECT count(*) AS n FROM app_companies g JOIN apps a ON a.id = g.app_id
        WHERE g.app_id = $1 AND g.enabled AND g.company_id <> a.company_id`, [appId]))!.n),
    disableUnusedSince: async (cutoff: number, now: number) =>
      (await this.all(`UPDATE apps SET enabled = false, updated_at = $2
        WHERE enabled AND coalesce(last_used_at, 0) <= $1 AND updated_at <= $1 AND created_at <= $1 RETURNING *`,
      [cutoff, now])).map(toApp),
  };

  readonly requestTokens = {
    /** One upsert on (app, company), so two concurrent replacements cannot both insert. */
    replace: async (t: RequestToken) => {
      await this.run(`INSERT INTO request_tokens (digest, app_id, company_id, uses, max_uses, expires_at, created_at, connection_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (app_id, company_id) DO UPDATE SET digest = excluded.digest, uses = excluded.uses,
          max_uses = excluded.max_uses, expires_at = excluded.expires_at, created_at = excluded.created_at,
          connection_id = excluded.connection_id`,
      [t.digest, t.appId, t.companyId, t.uses, t.maxUses, t.expiresAt, t.createdAt, t.connectionId]);
    },
    consume: async (digest: string, now: number) => {
      const r = await this.one(`UPDATE request_tokens SET uses = uses + 1
        WHERE digest = $1 AND uses < max_uses AND expires_at > $2 RETURNING *`, [digest, now]);
      return r && toRequestToken(r);
    },
    linkConnection: async (digest: string, connectionId: string) => {
      const r = await this.one(`UPDATE request_tokens SET connection_id = coalesce(connection_id, $2) WHERE digest = $1
        RETURNING connection_id`, [digest, connectionId]);
      return r ? String(r.connection_id) : connectionId;
    },
    // One statement, so one round trip, for every read of a conversion.
    conversionContext: async (appId: string, companyId: string, connectionId: string | null): Promise<ConversionContext> =>
      toConversionContext((await this.one(`SELECT c.*, co.id AS co_id, co.name AS co_name, co.geolocation AS co_geolocation, co.domain AS co_domain,
          co.enabled AS co_enabled, co.created_at AS co_created_at, g.enabled AS g_enabled
        FROM (SELECT 1) AS one
          LEFT JOIN companies co ON co.id = $2
          LEFT JOIN app_companies g ON g.app_id = $1 AND g.company_id = $2
          LEFT JOIN connections c ON c.id = $3::text`,
      [appId, companyId, connectionId]))!),
    deleteExpired: async (now: number) => this.run('DELETE FROM request_tokens WHERE expires_at <= $1', [now]),
  };

  readonly connections = {
    create: async (c: Connection) => {
      await this.run(`INSERT INTO connections (id, app_id, principal_type, principal_id, company_id, scopes,
        refresh_expires_at, created_at, last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [c.id, c.appId, c.principalType, c.principalId, c.companyId, jsonb(c.scopes),
        c.refreshExpiresAt, c.createdAt, c.lastUsedAt, c.revokedAt]);
    },
    get: async (id: string) => {
      const r = await this.one('SELECT * FROM connections WHERE id = $1', [id]);
      return r && toConnection(r);
    },
    listByApp: async (appId: string, companyId?: string) => {
      const where = new Conditions().add('app_id = $?', appId).add('company_id = $?', companyId);
      return (await this.all(`SELECT * FROM connections WHERE ${where.sql} ORDER BY created_at DESC, id COLLATE "C"`,
        where.params)).map(toConnection);
    },
    page: async (q: ConnectionPageQuery): Promise<Page<Connection>> => {
      const where = new Conditions().add('app_id = $?', q.appId).add('company_id = $?', q.companyId);
      if (q.status) connectionStates[q.status](where, q.now);
      const total = num((await this.one(`SELECT count(*) AS n FROM connections WHERE ${where.sql}`, where.params))!.n);
      const rows = await this.all(`SELECT * FROM connections WHERE ${where.sql} ORDER BY created_at DESC, id COLLATE "C"
        LIMIT ${where.next(q.limit)} OFFSET ${where.next(q.offset)}`, where.params);
      return { items: rows.map(toConnection), total };
    },
    addRefreshToken: async (t: RefreshToken) => {
      await this.run('INSERT INTO refresh_tokens (digest, connection_id, created_at, superseded_at) VALUES ($1, $2, $3, $4)',
        [t.digest, t.connectionId, t.createdAt, t.supersededAt]);
    },
    findRefreshToken: async (digest: string) => {
      const r = await this.one(`SELECT c.*, t.digest AS rt_digest, t.connection_id AS rt_connection_id,
          t.created_at AS rt_created_at, t.superseded_at AS rt_superseded_at
        FROM refresh_tokens t JOIN connections c ON c.id = t.connection_id WHERE t.digest = $1`, [digest]);
      return r && { token: toRefreshToken(r), connection: toConnection(r) };
    },
    // One statement, so one round trip, for every read of a refresh.
    findRefresh: async (digest: string): Promise<RefreshLookup | undefined> => {
      const r = await this.one(`SELECT c.*, t.digest AS rt_digest, t.connection_id AS rt_connection_id,
          t.created_at AS rt_created_at, t.superseded_at AS rt_superseded_at, g.enabled AS g_enabled, u.status AS u_status,
          co.id AS co_id, co.name AS co_name, co.geolocation AS co_geolocation, co.domain AS co_domain,
          co.enabled AS co_enabled, co.created_at AS co_created_at
        FROM refresh_tokens t JOIN connections c ON c.id = t.connection_id
          LEFT JOIN app_companies g ON g.app_id = c.app_id AND g.company_id = c.company_id
          LEFT JOIN users u ON c.principal_type = 'user' AND u.id = c.principal_id
          LEFT JOIN companies co ON co.id = c.company_id
        WHERE t.digest = $1`, [digest]);
      return r && toRefreshLookup(r);
    },
    // One statement, so one round trip: the CTEs run as one atomic unit. A concurrent rotation of
    // the same value waits on the row lock of \`presented\` and then sees its supersession time.
    rotateRefreshToken: async (r: RefreshRotation): Promise<RotationOutcome> => {
      // A retry (the presented value superseded before the window, $5) needs the family's last
      // presented value to be this one; any other use needs the value not withdrawn. Both are
      // conditions on the connection row, so a concurrent use of another value of the family,
      // which updates that row first, is seen (re-checked on its newest version). A null new
      // expiry ($4) keeps the stored one (greatest ignores nulls), so the update stays HOT.
      const row = await this.one(`WITH presented AS (
          UPDATE refresh_tokens SET superseded_at = coalesce(superseded_at, $3)
          WHERE digest = $1 AND connection_id = $2 RETURNING superseded_at, created_at
        ), slid AS (
          UPDATE connections c SET refresh_expires_at = greatest(c.refresh_expires_at, $4::bigint), last_used_at = $3, last_presented = $1,
            withdrawn_before = CASE WHEN p.superseded_at < $5 THEN greatest(coalesce(c.withdrawn_before, 0), $5) ELSE c.withdrawn_before END
          FROM presented p
          WHERE c.id = $2 AND c.revoked_at IS NULL AND c.refresh_expires_at > $3
            AND CASE WHEN p.superseded_at < $5 THEN c.last_presented = $1 ELSE p.created_at >= coalesce(c.withdrawn_before, 0) END
          RETURNING c.id
        ), added AS (
          INSERT INTO refresh_tokens (digest, connection_id, created_at, superseded_at)
          SELECT $6, id, $7, NULL FROM slid RETURNING digest
        )
        SELECT (SELECT superseded_at FROM presented) AS superseded_at, (SELECT count(*) FROM added) AS added,
          (SELECT count(*) FROM connections WHERE id = $2 AND revoked_at IS NULL AND refresh_expires_at > $3) AS live`,
      [r.presentedDigest, r.connectionId, r.now, r.refreshExpiresAt, r.graceFrom, r.next.digest, r.next.createdAt]);
      if (row?.superseded_at == null) return 'ended';
      const retry = num(row.superseded_at) < r.graceFrom;
      if (num(row.added) === 1) return retry ? 'retried' : 'rotated';
      if (num(row.live) === 0) return 'ended';
      return retry ? 'replayed' : 'withdrawn';
    },
    slide: async (id: string, now: number, refreshExpiresAt: number) =>
      (await this.run(`UPDATE connections SET refresh_expires_at = greatest(refresh_expires_at, $3), last_used_at = $2
        WHERE id = $1 AND revoked_at IS NULL AND refresh_expires_at > $2`, [id, now, refreshExpiresAt])) === 1,
    revoke: async (id: string, now: number) =>
      (await this.run('UPDATE connections SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, now])) === 1,
    revokeByPrincipal: async (appId: string, principalId: string, now: number) =>
      this.run('UPDATE connections SET revoked_at = $3 WHERE app_id = $1 AND principal_id = $2 AND revoked_at IS NULL',
        [appId, principalId, now]),
    revokeByCompany: async (appId: string, companyId: string, now: number) =>
      this.run('UPDATE connections SET revoked_at = $3 WHERE app_id = $1 AND company_id = $2 AND revoked_at IS NULL', [appId, companyId, now]),
    revokeAllOfPrincipal: async (principalId: string, now: number) =>
      this.run('UPDATE connections SET revoked_at = $2 WHERE principal_id = $1 AND revoked_at IS NULL', [principalId, now]),
    sweep: async (before: number) =>
      this.run('DELETE FROM connections WHERE (revoked_at IS NOT NULL AND revoked_at < $1) OR refresh_expires_at < $1', [before]),
    deleteTokensOfEnded: async (now: number, limit: number) =>
      this.run(`DELETE FROM refresh_tokens WHERE digest IN (SELECT t.digest FROM refresh_tokens t
        JOIN connections c ON c.id = t.connection_id WHERE c.revoked_at IS NOT NULL OR c.refresh_expires_at <= $1 LIMIT $2)`,
      [now, limit]),
    deleteSupersededBefore: async (before: number, limit: number) =>
      this.run(`DELETE FROM refresh_tokens WHERE digest IN (SELECT digest FROM refresh_tokens
        WHERE superseded_at IS NOT NULL AND superseded_at < $1 LIMIT $2)`, [before, limit]),
  };

  readonly keys = {
    add: async (k: SigningKey) => {
      await this.run(`INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc, created_at, activates_at, retired_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [k.kid, k.alg, jsonb(k.publicJwk), k.privateKeyEnc, k.createdAt, k.activatesAt, k.retiredAt, k.expiresAt]);
    },
    list: async () => (await this.all('SELECT * FROM signing_keys ORDER BY created_at, kid COLLATE "C"')).map(toKey),
    retire: async (kid: string, retiredAt: number, expiresAt: number) => {
      await this.run('UPDATE signing_keys SET retired_at = $2, expires_at = $3 WHERE kid = $1 AND retired_at IS NULL',
        [kid, retiredAt, expiresAt]);
    },
    deleteExpired: async (before: number) =>
      this.run('DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at < $1', [before]),
  };

  readonly audit = {
    /** One statement for the whole batch, in order (identity values follow the batch order). */
    append: async (events: AuditEvent[]) => {
      if (events.length === 0) return;
      await this.run(`INSERT INTO audit_events (at, action, outcome, correlation_id, actor_type, actor_id, app_id,
          company_id, principal_id, code, detail)
        SELECT at, action, outcome, correlation_id, actor_type, actor_id, app_id, company_id, principal_id, code, detail
        FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (at bigint, action text, outcome text, correlation_id text,
          actor_type text, actor_id text, app_id text, company_id text, principal_id text, code integer, detail jsonb))
          WITH ORDINALITY AS e(at, action, outcome, correlation_id, actor_type, actor_id, app_id, company_id,
            principal_id, code, detail, n)
        ORDER BY n`, [JSON.stringify(events.map(auditRecord))]);
    },
    query: async (q: AuditQuery): Promise<Page<StoredAuditEvent>> => {
      const where = new Conditions()
        .add('company_id = $?', q.companyId).add('app_id = $?', q.appId).add('principal_id = $?', q.principalId)
        .add('action = $?', q.action).add('at >= $?', q.since).add('at < $?', q.until);
      const total = num((await this.one(`SELECT count(*) AS n FROM audit_events WHERE ${where.sql}`, where.params))!.n);
      const rows = await this.all(`SELECT * FROM audit_events WHERE ${where.sql} ORDER BY id DESC
        LIMIT ${where.next(q.limit ?? 100)} OFFSET ${where.next(q.offset ?? 0)}`, where.params);
      return { items: rows.map(toAudit), total };
    },
    deleteBefore: async (before: number, limit: number) =>
      this.run('DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT $2)', [before, limit]),
  };

  readonly sessions = {
    create: async (x: AdminSession) => {
      await this.run(`INSERT INTO admin_sessions (digest, user_id, company_id, created_at, last_seen_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6)`, [x.digest, x.userId, x.companyId, x.createdAt, x.lastSeenAt, x.expiresAt]);
    },
    touch: async (digest: string, now: number, idleSince: number) => {
      const r = await this.one(`UPDATE admin_sessions SET last_seen_at = greatest(last_seen_at, $2)
        WHERE digest = $1 AND expires_at > $2 AND last_seen_at > $3 RETURNING *`, [digest, now, idleSince]);
      return r && toSession(r);
    },
    delete: async (digest: string) => (await this.run('DELETE FROM admin_sessions WHERE digest = $1', [digest])) === 1,
    deleteByUser: async (userId: string) => this.run('DELETE FROM admin_sessions WHERE user_id = $1', [userId]),
    deleteExpired: async (now: number, idleSince: number) =>
      this.run('DELETE FROM admin_sessions WHERE expires_at <= $1 OR last_seen_at <= $2', [now, idleSince]),
  };

  readonly authorizations = {
    createCode: async (c: AuthorizationCode) => {
      await this.run(`INSERT INTO authorization_codes (digest, app_id, user_id, company_id, redirect_uri, scopes, code_challenge, nonce,
        created_at, expires_at, used_at, replayed_at, connection_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [c.digest, c.appId, c.userId, c.companyId, c.redirectUri, jsonb(c.scopes), c.codeChallenge, c.nonce, c.createdAt, c.expiresAt,
        c.usedAt, c.replayedAt, c.connectionId]);
    },
    getCode: async (digest: string) => {
      const r = await this.one('SELECT * FROM authorization_codes WHERE digest = $1', [digest]);
      return r && toCode(r);
    },
    useCode: async (digest: string, now: number): Promise<CodeUse | undefined> => {
      const first = await this.one('UPDATE authorization_codes SET used_at = $2 WHERE digest = $1 AND used_at IS NULL RETURNING *', [digest, now]);
      if (first) return { code: toCode(first), firstUse: true };
      const again = await this.one('UPDATE authorization_codes SET replayed_at = coalesce(replayed_at, $2) WHERE digest = $1 RETURNING *', [digest, now]);
      return again && { code: toCode(again), firstUse: false };
    },
    linkCodeConnection: async (digest: string, connectionId: string) => {
      const r = await this.one('UPDATE authorization_codes SET connection_id = $2 WHERE digest = $1 RETURNING replayed_at', [digest, connectionId]);
      return r !== undefined && r.replayed_at !== null;
    },
    deleteExpiredCodes: async (now: number) => this.run('DELETE FROM authorization_codes WHERE expires_at <= $1', [now]),
    saveConsent: async (c: Consent) => {
      await this.run(`INSERT INTO consents (user_id, app_id, scopes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (user_id, app_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
      [c.userId, c.appId, jsonb(c.scopes), c.createdAt, c.updatedAt]);
    },
    getConsent: async (userId: string, appId: string) => {
      const r = await this.one('SELECT * FROM consents WHERE user_id = $1 AND app_id = $2', [userId, appId]);
      return r && toConsent(r);
    },
    listConsents: async (userId: string) =>
      (await this.all('SELECT * FROM consents WHERE user_id = $1 ORDER BY updated_at DESC, app_id', [userId])).map(toConsent),
    deleteConsent: async (userId: string, appId: string) =>
      (await this.run('DELETE FROM consents WHERE user_id = $1 AND app_id = $2', [userId, appId])) === 1,
  };

  private static async insertApp(query: Query, a: App): Promise<void> {
    await query(`INSERT INTO apps (id, company_id, name, description, stage, app_type, grants, scopes, redirect_uris,
      enabled, created_at, updated_at, last_used_at, client_type, listed, connect_url)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    [a.id, a.companyId, a.name, a.description, a.stage, a.appType, jsonb(a.grants), jsonb(a.scopes),
      jsonb(a.redirectUris), a.enabled, a.createdAt, a.updatedAt, a.lastUsedAt, a.clientType, a.listed, a.connectUrl]);
  }

  /** Grants a company the app, or switches an existing grant (keeping its creation time). */
  private static async insertGrant(query: Query, g: AppCompanyGrant): Promise<void> {
    await query(`INSERT INTO app_companies (app_id, company_id, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (app_id, company_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
    [g.appId, g.companyId, g.enabled, g.createdAt, g.updatedAt]);
  }

  readonly otps = {
    /**
     * Under a transaction-scoped advisory lock on the handle: concurrent additions for one handle take
     * turns, each counting what the previous one committed (READ COMMITTED), so none ends above `maxOpen`.
     */
    add: async (o: OneTimePassword, maxOpen: number, now: number): Promise<AddOtpOutcome> =>
      this.transaction(async (query) => {
        await query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tessera.otp.${o.handle}`]);
        const added = await query(`INSERT INTO otps (digest, app_id, user_id, company_id, handle, facts_digest, created_at, expires_at, used_at)
          SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE (SELECT count(*) FROM otps
            WHERE handle = $5 AND used_at IS NULL AND expires_at > $10) < $11`,
        [o.digest, o.appId, o.userId, o.companyId, o.handle, o.factsDigest, o.createdAt, o.expiresAt, o.usedAt, now, maxOpen]);
        return added.rowCount === 1 ? 'added' : 'limit';
      }),
    find: async (digest: string) => {
      const r = await this.one('SELECT * FROM otps WHERE digest = $1', [digest]);
      return r && toOtp(r);
    },
    consume: async (digest: string, now: number) => {
      const r = await this.one('UPDATE otps SET used_at = $2 WHERE digest = $1 AND used_at IS NULL AND expires_at > $2 RETURNING *', [digest, now]);
      return r && toOtp(r);
    },
    delete: async (digest: string) => (await this.run('DELETE FROM otps WHERE digest = $1', [digest])) === 1,
    deleteEnded: async (now: number) => this.run('DELETE FROM otps WHERE expires_at <= $1 OR used_at IS NOT NULL', [now]),
  };

  readonly outbox = {
    add: async (m: OutboxMessage) => {
      await this.run('INSERT INTO outbox (id, company_id, recipient, subject, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [m.id, m.companyId, m.to, m.subject, m.text, m.createdAt]);
    },
    listByCompany: async (companyId: string, limit: number) =>
      (await this.all('SELECT * FROM outbox WHERE company_id = $1 ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $2', [companyId, limit]))
        .map(toOutboxMessage),
    deleteBefore: async (before: number, limit: number) =>
      this.run('DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_at < $1 ORDER BY created_at LIMIT $2)', [before, limit]),
  };

  async close(): Promise<void> {
    await this.pool.end();
  }
}
