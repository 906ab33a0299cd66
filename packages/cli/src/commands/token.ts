/**
 * `tessera token …`: step 3 (convert a company request token, once) and step 4 (an access token
 * on demand), plus revoke. The access token is printed alone, for
 * `curl -H "Authorization: Bearer $(tessera token get)"`.
 */
import { Option, type Command } from 'commander';
import { ConcurError, isRefreshTokenLive, type AccessToken, type ConnectionState } from 'tessera-client';
import { daysUntil, managerFor } from '../connection.js';
import { ExitCode } from '../exit-codes.js';
import { explained } from '../explain.js';
import { TesseraHome, type Environment } from '../home.js';
import { CommandError, printJson, printRecord } from '../output.js';
import { readSecret } from '../secret-input.js';
import { printConnection, registerUserConnectionCommands } from './token-connect.js';

const tokenRecord = (token: AccessToken) => ({
  accessToken: token.accessToken,
  tokenType: token.tokenType,
  expiresAt: new Date(token.expiresAt).toISOString(),
  geolocation: token.geolocation,
  scopes: token.scopes,
  principal: token.principal ?? null,
});

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('tokens of an environment: convert a request token (once) or connect a user (login, otp), get access tokens, revoke');

  token
    .command('convert')
    .description('step 3, once: convert the Company Request Token (valid 24 hours) into a refresh token stored in the environment')
    .option('--env <name>', 'the environment (default: TESSERA_ENV or the current one)')
    .option('--company-uuid <uuid>', 'the Company UUID (default: the environment\'s); the request token then comes from a prompt, stdin or TESSERA_REQUEST_TOKEN')
    .option('--request-token-stdin', 'read the request token from standard input')
    .addOption(new Option('--request-token <token>').hideHelp())
    .option('--force', 'convert even though the environment holds a live refresh token (it is replaced)')
    .option('--json', 'print JSON')
    .action(async (options) => {
      if (options.requestToken !== undefined) {
        throw new CommandError('the request token is never taken from the command line (it would stay in the shell history and in `ps`): '
          + 'type it at the prompt, pipe it to --request-token-stdin, or set TESSERA_REQUEST_TOKEN', ExitCode.Usage);
      }
      const home = new TesseraHome();
      const environment = await home.resolve(options.env);
      const companyUUID: string | undefined = options.companyUuid ?? environment.companyUUID;
      if (!companyUUID) {
        throw new CommandError(`environment ${environment.name} has no company UUID: pass --company-uuid (shown by Company Request Token next to the request token)`, ExitCode.Usage);
      }
      const manager = managerFor(home, environment);
      const existing = await manager.connection();
      if (!options.force && existing && isRefreshTokenLive(existing)) {
        throw new CommandError([
          `environment ${environment.name} is already connected: it holds a live refresh token${existing.refreshExpiresAt ? ` (until ${existing.refreshExpiresAt}, ${daysUntil(existing.refreshExpiresAt)} days left)` : ''}.`,
          '  A request token is converted once; the refresh token then lives as long as it is used at least every 6 months.',
          `  next: \`tessera token get --env ${environment.name}\` for an access token; to replace the connection anyway, run again with --force`,
        ].join('\n'), ExitCode.Usage);
      }
      const fromEnvironment = !options.companyUuid || options.companyUuid === environment.companyUUID ? environment.requestToken : undefined;
      const requestToken = !options.requestTokenStdin && !process.env.TESSERA_REQUEST_TOKEN && fromEnvironment
        ? fromEnvironment
        : await readSecret({ label: 'request token', stdinFlag: '--request-token-stdin', fromStdin: Boolean(options.requestTokenStdin), envVar: 'TESSERA_REQUEST_TOKEN' });

      const converted = await explained(environment.name, async () => {
        try {
          return await manager.convertRequestToken(companyUUID, requestToken, { force: Boolean(options.force) });
        } catch (error) {
          if (error instanceof ConcurError && error.code === 'ERR_ALREADY_CONNECTED') {
            throw new CommandError(`environment ${environment.name} was connected meanwhile by another process; pass --force to replace it`, ExitCode.Usage);
          }
          // A request token the service refused is of no further use: forget it, so the next attempt asks for a new one.
          if (error instanceof ConcurError && error.concurCode === 136 && requestToken === environment.requestToken) {
            await home.save({ ...environment, requestToken: undefined, updatedAt: new Date().toISOString() });
          }
          throw error;
        }
      });
      // The request token is spent: keep the company UUID, drop the token.
      await home.save({ ...environment, companyUUID, requestToken: undefined, revoked: undefined, updatedAt: new Date().toISOString() });
      await printConnection('converted', home, environment, manager, converted, Boolean(options.json));
    });

  token
    .command('get')
    .description('step 4: print a valid access token and nothing else (refreshed when needed)')
    .option('--env <name>', 'the environment (default: TESSERA_ENV or the current one)')
    .option('--json', 'print the token with its expiry, geolocation, scopes and principal as JSON')
    .action(async (options) => {
      const home = new TesseraHome();
      const environment = await home.resolve(options.env);
      const manager = managerFor(home, environment);
      const accessToken = await explained(environment.name, () => manager.getToken());
      if (options.json) printJson(tokenRecord(accessToken));
      else process.stdout.write(`${accessToken.accessToken}\n`);
    });

  token
    .command('revoke')
    .description('disconnect: revoke every refresh token of this principal for this app (DELETE /app-mgmt/v0/connections) and forget it')
    .option('--env <name>', 'the environment (default: TESSERA_ENV or the current one)')
    .option('--json', 'print JSON')
    .action(async (options) => {
      const home = new TesseraHome();
      const environment = await home.resolve(options.env);
      const manager = managerFor(home, environment);
      const connection = await manager.connection();
      await explained(environment.name, () => manager.revoke());
      // The service revoked every refresh token of this principal for this app: other local
      // environments holding that connection are ended too. Say so, and mark them.
      const sharing = await sharingEnvironments(home, environment, connection);
      const revoked = { at: new Date().toISOString(), by: environment.name };
      for (const other of sharing.same) {
        await home.connectionStore(other.name).clear();
        await home.save({ ...other, revoked, updatedAt: revoked.at });
      }
      await home.save({ ...environment, revoked, updatedAt: revoked.at });
      if (sharing.same.length) {
        process.stderr.write(`tessera: the revoked connection was also the connection of ${sharing.same.map((e) => e.name).join(', ')} `
          + '(same app, datacenter and principal): marked revoked there too; each needs a new Company Request Token and `tessera token convert`\n');
      }
      if (sharing.maybe.length) {
        process.stderr.write(`tessera: ${sharing.maybe.map((e) => e.name).join(', ')} use the same app and datacenter; if they were connected for the same `
          + 'company or user, the service revoked them too (their principal is not known yet: `tessera token get` tells)\n');
      }
      printRecord({
        revoked: environment.name,
        alsoRevoked: sharing.same.map((e) => e.name),
        maybeRevoked: sharing.maybe.map((e) => e.name),
      }, Boolean(options.json));
    });

  registerUserConnectionCommands(token);
}

const hostOf = (url: string | undefined) => {
  try {
    return url ? new URL(url).host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The other environments whose refresh token the service ended with `environment`'s revocation:
 * `same` hold a connection of the same app at the same service for the same principal; `maybe`
 * are of the same app and service but a principal that is not known on one side.
 */
async function sharingEnvironments(home: TesseraHome, environment: Environment, connection: ConnectionState | undefined) {
  const service = hostOf(connection?.geolocation) ?? hostOf(environment.datacenter);
  const principal = connection?.principal;
  const same: Environment[] = [];
  const maybe: Environment[] = [];
  for (const other of await home.list()) {
    if (other.name === environment.name || other.clientId !== environment.clientId) continue;
    const theirs = await home.connection(other.name).catch(() => undefined);
    if (!theirs) continue;
    const theirService = hostOf(theirs.geolocation) ?? hostOf(other.datacenter);
    if (theirService !== service && hostOf(other.datacenter) !== hostOf(environment.datacenter)) continue;
    if (principal && theirs.principal) {
      if (principal.type === theirs.principal.type && principal.id === theirs.principal.id) same.push(other);
    } else {
      maybe.push(other);
    }
  }
  return { same, maybe };
}
