/**
 * Versioned PostgreSQL schema (docs/architecture.md "Storage"). Append a new entry for every change; never
 * edit an applied one. Entry `i` is version `i + 1` in the `tessera_migrations` table.
 *
 * Types mirror the SQLite schema: times are `bigint` epoch milliseconds, lists and objects are
 * `jsonb`, flags are `boolean`. Login ids are unique ignoring case (`login_id_folded`, folded in
 * JavaScript by storage/login-ids.ts, as in SQLite).
 */
import { foldedLoginIdClashes, foldLoginId } from '../login-ids.js';
import { inTransaction } from './transaction.js';

/** A schema change: SQL, or work that needs JavaScript (run inside the migrations' transaction). */
export type PostgresMigration = string | ((session: MigrationSession) => Promise<void>);

export const postgresMigrations: readonly PostgresMigration[] = [
  /* 1: the initial schema */ `
  CREATE TABLE companies (
    id text PRIMARY KEY,
    name text NOT NULL,
    geolocation text,
    domain text,
    enabled boolean NOT NULL DEFAULT true,
    created_at bigint NOT NULL
  );
  CREATE TABLE users (
    id text PRIMARY KEY,
    company_id text NOT NULL REFERENCES companies(id),
    login_id text NOT NULL,
    email text,
    display_name text,
    password_hash text NOT NULL,
    roles jsonb NOT NULL,
    status text NOT NULL,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until bigint,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  );
  CREATE UNIQUE INDEX users_login_id ON users (lower(login_id));
  CREATE INDEX users_company ON users (company_id);
  CREATE TABLE apps (
    id text PRIMARY KEY,
    company_id text NOT NULL REFERENCES companies(id),
    name text NOT NULL,
    description text NOT NULL,
    stage text NOT NULL,
    app_type text NOT NULL,
    grants jsonb NOT NULL,
    scopes jsonb NOT NULL,
    redirect_uris jsonb NOT NULL,
    enabled boolean NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    last_used_at bigint
  );
  CREATE INDEX apps_company ON apps (company_id, created_at);
  CREATE TABLE app_secrets (
    id text PRIMARY KEY,
    app_id text NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    digest text NOT NULL,
    status text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  );
  CREATE INDEX app_secrets_app ON app_secrets (app_id);
  CREATE TABLE app_companies (
    app_id text NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    company_id text NOT NULL REFERENCES companies(id),
    enabled boolean NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (app_id, company_id)
  );
  CREATE TABLE request_tokens (
    digest text PRIMARY KEY,
    app_id text NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    company_id text NOT NULL REFERENCES companies(id),
    uses integer NOT NULL,
    max_uses integer NOT NULL,
    expires_at bigint NOT NULL,
    created_at bigint NOT NULL,
    connection_id text
  );
  CREATE UNIQUE INDEX request_tokens_app_company ON request_tokens (app_id, company_id);
  CREATE INDEX request_tokens_expiry ON request_tokens (expires_at);
  CREATE TABLE connections (
    id text PRIMARY KEY,
    app_id text NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    principal_type text NOT NULL,
    principal_id text NOT NULL,
    company_id text NOT NULL,
    scopes jsonb NOT NULL,
    refresh_expires_at bigint NOT NULL,
    created_at bigint NOT NULL,
    last_used_at bigint NOT NULL,
    revoked_at bigint
  );
  CREATE INDEX connections_app_principal ON connections (app_id, principal_id);
  CREATE INDEX connections_expiry ON connections (refresh_expires_at);
  CREATE INDEX connections_revoked ON connections (revoked_at) WHERE revoked_at IS NOT NULL;
  CREATE TABLE refresh_tokens (
    digest text PRIMARY KEY,
    connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    created_at bigint NOT NULL,
    superseded_at bigint
  );
  CREATE INDEX refresh_tokens_connection ON refresh_tokens (connection_id);
  CREATE TABLE signing_keys (
    kid text PRIMARY KEY,
    alg text NOT NULL,
    public_jwk jsonb NOT NULL,
    private_key_enc text NOT NULL,
    created_at bigint NOT NULL,
    activates_at bigint NOT NULL,
    retired_at bigint,
    expires_at bigint
  );
  CREATE TABLE audit_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at bigint NOT NULL,
    action text NOT NULL,
    outcome text NOT NULL,
    correlation_id text,
    actor_type text,
    actor_id text,
    app_id text,
    company_id text,
    principal_id text,
    code integer,
    detail jsonb
  );
  CREATE INDEX audit_events_at ON audit_events (at);
  CREATE INDEX audit_events_company ON audit_events (company_id, at);
  `,
  /* 2: admin console sessions */ `
  CREATE TABLE admin_sessions (
    digest text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    company_id text NOT NULL,
    created_at bigint NOT NULL,
    last_seen_at bigint NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE INDEX admin_sessions_user ON admin_sessions (user_id);
  CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);
  CREATE INDEX admin_sessions_last_seen ON admin_sessions (last_seen_at);
  `,
  /* 3: what the sweeper looks for */ `
  CREATE INDEX refresh_tokens_superseded ON refresh_tokens (superseded_at) WHERE superseded_at IS NOT NULL;
  `,
  /* 4: a refresh retried after the grace window (Decision 8) */ `
  ALTER TABLE connections ADD COLUMN last_presented text;
  ALTER TABLE connections ADD COLUMN withdrawn_before bigint;
  `,
  /* 5: login ids unique folded the same way on both stores (storage/login-ids.ts) */ async (session) => {
    await session.query("ALTER TABLE users ADD COLUMN login_id_folded text NOT NULL DEFAULT ''");
    const users = (await session.query('SELECT id, login_id FROM users')).rows.map((r) => ({ id: String(r.id), loginId: String(r.login_id) }));
    await session.query(`UPDATE users SET login_id_folded = f.folded FROM jsonb_to_recordset($1::jsonb) AS f(id text, folded text)
      WHERE users.id = f.id`, [JSON.stringify(users.map((u) => ({ id: u.id, folded: foldLoginId(u.loginId) })))]);
    const clash = foldedLoginIdClashes(users);
    if (clash) throw new Error(clash);
    // No default once filled: a node of the previous version (which does not fold) cannot create users
    // during a rolling upgrade, rather than create ones the folded index would not find.
    await session.query(`ALTER TABLE users ALTER COLUMN login_id_folded DROP DEFAULT;
      DROP INDEX users_login_id; CREATE UNIQUE INDEX users_login_id_folded ON users (login_id_folded)`);
  },
  /* 6: users connecting apps: public apps, authorization codes, consents (docs/protocol.md §4) */ `
  ALTER TABLE apps ADD COLUMN client_type text NOT NULL DEFAULT 'confidential';
  CREATE TABLE authorization_codes (
    digest text PRIMARY KEY,
    app_id text NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    company_id text NOT NULL,
    redirect_uri text NOT NULL,
    scopes jsonb NOT NULL,
    code_challenge text,
    nonce text,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at bigint,
    replayed_at bigint,
    connection_id text
  );
  CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
  CREATE TABLE consents (
    user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_id text NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    scopes jsonb NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (user_id, app_id)
  );
  `,
  /* 7: one-time passwords and the mail outbox (docs/protocol.md §5, Decision 4) */ `
  CREATE TABLE otps (
    digest text PRIMARY KEY,
    app_id text NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    company_id text NOT NULL,
    handle text NOT NULL,
    facts_digest text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at bigint
  );
  CREATE INDEX otps_handle ON otps (handle, expires_at);
  CREATE INDEX otps_expiry ON otps (expires_at);
  CREATE TABLE outbox (
    id text PRIMARY KEY,
    company_id text NOT NULL REFERENCES companies(id),
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at bigint NOT NULL
  );
  CREATE INDEX outbox_company ON outbox (company_id, created_at);
  CREATE INDEX outbox_created ON outbox (created_at);
  CREATE INDEX users_email_folded ON users (lower(email COLLATE "C"));
  `,
  /* 8: App Center listing (docs/protocol.md §12 "App Center") */ `
  ALTER TABLE apps ADD COLUMN listed boolean NOT NULL DEFAULT false;
  ALTER TABLE apps ADD COLUMN connect_url text;
  CREATE INDEX apps_listed ON apps (name, id) WHERE listed;
  `,
];

