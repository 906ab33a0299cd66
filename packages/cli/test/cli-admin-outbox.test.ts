/**
 * `tessera admin outbox --json`: the mail kept when no SMTP server is configured (one-time
 * passwords), on the local store (as its operator, within `--company`) and with `--server`
 * through the admin API (as the signed-in administrator): the same JSON array either way, each
 * company seeing only its own. Runs on SQLite, and on PostgreSQL with TESSERA_TEST_STORE=postgres.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, openPostgresStore, openSqliteStore, type Store } from 'tessera-server';
import { makeAdmin, makeTenant } from '../../server/test/admin-helpers.js';
import { makeApp, startTestServer, testStoreKind, type TestServer } from '../../server/test/helpers.js';
import { dropSchema, freshSchemaName, testDatabaseUrl } from '../../server/test/test-services.js';
import { cli, tempHome } from './run-cli.js';

const password = 'correct horse battery';

describe('tessera admin outbox', () => {
  let t: TestServer;
  let home: string;
  let removeHome: () => void;
  let dataDir: string;
  let schema: string | undefined;
  /** How the CLI reaches the same store as the server: --data-dir, or PostgreSQL settings. */
  let storeEnv: Record<string, string> = {};
  let email: string;
  let otherCompanyId: string;

  beforeAll(async () => {
    ({ home, remove: removeHome } = tempHome());
    dataDir = `${home}-store`;
    mkdirSync(dataDir, { recursive: true });
    let store: Store;
    if (testStoreKind === 'postgres') {
      schema = freshSchemaName();
      store = await openPostgresStore(testDatabaseUrl, { schema, maxConnections: 4 });
    } else {
      store = await openSqliteStore(join(dataDir, 'tessera.db'));
    }
    t = await startTestServer({ store, settings: { dataDir } });
    if (schema) {
      storeEnv = {
        TESSERA_DATABASE_URL: testDatabaseUrl, TESSERA_DATABASE_SCHEMA: schema,
        TESSERA_SECRET_KEY: readFileSync(join(dataDir, 'secret.key'), 'utf8').trim(),
      };
    }
    await makeAdmin(t, 'outbox-admin', t.companyId, password);
    otherCompanyId = (await makeTenant(t, 'Other Co', 'other-outbox-admin')).companyId;
    const app = await makeApp(t, { name: 'Expense Sync', grants: ['otp'] });
    email = `pat-${Date.now()}@acme.example`;
    await createUser(t.server.core, { companyId: t.companyId, loginId: 'pat-outbox', password, email });
    const sent = await fetch(`${t.url}/oauth2/v0/otp`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: app.clientId, client_secret: app.clientSecret, channel_type: 'email', channel_handle: email }),
    });
    expect(sent.status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    await t.server.core.store.close().catch(() => undefined);
    if (schema) await dropSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
    removeHome();
  });

  const local = (args: string[]) => cli(home, ['admin', ...(schema ? [] : ['--data-dir', dataDir]), '--json', ...args], { env: storeEnv });

  function expectOneOtpMail(stdout: string) {
    const messages = JSON.parse(stdout) as Record<string, string>[];
    expect(messages).toHaveLength(1);
    expect(Object.keys(messages[0]!).sort()).toEqual(['createdAt', 'id', 'subject', 'text', 'to']);
    expect(messages[0]).toMatchObject({ to: email, subject: 'Your one-time password for Expense Sync' });
    expect(messages[0]!.text).toMatch(/dd-[a-z0-9]{30}/);
    return messages;
  }

  it('prints the company\'s outbox as JSON from the local store, and none of another company\'s', async () => {
    const mine = await local(['outbox', '--company', t.companyId]);
    expect(mine.code, mine.stderr).toBe(0);
    expectOneOtpMail(mine.stdout);
    const theirs = await local(['outbox', '--company', otherCompanyId]);
    expect(theirs.code, theirs.stderr).toBe(0);
    expect(JSON.parse(theirs.stdout)).toEqual([]);
  });

  it('prints the same through the admin API with --server, for the signed-in administrator\'s company', async () => {
    const login = await cli(home, ['admin', '--server', t.url, 'login', '--login-id', 'outbox-admin', '--password-stdin'], { input: `${password}\n` });
    expect(login.code, login.stderr).toBe(0);
    const remote = await cli(home, ['admin', '--server', t.url, '--json', 'outbox']);
    expect(remote.code, remote.stderr).toBe(0);
    const [message] = expectOneOtpMail(remote.stdout);
    const fromStore = JSON.parse((await local(['outbox', '--company', t.companyId])).stdout) as unknown[];
    expect(fromStore).toEqual([message]);

    const otherHome = tempHome();
    try {
      await cli(otherHome.home, ['admin', '--server', t.url, 'login', '--login-id', 'other-outbox-admin', '--password-stdin'], { input: `${password}\n` });
      const theirs = await cli(otherHome.home, ['admin', '--server', t.url, '--json', 'outbox']);
      expect(theirs.code, theirs.stderr).toBe(0);
      expect(JSON.parse(theirs.stdout)).toEqual([]);
    } finally {
      otherHome.remove();
    }
  });
});
