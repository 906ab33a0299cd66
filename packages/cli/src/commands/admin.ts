/**
 * `tessera admin …`: administration on the same store as `tessera serve` (`--data-dir`), or with
 * `--server URL` through the admin API of a running service (after `tessera admin login`). Each
 * command has `--json` for scripts. Secrets appear only in the answer that creates them.
 */
import { createInterface } from 'node:readline/promises';
import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import type { Core, CoreHandle } from 'tessera-server';
import { adminApi, login, logout, normalizeServer } from '../admin-remote.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, printRecord, printTable, readStdin } from '../output.js';
import { registerAdminKeyCommands } from './admin-keys.js';
import { registerAdminStoreCommands } from './admin-store.js';
import { readSecret } from '../secret-input.js';

export interface AdminOptions {
  dataDir?: string;
  databaseUrl?: string;
  server?: string;
  json?: boolean;
}

/** The `--server` of the command, normalized, or undefined for the local store. */
function remoteServer(command: Command): string | undefined {
  const { server } = command.optsWithGlobals<AdminOptions>();
  return server ? normalizeServer(server) : undefined;
}

/** Remote commands act for the signed-in administrator's company only. */
function checkCompany(company: string | undefined, session: { companyUUID: string }): void {
  if (company && company.toLowerCase() !== session.companyUUID) {
    throw new CommandError(`with --server, commands act for your own company (${session.companyUUID}); --company cannot name another`, ExitCode.Usage);
  }
}

interface RemoteApp {
  clientId: string; companyUUID: string; name: string; description: string; stage: string; appType: string;
  grants: string[]; scopes: string[]; enabled: boolean; createdAt: string; lastUsedAt: string | null;
}
interface RemoteUser { id: string; loginId: string; status: string; roles: string[]; createdAt: string }

const list = (value: string): string[] => value.split(/[\s,]+/).filter(Boolean);
const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

/** Opens the store of `--data-dir`, runs `work`, and closes it again. */
export async function withCore<T>(command: Command, work: (core: Core, options: AdminOptions) => Promise<T>): Promise<T> {
  const options = command.optsWithGlobals<AdminOptions>();
  if (options.server) {
    throw new CommandError(`\`tessera admin ${command.parent?.name()} ${command.name()}\` works on the local store only (it spans companies); run it without --server on the service's machine`, ExitCode.Usage);
  }
  const { createCore, loadSettings } = await import('tessera-server/bundle');
  const settings = loadSettings({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, logLevel: 'warn' });
  let handle: CoreHandle | undefined;
  try {
    handle = await createCore(settings, { logDestination: process.stderr, ensureSigningKey: false });
    return await work(handle.core, options);
  } catch (error) {
    if (error instanceof RangeError || (error as { name?: string }).name === 'ZodError') {
      throw new CommandError(describeInputError(error as Error), 2);
    }
    throw error;
  } finally {
    await handle?.close();
  }
}

function describeInputError(error: Error): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (!issues) return error.message;
  return issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; ');
}

/** The company named by `--company`, or the first one created (the demo company). */
async function resolveCompany(core: Core, companyId: string | undefined): Promise<string> {
  if (companyId) {
    if (!(await core.store.companies.get(companyId.toLowerCase()))) throw new CommandError(`no company ${companyId}`, 2);
    return companyId.toLowerCase();
  }
  const [first] = await core.store.companies.list();
  if (!first) throw new CommandError('the store has no company yet: run `tessera serve` once, or `tessera admin companies create`', 2);
  return first.id;
}

