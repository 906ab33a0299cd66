/**
 * `tessera env …`: environments, like Postman's — an app (client id and secret) on a datacenter,
 * and the connection made with it. Several can be kept; one is current. Secrets are never taken
 * from an argument and never shown in full.
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { isRefreshTokenLive, writeFileAtomic } from 'tessera-client';
import { normalizeGeolocation } from 'tessera-protocol';
import { daysUntil, mask } from '../connection.js';
import { ExitCode } from '../exit-codes.js';
import { assertEnvironmentName, TesseraHome, type Environment } from '../home.js';
import { CommandError, printJson, printRecord, printTable } from '../output.js';
import { connectionValues, environmentNameFrom, parsePostmanEnvironment, toPostmanEnvironment } from '../postman.js';
import { readSecret } from '../secret-input.js';
import { caFileFor, readCaFile } from '../trust.js';

function datacenterUrl(input: string): string {
  try {
    return normalizeGeolocation(input);
  } catch (error) {
    throw new CommandError(`--datacenter: ${(error as Error).message} (give us2, eu2, glz…, a host, or a URL)`, ExitCode.Usage);
  }
}

/** A hidden `--client-secret VALUE`, only to explain why it is refused. */
const refusedSecretOption = () => new Option('--client-secret <secret>').hideHelp();

function refuseSecretArgument(options: { clientSecret?: unknown }): void {
  if (options.clientSecret !== undefined) {
    throw new CommandError('the client secret is never taken from the command line (it would stay in the shell history and in `ps`): '
      + 'type it at the prompt, pipe it to --client-secret-stdin, or set TESSERA_CLIENT_SECRET', ExitCode.Usage);
  }
}

const clientSecretSource = (fromStdin: boolean) => ({
  label: 'client secret', stdinFlag: '--client-secret-stdin', fromStdin, envVar: 'TESSERA_CLIENT_SECRET',
});

/** Saves `environment`, keeping the connection only when the app stays the same; makes it current when none is. */
async function store(home: TesseraHome, environment: Environment, replace: boolean): Promise<boolean> {
  const existing = await home.get(environment.name);
  if (existing && !replace) {
    throw new CommandError(`environment ${environment.name} exists: pass --force to replace it, or \`tessera env remove ${environment.name}\``, ExitCode.Usage);
  }
  if (existing && existing.clientId !== environment.clientId) await home.connectionStore(environment.name).clear();
  await home.save({ ...environment, createdAt: existing?.createdAt ?? environment.createdAt });
  const current = await home.current();
  if (!current || !(await home.get(current))) {
    await home.setCurrent(environment.name);
    return true;
  }
  return current === environment.name;
}