/** Schema names this module accepts: plain lower-case identifiers, so they never need quoting. */
export const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** What the migration runner needs of a connection: one session for one transaction. */
export interface MigrationSession {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Brings `schema` (created when missing) up to the latest version, in one transaction under a
 * transaction-scoped advisory lock keyed by the schema name: nodes that start together take
 * turns, and the later ones find nothing left to do. Answers the versions it applied.
 */
export async function applyPostgresMigrations(session: MigrationSession, schema: string): Promise<number[]> {
  if (!schemaNamePattern.test(schema)) throw new RangeError(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
  const applied: number[] = [];
  await inTransaction(session, async () => {
    await session.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tessera.migrate.${schema}`]);
    await session.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await session.query(`SET LOCAL search_path TO ${schema}`);
    await session.query('CREATE TABLE IF NOT EXISTS tessera_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
    const { rows } = await session.query('SELECT coalesce(max(version), 0) AS version FROM tessera_migrations');
    for (let version = Number(rows[0]?.version ?? 0); version < postgresMigrations.length; version++) {
      const migration = postgresMigrations[version]!;
      if (typeof migration === 'string') await session.query(migration);
      else await migration(session);
      await session.query('INSERT INTO tessera_migrations (version, applied_at) VALUES ($1, $2)', [version + 1, Date.now()]);
      applied.push(version + 1);
    }
  });
  return applied;
}
