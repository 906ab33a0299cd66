/**
 * `tessera admin …`: administration on the same store as `tessera serve` (`--data-dir`), or with
 * `--server URL` through the admin API of a running service (after `tessera admin login`). Each
 * command has `--json` for scripts. Secrets appear only in the answer that creates them.
 */
import { createInterface } from 'node:readline/promises';
import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import type { AppView, Core, CoreHandle } from 'tessera-server';
import { localOperations, remoteOperations, userByLoginId, type AdminOperations } from '../admin-operations.js';
import { AdminApiError, adminApi, login, logout, normalizeServer } from '../admin-remote.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, printJson, printRecord, printTable, readStdin } from '../output.js';
import { registerAppCenterCommands } from './admin-app-center.js';
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

const list = (value: string): string[] => value.split(/[\s,]+/).filter(Boolean);

/** Opens the store of `--data-dir`, runs `work` as its operator, and closes it again. */
export async function withCore<T>(command: Command, work: (core: Core, options: AdminOptions, server: typeof import('tessera-server')) => Promise<T>): Promise<T> {
  const options = command.optsWithGlobals<AdminOptions>();
  if (options.server) {
    throw new CommandError(`\`tessera admin ${command.parent?.name()} ${command.name()}\` works on the local store only (it spans companies); run it without --server on the service's machine`, ExitCode.Usage);
  }
  const server = await import('tessera-server/bundle');
  const settings = server.loadSettings({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, logLevel: 'warn' });
  let handle: CoreHandle | undefined;
  try {
    handle = await server.createCore(settings, { logDestination: process.stderr, ensureSigningKey: false });
    return await work(handle.core, options, server);
  } catch (error) {
    // The core's refusals read exactly as the admin API's do with --server.
    if (error instanceof server.ConcurError) throw new AdminApiError(error.status, error.toBody());
    if (error instanceof RangeError) throw new CommandError(error.message, ExitCode.Usage);
    throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Runs `work` with the operations of `tessera admin`: with `--server` through its admin API (as
 * the administrator signed in there), else on the local store as its operator, within the company
 * of `--company` or the demo company (`admin-operations.ts`).
 */
export async function withOperations<T>(command: Command, company: string | undefined, work: (ops: AdminOperations, json: boolean) => Promise<T>): Promise<T> {
  const json = Boolean(command.optsWithGlobals<AdminOptions>().json);
  const server = remoteServer(command);
  if (server) {
    const api = await adminApi(server);
    checkCompany(company, api.session);
    return work(remoteOperations(api), json);
  }
  return withCore(command, async (core, _options, bundle) =>
    work(localOperations(bundle, core, await bundle.operatorContext(core, company)), json));
}

const yourCompany = 'company (default: the demo company; with --server: yours)';

/** A subcommand on one app of the company: `--client-id` (and `--company`). */
const appCommand = (parent: Command, name: string, description: string): Command => parent.command(name).description(description)
  .requiredOption('--client-id <id>', 'the app (Client ID)')
  .option('--company <uuid>', yourCompany);

/** A subcommand on one user of the company: `--login-id` (and `--company`). */
const userCommand = (parent: Command, name: string, description: string): Command => parent.command(name).description(description)
  .requiredOption('--login-id <login>', 'the user\'s login id')
  .option('--company <uuid>', yourCompany);

/** What `apps create` and `apps update` print of an app. */
const appRecord = (app: AppView) => ({
  clientId: app.clientId, name: app.name, description: app.description, stage: app.stage, appType: app.appType, clientType: app.clientType,
  grants: app.grants, scopes: app.scopes, listed: app.listed, connectUrl: app.connectUrl, companyUUID: app.companyUUID, createdAt: app.createdAt,
});

const connectUrlHelp = 'Connect URL: where App Center Connect sends the administrator (https; http only on localhost); "" removes it';

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
    .option('--client-type <type>', 'confidential | public (public: PKCE required, no secret for codes and refresh tokens)', 'confidential')
    .option('--redirect-uris <list>', 'redirect URIs of the authorization_code grant', list)
    .option('--company <uuid>', 'owning company (default: the first company, the demo company)')
    .option('--listed', 'list the app in other companies\' App Center (needs --connect-url and the password grant)')
    .option('--connect-url <url>', connectUrlHelp)
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        const { app, clientSecret } = await ops.createApp({
          name: options.name, description: options.description, grants: options.grants, scopes: options.scopes,
          stage: options.stage, appType: options.type, clientType: options.clientType,
          ...(options.redirectUris ? { redirectUris: options.redirectUris } : {}),
          ...(options.listed ? { listed: true } : {}), ...(options.connectUrl !== undefined ? { connectUrl: options.connectUrl } : {}),
        });
        const { clientId, ...rest } = appRecord(app);
        printRecord({ clientId, clientSecret, ...rest }, json);
      });
    });
  appCommand(apps, 'update', 'change an app: only the options given change (App Details → Edit)')
    .option('--name <name>', 'App Name')
    .option('--description <text>', 'App Description')
    .option('--grants <list>', 'Allowed Grants, e.g. password,refresh_token', list)
    .option('--scopes <list>', 'Allowed Scopes, e.g. openid,user.read', list)
    .option('--stage <stage>', 'development | test | production')
    .option('--type <type>', 'ws-client | ics-client')
    .option('--client-type <type>', 'confidential | public')
    .option('--redirect-uris <list>', 'redirect URIs', list)
    .option('--listed', 'list the app in other companies\' App Center (needs a Connect URL and the password grant)')
    .option('--no-listed', 'take the app out of the App Center (connections made stay)')
    .option('--connect-url <url>', connectUrlHelp)
    .action(async (options, command: Command) => {
      const changes = Object.fromEntries(Object.entries({
        name: options.name, description: options.description, grants: options.grants, scopes: options.scopes,
        stage: options.stage, appType: options.type, clientType: options.clientType, redirectUris: options.redirectUris,
        listed: options.listed, connectUrl: options.connectUrl,
      }).filter(([, value]) => value !== undefined));
      if (Object.keys(changes).length === 0) throw new CommandError('nothing to change: pass at least one of --name, --description, --grants, --scopes, --stage, --type, --client-type, --redirect-uris, --listed, --no-listed, --connect-url', ExitCode.Usage);
      await withOperations(command, options.company, async (ops, json) => {
        const app = await ops.updateApp(String(options.clientId), changes);
        printRecord({ ...appRecord(app), enabled: app.enabled }, json);
      });
    });
  for (const enabled of [true, false]) {
    appCommand(apps, enabled ? 'enable' : 'disable', enabled ? 'enable an app again' : 'disable an app: its tokens and secrets stop working until it is enabled again')
      .action(async (options, command: Command) => {
        await withOperations(command, options.company, async (ops, json) => {
          const app = await ops.updateApp(String(options.clientId), { enabled });
          printRecord({ clientId: app.clientId, name: app.name, enabled: app.enabled }, json);
        });
      });
  }
  apps
    .command('list')
    .description('list the apps of a company')
    .option('--company <uuid>', 'company (default: the demo company)')
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        const all: AppView[] = [];
        for (let offset = 0; ; offset += 200) {
          const page = await ops.listApps({ sort: 'createdAt', order: 'asc', limit: 200, offset });
          all.push(...page.items);
          if (all.length >= page.total || page.items.length === 0) break;
        }
        printTable(all.map((app) => ({
          clientId: app.clientId, name: app.name, stage: app.stage, enabled: app.enabled, grants: app.grants, scopes: app.scopes,
          createdAt: app.createdAt, lastUsedAt: app.lastUsedAt ?? '',
        })), ['clientId', 'name', 'stage', 'enabled', 'grants', 'createdAt', 'lastUsedAt'], json);
      });
    });

  const secrets = apps.command('secrets').description('client secrets of an app (values are shown only when created)');
  appCommand(secrets, 'list', 'list the secrets of an app (never their values)')
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        printTable((await ops.listSecrets(String(options.clientId))).map((secret) => ({ ...secret })), ['id', 'status', 'createdAt', 'updatedAt'], json);
      });
    });
  appCommand(secrets, 'create', 'add a secret (Inactive until activated); prints its value, shown only here')
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        printRecord({ ...(await ops.createSecret(String(options.clientId))) }, json);
      });
    });
  for (const status of ['active', 'inactive'] as const) {
    appCommand(secrets, status === 'active' ? 'activate' : 'deactivate', status === 'active' ? 'activate a secret' : 'deactivate a secret: it stops working at once')
      .requiredOption('--secret-id <id>', 'the secret')
      .action(async (options, command: Command) => {
        await withOperations(command, options.company, async (ops, json) => {
          printRecord({ ...(await ops.changeSecret(String(options.clientId), String(options.secretId), { status })) }, json);
        });
      });
  }
  appCommand(secrets, 'delete', 'delete an inactive secret')
    .requiredOption('--secret-id <id>', 'the secret')
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        await ops.deleteSecret(String(options.clientId), String(options.secretId));
        printRecord({ deleted: String(options.secretId) }, json);
      });
    });

  admin
    .command('request-token')
    .description('generate a Company Request Token for an app (enables the app for the company; replaces the previous token)')
    .requiredOption('--client-id <id>', 'the app (Client ID)')
    .option('--company <uuid>', 'company (default: the demo company)')
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        const issued = await ops.generateRequestToken({ appId: String(options.clientId) });
        for (const warning of issued.warnings) process.stderr.write(`warning: ${warning}\n`);
        printRecord({ companyUUID: issued.companyUUID, requestToken: issued.requestToken, expiresAt: issued.expiresAt }, json);
      });
    });

  registerAppCenterCommands(admin);

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
      await withOperations(command, options.company, async (ops, json) => {
        const user = await ops.createUser({
          loginId: options.loginId, password, ...(options.email ? { email: options.email } : {}), administrator: Boolean(options.admin),
        });
        printRecord({ id: user.id, loginId: user.loginId, companyUUID: ops.companyUUID, roles: user.roles }, json);
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
    .option('--company <uuid>', yourCompany)
    .action(async (options, command: Command) => {
      if (options.password !== undefined) {
        throw new CommandError('a password is never taken from the command line (it would stay in the shell history and in `ps`): '
          + 'type it at the prompt, pipe it to --password-stdin, or pass --generate', ExitCode.Usage);
      }
      if (options.generate && options.passwordStdin) throw new CommandError('--generate and --password-stdin exclude each other', ExitCode.Usage);
      const password: string = options.generate
        ? randomBytes(18).toString('base64url')
        : await readSecret({ label: 'new password', stdinFlag: '--password-stdin', fromStdin: Boolean(options.passwordStdin), envVar: 'TESSERA_NEW_PASSWORD' });
      await withOperations(command, options.company, async (ops, json) => {
        const user = await ops.resetPassword((await userByLoginId(ops, String(options.loginId))).id, { password });
        printRecord({ passwordReset: user.loginId, id: user.id, ...(options.generate ? { password } : {}) }, json);
      });
    });
  const userChanges = [
    ['disable', 'disable a user: their tokens stop working and their console sessions end', (ops: AdminOperations, id: string) => ops.changeUser(id, { status: 'disabled' })],
    ['enable', 'enable a disabled user again', (ops: AdminOperations, id: string) => ops.changeUser(id, { status: 'active' })],
    ['unlock', 'unlock a user locked by failed sign-ins (the failure budget of the login id lifts too)', (ops: AdminOperations, id: string) => ops.unlockUser(id)],
  ] as const;
  for (const [name, description, change] of userChanges) {
    userCommand(users, name, description)
      .action(async (options, command: Command) => {
        await withOperations(command, options.company, async (ops, json) => {
          const user = await change(ops, (await userByLoginId(ops, String(options.loginId))).id);
          printRecord({ id: user.id, loginId: user.loginId, status: user.status }, json);
        });
      });
  }
  users
    .command('list')
    .description('list the users of a company')
    .option('--company <uuid>', 'company (default: the demo company)')
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        printTable((await ops.listUsers()).map((u) => ({ id: u.id, loginId: u.loginId, status: u.status, roles: u.roles, createdAt: u.createdAt })),
          ['id', 'loginId', 'status', 'roles', 'createdAt'], json);
      });
    });

  admin
    .command('outbox')
    .description('the mail kept for a company\'s users when no SMTP server is configured (one-time passwords), newest first; each read is audited')
    .option('--company <uuid>', yourCompany)
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        const messages = await ops.listOutbox();
        if (json) return printJson(messages);
        if (messages.length === 0) process.stdout.write(`no mail in the outbox of ${ops.companyName}\n`);
        for (const m of messages) process.stdout.write(`${m.createdAt}  to ${m.to}\nSubject: ${m.subject}\n\n${m.text}\n`);
      });
    });

  registerAdminKeyCommands(admin);
  registerAdminStoreCommands(admin);

  const companies = admin.command('companies').description('companies (tenants): the operator\'s, on the local store only');
  companies
    .command('create')
    .description('create a company')
    .requiredOption('--name <name>', 'company name')
    .option('--geolocation <url>', 'base URL of the datacenter it lives in (default: wherever the service runs)')
    .action(async (options, command: Command) => {
      await withCore(command, async (core, global, server) => {
        const company = await server.createCompanyFor(core, server.operatorActor, {
          name: options.name, ...(options.geolocation ? { geolocation: options.geolocation } : {}),
        });
        printRecord({ id: company.id, name: company.name, geolocation: company.geolocation ?? '' }, Boolean(global.json));
      });
    });
  companies
    .command('set-datacenter <companyUUID> <datacenter>')
    .description('move a company to another home datacenter (a name of TESSERA_DATACENTERS such as eu2, a base URL, or "none": any datacenter); '
      + 'its users then sign in, get OTPs and refresh only there (code 16 elsewhere)')
    .action(async (companyUUID: string, datacenter: string, _options, command: Command) => {
      await withCore(command, async (core, global, server) => {
        const moved = await server.setHomeDatacenterFor(core, server.operatorActor, companyUUID.toLowerCase(), { datacenter: datacenter === 'none' ? null : datacenter });
        printRecord({ id: moved.id, name: moved.name, geolocation: moved.geolocation ?? '', datacenter: moved.datacenter ?? '' }, Boolean(global.json));
      });
    });
  companies
    .command('list')
    .description('list companies')
    .action(async (_options, command: Command) => {
      await withCore(command, async (core, global, server) => {
        const rows = (await server.listCompaniesFor(core, server.operatorActor)).map((c) => ({ ...c, geolocation: c.geolocation ?? '' }));
        printTable(rows, ['id', 'name', 'geolocation', 'createdAt'], Boolean(global.json));
      });
    });
}