export function registerAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description('administer the token service: on its local store, or with --server through its admin API (apps, request tokens, users, companies)')
    .option('--data-dir <dir>', 'the data dir of the service (TESSERA_DATA_DIR, default ./.tessera)')
    .option('--database-url <url>', 'the PostgreSQL database of the service, postgres://… (TESSERA_DATABASE_URL)')
    .option('--server <url>', 'work through the admin API of a running service instead (sign in first: `tessera admin login --server URL`)')
    .option('--json', 'print JSON for scripts');

  admin
    .command('login')
    .description('sign in to the admin API of a running service (--server); keeps a short-lived token in TESSERA_HOME (mode 0600)')
    .option('--login-id <login>', 'your login id (a Web Services Administrator); asked when absent')
    .option('--password-stdin', 'read the password from standard input (else TESSERA_ADMIN_PASSWORD, else a hidden prompt)')
    .action(async (options: { loginId?: string; passwordStdin?: boolean }, command: Command) => {
      const server = remoteServer(command);
      if (!server) throw new CommandError('tessera admin login needs --server URL (e.g. https://localhost:8443)', ExitCode.Usage);
      let loginId = options.loginId;
      if (!loginId) {
        if (!process.stdin.isTTY) throw new CommandError('no login id: pass --login-id', ExitCode.Usage);
        const prompt = createInterface({ input: process.stdin, output: process.stderr });
        loginId = (await prompt.question('Login ID: ')).trim();
        prompt.close();
      }
      const password = await readSecret({ label: 'password', stdinFlag: '--password-stdin', fromStdin: Boolean(options.passwordStdin), envVar: 'TESSERA_ADMIN_PASSWORD' });
      const saved = await login(server, loginId, password);
      const { json } = command.optsWithGlobals<AdminOptions>();
      printRecord({ server, loginId: saved.loginId, companyUUID: saved.companyUUID, companyName: saved.companyName, expiresAt: saved.expiresAt }, Boolean(json));
    });

  admin
    .command('logout')
    .description('end the admin token of --server there, and forget it here')
    .action(async (_options, command: Command) => {
      const server = remoteServer(command);
      if (!server) throw new CommandError('tessera admin logout needs --server URL', ExitCode.Usage);
      const { removed, endedOnServer } = await logout(server);
      process.stderr.write(!removed ? `was not signed in to ${server}\n`
        : endedOnServer ? `signed out of ${server}\n`
          : `forgot the admin token of ${server} (the server did not confirm ending it: unreachable, or it had already ended)\n`);
    });

  const apps = admin.command('apps').description('OAuth 2.0 Application Management');
  apps
    .command('create')
    .description('create a web application; prints its client id and secret (shown only here)')
    .requiredOption('--name <name>', 'App Name')
    .requiredOption('--description <text>', 'App Description')
    .requiredOption('--grants <list>', 'Allowed Grants, e.g. password,refresh_token', list)
    .requiredOption('--scopes <list>', 'Allowed Scopes, e.g. openid,user.read', list)
    .option('--stage <stage>', 'development | test | production', 'development')
    .option('--type <type>', 'ws-client | ics-client', 'ws-client')
    .option('--company <uuid>', 'owning company (default: the first company, the demo company)')
    .action(async (options, command: Command) => {
      const server = remoteServer(command);
      if (server) {
        const api = await adminApi(server);
        checkCompany(options.company, api.session);
        const { app, clientSecret } = await api.post<{ app: RemoteApp; clientSecret: string }>('/apps', {
          name: options.name, description: options.description, grants: options.grants, scopes: options.scopes,
          stage: options.stage, appType: options.type,
        });
        printRecord({
          clientId: app.clientId, clientSecret, name: app.name, description: app.description, stage: app.stage, appType: app.appType,
          grants: app.grants, scopes: app.scopes, companyUUID: app.companyUUID, createdAt: app.createdAt,
        }, Boolean(command.optsWithGlobals<AdminOptions>().json));
        return;
      }
      await withCore(command, async (core, global) => {
        const { createApp } = await import('tessera-server/bundle');
        const companyId = await resolveCompany(core, options.company);
        const { app, clientSecret } = await createApp(core, companyId, {
          name: options.name, description: options.description, grants: options.grants, scopes: options.scopes,
          stage: options.stage, appType: options.type,
        });
        printRecord({
          clientId: app.id, clientSecret, name: app.name, description: app.description, stage: app.stage, appType: app.appType,
          grants: app.grants, scopes: app.scopes, companyUUID: companyId, createdAt: iso(app.createdAt),
        }, Boolean(global.json));
      });
    });
  apps
    .command('list')
    .description('list the apps of a company')
    .option('--company <uuid>', 'company (default: the demo company)')
    .action(async (options, command: Command) => {
      const server = remoteServer(command);
      if (server) {
        const api = await adminApi(server);
        checkCompany(options.company, api.session);
        const apps: RemoteApp[] = [];
        for (let offset = 0; ; offset += 200) {
          const page = await api.get<{ items: RemoteApp[]; total: number }>(`/apps?sort=createdAt&order=asc&limit=200&offset=${offset}`);
          apps.push(...page.items);
          if (apps.length >= page.total || page.items.length === 0) break;
        }
        printTable(apps.map((app) => ({
          clientId: app.clientId, name: app.name, stage: app.stage, enabled: app.enabled, grants: app.grants, scopes: app.scopes,
          createdAt: app.createdAt, lastUsedAt: app.lastUsedAt ?? '',
        })), ['clientId', 'name', 'stage', 'enabled', 'grants', 'createdAt', 'lastUsedAt'], Boolean(command.optsWithGlobals<AdminOptions>().json));
        return;
      }
      await withCore(command, async (core, global) => {
        const companyId = await resolveCompany(core, options.company);
        const { items } = await core.store.apps.list({ companyId, sort: 'createdAt', order: 'asc', limit: 10_000 });
        printTable(items.map((app) => ({
          clientId: app.id, name: app.name, stage: app.stage, enabled: app.enabled, grants: app.grants, scopes: app.scopes,
          createdAt: iso(app.createdAt), lastUsedAt: iso(app.lastUsedAt),
        })), ['clientId', 'name', 'stage', 'enabled', 'grants', 'createdAt', 'lastUsedAt'], Boolean(global.json));
      });
    });

  admin
    .command('request-token')
    .description('generate a Company Request Token for an app (enables the app for the company; replaces the previous token)')
    .requiredOption('--client-id <id>', 'the app (Client ID)')
    .option('--company <uuid>', 'company (default: the demo company)')
    .action(async (options, command: Command) => {
      const server = remoteServer(command);
      if (server) {
        const api = await adminApi(server);
        checkCompany(options.company, api.session);
        const issued = await api.post<{ companyUUID: string; requestToken: string; expiresAt: string; warnings: string[] }>(
          '/request-tokens', { appId: String(options.clientId) });
        for (const warning of issued.warnings) process.stderr.write(`warning: ${warning}\n`);
        printRecord({ companyUUID: issued.companyUUID, requestToken: issued.requestToken, expiresAt: issued.expiresAt },
          Boolean(command.optsWithGlobals<AdminOptions>().json));
        return;
      }
      await withCore(command, async (core, global) => {
        const { generateRequestToken } = await import('tessera-server/bundle');
        const companyId = await resolveCompany(core, options.company);
        const issued = await generateRequestToken(core, String(options.clientId).toLowerCase(), companyId);
        core.audit.record({ action: 'request-token.generated', outcome: 'success', appId: String(options.clientId).toLowerCase(), companyId, actorType: 'operator' });
        printRecord({ ...issued }, Boolean(global.json));
      });
    });

  const users = admin.command('users').description('users of a company');
  users
    .command('create')
    .description('create a user; the password is read from standard input')
    .requiredOption('--login-id <login>', 'login id')
    .requiredOption('--password-stdin', 'read the password from standard input')
    .option('--company <uuid>', 'company (default: the demo company)')
    .option('--email <email>', 'email address')
    .option('--admin', 'make the user a Web Services Administrator')
    .action(async (options, command: Command) => {
      const password = await readStdin();
      const server = remoteServer(command);
      if (server) {
        const api = await adminApi(server);
        checkCompany(options.company, api.session);
        const user = await api.post<RemoteUser>('/users', {
          loginId: options.loginId, password, ...(options.email ? { email: options.email } : {}), administrator: Boolean(options.admin),
        });
        printRecord({ id: user.id, loginId: user.loginId, companyUUID: api.session.companyUUID, roles: user.roles },
          Boolean(command.optsWithGlobals<AdminOptions>().json));
        return;
      }
      await withCore(command, async (core, global) => {
        const { createUser, WebServicesAdministrator } = await import('tessera-server/bundle');
        const companyId = await resolveCompany(core, options.company);
        const user = await createUser(core, {
          companyId, loginId: options.loginId, password, email: options.email,
          roles: options.admin ? [WebServicesAdministrator] : [],
        });
        printRecord({ id: user.id, loginId: user.loginId, companyUUID: companyId, roles: user.roles }, Boolean(global.json));
      });
    });
  users
    .command('reset-password')
    .description('set a new password for a user: typed at a prompt (not echoed), piped to --password-stdin, or --generate (printed once); '
      + 'the lockout lifts and the user\'s console sessions end')
    .requiredOption('--login-id <login>', 'the user\'s login id')
    .option('--password-stdin', 'read the new password from standard input')
    .option('--generate', 'generate a strong password and print it (only now)')
    .addOption(new Option('--password <password>').hideHelp())
    .option('--company <uuid>', 'company (default: the demo company; with --server: yours)')
    .action(async (options, command: Command) => {
      if (options.password !== undefined) {
        throw new CommandError('a password is never taken from the command line (it would stay in the shell history and in `ps`): '
          + 'type it at the prompt, pipe it to --password-stdin, or pass --generate', ExitCode.Usage);
      }
      if (options.generate && options.passwordStdin) throw new CommandError('--generate and --password-stdin exclude each other', ExitCode.Usage);
      const password: string = options.generate
        ? randomBytes(18).toString('base64url')
        : await readSecret({ label: 'new password', stdinFlag: '--password-stdin', fromStdin: Boolean(options.passwordStdin), envVar: 'TESSERA_NEW_PASSWORD' });
      if (password.length < 8 || password.length > 1024) throw new CommandError('the new password must have 8 to 1024 characters', ExitCode.Usage);
      const json = Boolean(command.optsWithGlobals<AdminOptions>().json);
      const report = (user: { id: string; loginId: string }) => printRecord({
        passwordReset: user.loginId, id: user.id, ...(options.generate ? { password } : {}),
      }, json);
      const server = remoteServer(command);
      if (server) {
        const api = await adminApi(server);
        checkCompany(options.company, api.session);
        const { items } = await api.get<{ items: RemoteUser[] }>('/users');
        const user = items.find((u) => u.loginId === String(options.loginId).trim());
        if (!user) throw new CommandError(`no user ${options.loginId} in ${api.session.companyName}`, ExitCode.Usage);
        report(await api.post<RemoteUser>(`/users/${user.id}/password`, { password }));
        return;
      }
      await withCore(command, async (core) => {
        const { resetUserPassword } = await import('tessera-server/bundle');
        const companyId = await resolveCompany(core, options.company);
        const user = await core.store.users.findByLoginId(String(options.loginId).trim());
        if (!user || user.companyId !== companyId) throw new CommandError(`no user ${options.loginId} in company ${companyId}`, ExitCode.Usage);
        report(await resetUserPassword(core, user, password, { actorType: 'operator' }));
      });
    });
  users
    .command('list')
    .description('list the users of a company')
    .option('--company <uuid>', 'company (default: the demo company)')
    .action(async (options, command: Command) => {
      const server = remoteServer(command);
      if (server) {
        const api = await adminApi(server);
        checkCompany(options.company, api.session);
        const { items } = await api.get<{ items: RemoteUser[] }>('/users');
        printTable(items.map((u) => ({ id: u.id, loginId: u.loginId, status: u.status, roles: u.roles, createdAt: u.createdAt })),
          ['id', 'loginId', 'status', 'roles', 'createdAt'], Boolean(command.optsWithGlobals<AdminOptions>().json));
        return;
      }
      await withCore(command, async (core, global) => {
        const companyId = await resolveCompany(core, options.company);
        const rows = (await core.store.users.listByCompany(companyId)).map((u) => ({
          id: u.id, loginId: u.loginId, status: u.status, roles: u.roles, createdAt: iso(u.createdAt),
        }));
        printTable(rows, ['id', 'loginId', 'status', 'roles', 'createdAt'], Boolean(global.json));
      });
    });

  registerAdminKeyCommands(admin);
  registerAdminStoreCommands(admin);

  const companies = admin.command('companies').description('companies (tenants)');
  companies
    .command('create')
    .description('create a company')
    .requiredOption('--name <name>', 'company name')
    .option('--geolocation <url>', 'base URL of the datacenter it lives in (default: wherever the service runs)')
    .action(async (options, command: Command) => {
      await withCore(command, async (core, global) => {
        const { createCompany } = await import('tessera-server/bundle');
        const company = await createCompany(core, { name: options.name, geolocation: options.geolocation });
        printRecord({ id: company.id, name: company.name, geolocation: company.geolocation ?? '' }, Boolean(global.json));
      });
    });
  companies
    .command('list')
    .description('list companies')
    .action(async (_options, command: Command) => {
      await withCore(command, async (core, global) => {
        const rows = (await core.store.companies.list()).map((c) => ({
          id: c.id, name: c.name, geolocation: c.geolocation ?? '', createdAt: iso(c.createdAt),
        }));
        printTable(rows, ['id', 'name', 'geolocation', 'createdAt'], Boolean(global.json));
      });
    });
}
