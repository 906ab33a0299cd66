/**
 * `tessera token otp` against a real Tessera (docs/protocol.md §5): the password is mailed, read
 * from the outbox (`tessera admin outbox --json`, as on a machine with no mail server), exchanged
 * with the same client parameters, and the user's connection stored like `token convert`'s.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createUser } from 'tessera-server';
import { makeAdmin } from '../../server/test/admin-helpers.js';
import { makeApp, startTestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

const adminPassword = 'correct horse battery';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setUp() {
  const t = await startTestServer();
  cleanups.push(() => t.close());
  const { home, remove } = tempHome();
  cleanups.push(remove);
  const { clientId, clientSecret } = await makeApp(t, { grants: ['otp', 'refresh_token'] } as Parameters<typeof makeApp>[1]);
  const user = await createUser(t.server.core, { companyId: t.companyId, loginId: 'ann', password: 'Correct-Horse-Battery-9', email: 'ann@example.com' });
  const added = await cli(home, ['env', 'add', 'dev', '--datacenter', t.url, '--client-id', clientId, '--client-secret-stdin'], { input: `${clientSecret}\n` });
  expect(added.code, added.stderr).toBe(0);
  return { t, home, user };
}

/** The newest one-time password mailed to `to`, from `tessera admin outbox --json` (newest first). */
async function readOutbox(url: string, home: string, to: string) {
  const listed = await cli(home, ['admin', '--server', url, 'outbox', '--json']);
  expect(listed.code, listed.stderr).toBe(0);
  const mails = JSON.parse(listed.stdout) as { id: string; to: string; subject: string; text: string; createdAt: string }[];
  const mail = mails.find((m) => m.to === to);
  expect(mail, listed.stdout).toBeDefined();
  return { mail: mail!, otp: mail!.text.match(/dd-[a-z0-9]{30}/)![0] };
}

async function adminLogin(t: Awaited<ReturnType<typeof startTestServer>>, home: string) {
  await makeAdmin(t, 'otp-admin', t.companyId, adminPassword);
  const login = await cli(home, ['admin', '--server', t.url, 'login', '--login-id', 'otp-admin', '--password-stdin'], { input: `${adminPassword}\n` });
  expect(login.code, login.stderr).toBe(0);
}

describe('tessera token otp', () => {
  it('mails a one-time password, exchanges it with the same parameters, and stores the user connection', async () => {
    const { t, home, user } = await setUp();
    await adminLogin(t, home);
    const params = ['--param', 'name=Ann', '--param', 'link=https://app.example/connect'];
    const sent = await cli(home, ['token', 'otp', '--email', 'ann@example.com', ...params, '--json']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ sent: 'ann@example.com', message: 'otp sent', geolocation: t.url });
    const human = await cli(home, ['token', 'otp', '--email', 'ann@example.com', ...params]);
    expect(human.stdout).toContain('next');
    expect(human.stdout).toContain('--param "name=Ann" --param "link=https://app.example/connect" --code CODE');

    const { mail, otp } = await readOutbox(t.url, home, 'ann@example.com');
    expect(mail.text).toContain(`https://app.example/connect?token=${otp}`);

    const exchanged = await cli(home, ['token', 'otp', '--email', 'ann@example.com', ...params, '--code', otp, '--json']);
    expect(exchanged.code, exchanged.stderr).toBe(0);
    expect(JSON.parse(exchanged.stdout)).toMatchObject({ connected: 'dev', geolocation: t.url, principal: `user ${user.id}` });
    const me = await cli(home, ['call', '/profile/v1/me']);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ id: user.id });

    // Single use: the same password again is refused (exit 3), even with --force.
    const replay = await cli(home, ['token', 'otp', '--email', 'ann@example.com', ...params, '--code', otp, '--force']);
    expect(replay.code).toBe(3);
    expect(replay.stderr).toMatch(/code 8\d/);
  });

  it('is refused (exit 3) when the parameters differ from the request, and stores nothing', async () => {
    const { t, home } = await setUp();
    await adminLogin(t, home);
    expect((await cli(home, ['token', 'otp', '--email', 'ann@example.com', '--param', 'plan=gold'])).code).toBe(0);
    const { otp } = await readOutbox(t.url, home, 'ann@example.com');
    const refused = await cli(home, ['token', 'otp', '--email', 'ann@example.com', '--param', 'plan=silver', '--code', otp]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    const shown = await cli(home, ['env', 'show', 'dev', '--json']);
    expect(JSON.parse(shown.stdout).connected).toBe(false);
  });

  it('refuses a malformed or reserved --param before sending anything (exit 2)', async () => {
    const { home } = await setUp();
    const malformed = await cli(home, ['token', 'otp', '--email', 'ann@example.com', '--param', 'novalue']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--param novalue: give NAME=VALUE/);
    const reserved = await cli(home, ['token', 'otp', '--email', 'ann@example.com', '--param', 'channel_handle=bob@example.com']);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toMatch(/channel_handle is set by the SDK/);
  });
});
