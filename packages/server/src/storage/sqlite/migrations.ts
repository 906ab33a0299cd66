/** Versioned SQLite schema. Append a new entry for every change; never edit an applied one. */
import type BetterSqlite3 from 'better-sqlite3';
import { foldedLoginIdClashes, foldLoginId } from '../login-ids.js';

/** A schema change: SQL, or work that needs JavaScript (run inside the migration's transaction). */
export type SqliteMigration = string | ((db: BetterSqlite3.Database) => void);

export const sqliteMigrations: readonly SqliteMigration[] = [
  /* 1: the initial schema */ `
  CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    geolocation TEXT,
    domain TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    login_id TEXT NOT NULL,
    email TEXT,
    display_name TEXT,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    status TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX users_login_id ON users (login_id COLLATE NOCASE);
  CREATE INDEX users_company ON users (company_id);
  CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    stage TEXT NOT NULL,
    app_type TEXT NOT NULL,
    grants TEXT NOT NULL,
    scopes TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_used_at INTEGER
  );
  CREATE INDEX apps_company ON apps (company_id, created_at);
  CREATE TABLE app_secrets (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX app_secrets_app ON app_secrets (app_id);
  CREATE TABLE app_companies (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES companies(id),
    enabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, company_id)
  );
  CREATE TABLE request_tokens (
    digest TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES companies(id),
    uses INTEGER NOT NULL,
    max_uses INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    connection_id TEXT
  );
  CREATE UNIQUE INDEX request_tokens_app_company ON request_tokens (app_id, company_id);
  CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    principal_type TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    company_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    refresh_expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  CREATE INDEX connections_app_principal ON connections (app_id, principal_id);
  CREATE INDEX connections_expiry ON connections (refresh_expires_at);
  CREATE TABLE refresh_tokens (
    digest TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    superseded_at INTEGER
  );
  CREATE INDEX refresh_tokens_connection ON refresh_tokens (connection_id);
  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    private_key_enc TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    activates_at INTEGER NOT NULL,
    retired_at INTEGER,
    expires_at INTEGER
  );
  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    correlation_id TEXT,
    actor_type TEXT,
    actor_id TEXT,
    app_id TEXT,
    company_id TEXT,
    principal_id TEXT,
    code INTEGER,
    detail TEXT
  );
  CREATE INDEX audit_events_at ON audit_events (at);
  CREATE INDEX audit_events_company ON audit_events (company_id, at);
  `,
  /* 2: admin console sessions */ `
  CREATE TABLE admin_sessions (
    digest TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX admin_sessions_user ON admin_sessions (user_id);
  CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);
  `,
  /* 3: what the sweeper looks for */ `
  CREATE INDEX refresh_tokens_superseded ON refresh_tokens (superseded_at) WHERE superseded_at IS NOT NULL;
  CREATE INDEX connections_revoked ON connections (revoked_at) WHERE revoked_at IS NOT NULL;
  CREATE INDEX request_tokens_expiry ON request_tokens (expires_at);
  CREATE INDEX admin_sessions_last_seen ON admin_sessions (last_seen_at);
  `,
  /* 4: a refresh retried after the grace window (Decision 8) */ `
  ALTER TABLE connections ADD COLUMN last_presented TEXT;
  ALTER TABLE connections ADD COLUMN withdrawn_before INTEGER;
  `,
  /* 5: login ids unique folded the same way on both stores (storage/login-ids.ts) */ (db) => {
    db.exec("ALTER TABLE users ADD COLUMN login_id_folded TEXT NOT NULL DEFAULT ''");
    const users = db.prepare('SELECT id, login_id FROM users').all() as { id: string; login_id: string }[];
    const update = db.prepare('UPDATE users SET login_id_folded = ? WHERE id = ?');
    for (const user of users) update.run(foldLoginId(user.login_id), user.id);
    const clash = foldedLoginIdClashes(users.map((u) => ({ id: u.id, loginId: u.login_id })));
    if (clash) throw new Error(clash);
    db.exec('DROP INDEX users_login_id; CREATE UNIQUE INDEX users_login_id_folded ON users (login_id_folded);');
  },
  /* 6: users connecting apps: public apps, authorization codes, consents (docs/protocol.md §4) */ `
  ALTER TABLE apps ADD COLUMN client_type TEXT NOT NULL DEFAULT 'confidential';
  CREATE TABLE authorization_codes (
    digest TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    code_challenge TEXT,
    nonce TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    replayed_at INTEGER,
    connection_id TEXT
  );
  CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
  CREATE TABLE consents (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, app_id)
  );
  `,
  /* 7: one-time passwords and the mail outbox (docs/protocol.md §5, Decision 4) */ `
  CREATE TABLE otps (
    digest TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL,
    handle TEXT NOT NULL,
    facts_digest TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  );
  CREATE INDEX otps_handle ON otps (handle, expires_at);
  CREATE INDEX otps_expiry ON otps (expires_at);
  CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX outbox_company ON outbox (company_id, created_at);
  CREATE INDEX outbox_created ON outbox (created_at);
  CREATE INDEX users_email_folded ON users (lower(email));
  `,
  /* 8: App Center listing (docs/protocol.md §12 "App Center") */ `
  ALTER TABLE apps ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE apps ADD COLUMN connect_url TEXT;
  CREATE INDEX apps_listed ON apps (name COLLATE NOCASE, id) WHERE listed = 1;
  `,
];
