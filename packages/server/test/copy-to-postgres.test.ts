/**
 * The copy behind `tessera admin migrate` in batches: every row of every table
 * arrives unchanged (flags, lists, JSON details, audit ids), pages of a few rows at a time, and
 * the identity of the audit trail continues after the copied ids.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore, openSqliteStore, type AuditEvent } from 'tessera-server';
import { copySqliteToPostgres } from '../src/storage/copy-to-postgres.js';
import { dropSchema, freshSchemaName, postgresProblem, skipWithoutServices, testDatabaseUrl } from './test-services.js';

const skip = skipWithoutServices('copy SQLite → PostgreSQL', [await postgresProblem()]);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe.skipIf(skip)('copySqliteToPostgres', () => {
  it('copies every row in batches, unchanged, and new audit ids follow the copied ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-copy-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const schema = freshSchemaName();
    cleanups.push(() => dropSchema(schema));
    const file = join(dir, 'tessera.db');

    const sqlite = await openSqliteStore(file);
    await sqlite.companies.create({ id: 'c1', name: 'One', geolocation: null, domain: 'one.example', enabled: false, createdAt: 1 });
    const app = {
      id: 'a1', companyId: 'c1', name: 'App', description: 'd', stage: 'production' as const, appType: 'ws-client' as const,
      grants: ['password', 'refresh_token'], scopes: ['openid'], redirectUris: [], clientType: 'confidential' as const, enabled: true, listed: true, connectUrl: 'https://partner.example/connect', createdAt: 2, updatedAt: 3, lastUsedAt: null,
    };
    await sqlite.apps.create(app);
    const user = {
      id: 'u1', companyId: 'c1', loginId: 'JÜRGEN@Straße.example', email: null, displayName: null, passwordHash: 'h', roles: [],
      status: 'active' as const, failedLogins: 0, lockedUntil: null, createdAt: 4, updatedAt: 4,
    };
    await sqlite.users.create(user);
    const events: AuditEvent[] = Array.from({ length: 7 }, (_, i) => ({
      at: 10 + i, action: 'token.issued', outcome: 'success', correlationId: `c-${i}`, actorType: null, actorId: null,
      appId: 'a1', companyId: 'c1', principalId: null, code: null, detail: { n: i, nested: { ok: true } },
    }));
    await sqlite.audit.append(events);
    const before = await sqlite.audit.query({ limit: 100 });
    await sqlite.close();

    const report = await copySqliteToPostgres(file, { url: testDatabaseUrl, schema }, { batchRows: 2 });
    expect(report.rows).toMatchObject({ companies: 1, apps: 1, audit_events: 7, connections: 0 });

    const postgres = await openPostgresStore(testDatabaseUrl, { schema, maxConnections: 2 });
    cleanups.push(() => postgres.close());
    expect(await postgres.companies.get('c1')).toEqual({ id: 'c1', name: 'One', geolocation: null, domain: 'one.example', enabled: false, createdAt: 1 });
    expect(await postgres.apps.get('a1')).toEqual(app);
    // The folded login id comes along: the copy finds the user by any case of it, as SQLite did.
    expect(await postgres.users.findByLoginId('jürgen@STRASSE.example')).toEqual(user);
    expect(await postgres.audit.query({ limit: 100 })).toEqual(before);
    await postgres.audit.append([{ ...events[0]!, correlationId: 'after' }]);
    const after = await postgres.audit.query({ limit: 1 });
    expect(after.items[0]).toMatchObject({ correlationId: 'after', id: Math.max(...before.items.map((e) => e.id)) + 1 });
  });
});