export function registerEnvCommands(program: Command): void {
  const env = program
    .command('env')
    .description('environments: an app (client id and secret) on a datacenter, like Postman environments (TESSERA_HOME)');

  env
    .command('add')
    .description('add an environment; the client secret comes from a prompt, --client-secret-stdin or TESSERA_CLIENT_SECRET; a --ca FILE given with it is kept for the environment')
    .argument('<name>', 'a name for it, e.g. prod-us2')
    .requiredOption('--datacenter <host-or-url>', 'where first tokens are obtained: us2, eu2, apj1, glz, a host, or a URL (http://localhost:8080 for a local Tessera)')
    .requiredOption('--client-id <id>', 'the Client ID from OAuth 2.0 Application Management')
    .option('--client-secret-stdin', 'read the client secret from standard input')
    .option('--public', 'a public app: no client secret (users connect with `tessera token login`, PKCE instead of a secret)')
    .addOption(refusedSecretOption())
    .option('--company-uuid <uuid>', 'the Company UUID from Company Request Token (for `tessera token convert`)')
    .option('--force', 'replace an environment of the same name (its connection is kept if the client id stays)')
    .option('--json', 'print JSON')
    .action(async (name: string, options) => {
      const home = new TesseraHome();
      refuseSecretArgument(options);
      assertEnvironmentName(name);
      const datacenter = datacenterUrl(options.datacenter);
      // The global --ca given with `env add` is kept: the environment's servers are trusted with it from then on.
      const ca = caFileFor();
      if (ca) readCaFile(ca);
      if (options.public && options.clientSecretStdin) {
        throw new CommandError('--public and --client-secret-stdin exclude each other: a public app has no client secret', ExitCode.Usage);
      }
      const clientSecret = options.public ? undefined : await readSecret(clientSecretSource(Boolean(options.clientSecretStdin)));
      const now = new Date().toISOString();
      const current = await store(home, {
        name, datacenter, clientId: String(options.clientId).trim(), clientSecret,
        companyUUID: options.companyUuid, ca, createdAt: now, updatedAt: now,
      }, Boolean(options.force));
      printRecord({ added: name, datacenter, clientId: options.clientId, current }, Boolean(options.json));
    });

  env
    .command('list')
    .description('list the environments; * marks the current one')
    .option('--json', 'print JSON')
    .action(async (options) => {
      const home = new TesseraHome();
      const current = await home.current();
      const rows = [];
      for (const environment of await home.list()) {
        const connection = await home.connection(environment.name).catch(() => undefined);
        rows.push({
          current: environment.name === current ? '*' : '',
          name: environment.name,
          datacenter: environment.datacenter,
          clientId: environment.clientId,
          connected: connection ? (isRefreshTokenLive(connection) ? 'yes' : 'expired') : 'no',
          geolocation: connection?.geolocation ?? '',
        });
      }
      if (options.json) return printJson(rows.map(({ current: mark, ...row }) => ({ ...row, current: mark === '*' })));
      if (rows.length === 0) {
        process.stderr.write('no environments yet: `tessera env add NAME --datacenter us2 --client-id ID` or `tessera env import FILE`\n');
        return;
      }
      printTable(rows, ['current', 'name', 'datacenter', 'clientId', 'connected', 'geolocation'], false);
    });

  env
    .command('use')
    .description('make an environment the current one')
    .argument('<name>')
    .action(async (name: string) => {
      const home = new TesseraHome();
      const environment = await home.resolve(name);
      await home.setCurrent(environment.name);
      process.stdout.write(`current environment: ${environment.name}\n`);
    });

  env
    .command('show')
    .description('show an environment (secrets masked)')
    .argument('[name]', 'default: --env, TESSERA_ENV, or the current one')
    .option('--env <name>', 'the environment')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, options) => {
      const home = new TesseraHome();
      const environment = await home.resolve(name ?? options.env);
      const connection = await home.connection(environment.name);
      printRecord({
        name: environment.name,
        current: (await home.current()) === environment.name,
        datacenter: environment.datacenter,
        clientId: environment.clientId,
        clientSecret: environment.clientSecret ? mask(environment.clientSecret) : '(none: public app)',
        companyUUID: environment.companyUUID ?? '',
        ca: environment.ca ?? '',
        requestToken: mask(environment.requestToken),
        connected: Boolean(connection),
        refreshToken: mask(connection?.refreshToken),
        refreshExpiresAt: connection?.refreshExpiresAt ?? '',
        daysLeft: daysUntil(connection?.refreshExpiresAt) ?? '',
        geolocation: connection?.geolocation ?? '',
        principal: connection?.principal ? `${connection.principal.type} ${connection.principal.id}` : '',
        scopes: connection?.scopes ?? [],
        lastRefresh: connection?.updatedAt ?? '',
        files: home.environmentsDir,
      }, Boolean(options.json));
    });

  env
    .command('remove')
    .alias('rm')
    .description('delete an environment and its stored refresh token (without revoking it: `tessera token revoke` does that)')
    .argument('<name>')
    .action(async (name: string) => {
      const home = new TesseraHome();
      const environment = await home.resolve(name);
      await home.remove(environment.name);
      process.stdout.write(`removed environment ${environment.name}\n`);
    });

  env
    .command('import')
    .description("import a Postman environment of SAP Concur's Authentication collection (dataCenterURI, clientId, clientSecret, companyUUID, requestToken, refreshToken)")
    .argument('<file>', 'the exported environment (.postman_environment.json)')
    .option('--name <name>', 'the environment name (default: from the Postman name)')
    .option('--datacenter <host-or-url>', 'use this instead of dataCenterURI')
    .option('--client-id <id>', 'use this when clientId is unset')
    .option('--client-secret-stdin', 'when clientSecret is unset: read it from standard input (else TESSERA_CLIENT_SECRET or a prompt)')
    .addOption(refusedSecretOption())
    .option('--force', 'replace an environment of the same name')
    .option('--json', 'print JSON')
    .action(async (file: string, options) => {
      const home = new TesseraHome();
      refuseSecretArgument(options);
      let values;
      try {
        values = connectionValues(parsePostmanEnvironment(await readFile(file, 'utf8')));
      } catch (error) {
        throw new CommandError(`${file}: ${(error as Error).message}`, ExitCode.Usage);
      }
      const name = assertEnvironmentName(options.name ?? environmentNameFrom(values.name) ?? 'default');
      const datacenterInput = options.datacenter ?? values.dataCenterURI;
      if (!datacenterInput) throw new CommandError(`${file} sets no dataCenterURI: pass --datacenter (us2, eu2, …)`, ExitCode.Usage);
      const clientId = values.clientId ?? options.clientId;
      if (!clientId) throw new CommandError(`${file} sets no clientId (it holds a placeholder): pass --client-id`, ExitCode.Usage);
      const clientSecret = values.clientSecret ?? await readSecret(clientSecretSource(Boolean(options.clientSecretStdin)));
      const datacenter = datacenterUrl(datacenterInput);
      const now = new Date().toISOString();
      const current = await store(home, {
        name, datacenter, clientId, clientSecret, companyUUID: values.companyUUID, requestToken: values.requestToken,
        createdAt: now, updatedAt: now,
      }, Boolean(options.force));
      if (values.refreshToken) {
        await home.connectionStore(name).save({ refreshToken: values.refreshToken, geolocation: datacenter, updatedAt: now });
      }
      const next = values.refreshToken ? 'tessera token get' : values.companyUUID && values.requestToken
        ? 'tessera token convert' : 'generate a request token in Company Request Token, then tessera token convert --company-uuid UUID';
      printRecord({
        imported: name, datacenter, clientId, current,
        companyUUID: values.companyUUID ?? '(unset)',
        requestToken: values.requestToken ? 'set' : '(unset)',
        refreshToken: values.refreshToken ? 'set' : '(unset)',
        next: `${next}${current ? '' : ` --env ${name}`}`,
      }, Boolean(options.json));
    });

  env
    .command('export')
    .description("write an environment as a Postman environment for SAP Concur's Authentication collection (contains secrets)")
    .argument('[name]', 'default: --env, TESSERA_ENV, or the current one')
    .option('--env <name>', 'the environment')
    .requiredOption('--postman', 'Postman environment format (the only one)')
    .option('-o, --output <file>', 'write to this file (mode 0600) instead of standard output')
    .action(async (name: string | undefined, options) => {
      const home = new TesseraHome();
      const environment = await home.resolve(name ?? options.env);
      const connection = await home.connection(environment.name);
      const baseUrl = connection?.geolocation ?? environment.datacenter;
      if (baseUrl.startsWith('http:')) {
        process.stderr.write(`tessera: note: the collection calls https://{{dataCenterURI}}; ${baseUrl} is plain HTTP (run \`tessera serve --https\`)\n`);
      }
      const text = `${JSON.stringify(toPostmanEnvironment({
        name: environment.name, baseUrl, clientId: environment.clientId, clientSecret: environment.clientSecret,
        companyUUID: environment.companyUUID, requestToken: environment.requestToken, refreshToken: connection?.refreshToken,
      }), null, '\t')}\n`;
      if (options.output) {
        await writeFileAtomic(options.output, text, { mode: 0o600 });
        process.stderr.write(`wrote ${options.output}\n`);
      } else {
        process.stdout.write(text);
      }
    });
}
