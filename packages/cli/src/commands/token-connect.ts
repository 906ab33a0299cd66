/**
 * `tessera token login` and `tessera token otp`: connecting a user instead of a company
 * (docs/protocol.md §4, §5). The connection is stored exactly like `tessera token convert`'s,
 * so `token get`, `call`, `keep-alive` and `revoke` work the same afterwards.
 */
import type { Command } from 'commander';
import { ConcurError, isRefreshTokenLive, readAuthorizationResponse, type AccessToken, type TokenManager } from 'tessera-client';
import { daysUntil, managerFor } from '../connection.js';
import { ExitCode } from '../exit-codes.js';
import { explained } from '../explain.js';
import { TesseraHome, type Environment } from '../home.js';
import { listenForRedirect, openBrowser, type Redirect } from '../loopback.js';
import { CommandError, printRecord } from '../output.js';

/** The default loopback port: fixed, so the redirect URI registered on the app stays the same. */
export const defaultLoginPort = 8252;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new CommandError(`--port ${value}: give a port number from 0 (any free port) to 65535`, ExitCode.Usage);
  return port;
}

function parseParams(pairs: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CommandError(`--param ${pair}: give NAME=VALUE`, ExitCode.Usage);
    params[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return params;
}

/** Refuses to replace a live connection without --force, as `token convert` does. */
async function assertReplaceable(manager: TokenManager, environment: Environment, force: boolean): Promise<void> {
  const existing = await manager.connection();
  if (force || !existing || !isRefreshTokenLive(existing)) return;
  throw new CommandError([
    `environment ${environment.name} is already connected: it holds a live refresh token${existing.refreshExpiresAt ? ` (until ${existing.refreshExpiresAt})` : ''}.`,
    `  next: \`tessera token get --env ${environment.name}\` for an access token; to replace the connection anyway, run again with --force`,
  ].join('\n'), ExitCode.Usage);
}

/** After a user connected: the environment is no longer revoked; print what `token convert` prints. */
async function connected(home: TesseraHome, environment: Environment, manager: TokenManager, token: AccessToken, json: boolean): Promise<void> {
  await home.save({ ...environment, revoked: undefined, updatedAt: new Date().toISOString() });
  await printConnection('connected', home, environment, manager, token, json);
}

/**
 * The record `token convert` (`converted`), `token login` and `token otp` (`connected`) print once
 * the environment holds its connection: where and as whom, the scopes, how long the refresh token lives.
 */
export async function printConnection(
  verb: 'converted' | 'connected', home: TesseraHome, environment: Environment, manager: TokenManager, token: AccessToken, json: boolean,
): Promise<void> {
  const connection = await manager.connection();
  printRecord({
    [verb]: environment.name,
    geolocation: token.geolocation,
    principal: token.principal ? `${token.principal.type} ${token.principal.id}` : '',
    scopes: token.scopes,
    refreshExpiresAt: connection?.refreshExpiresAt ?? '',
    daysLeft: daysUntil(connection?.refreshExpiresAt) ?? '',
    ...(json ? {} : { next: `tessera token get${(await home.current()) === environment.name ? '' : ` --env ${environment.name}`}` }),
  }, json);
}

/** Waits for the redirect carrying our state; a redirect with another state is answered and ignored. */
async function awaitOwnRedirect(next: (timeoutMs: number) => Promise<Redirect>, expectedState: string, deadline: number) {
  for (;;) {
    const redirect = await next(Math.max(0, deadline - Date.now()));
    try {
      return { redirect, answer: readAuthorizationResponse(redirect.query, expectedState) };
    } catch (error) {
      if (error instanceof ConcurError && error.code === 'ERR_STATE_MISMATCH') {
        redirect.respond(400, 'Not this sign-in', 'This redirect does not belong to the sign-in tessera is waiting for; it was ignored.');
        process.stderr.write('tessera: ignored a redirect with another state (not from this sign-in); still waiting…\n');
        continue;
      }
      if (error instanceof ConcurError && error.code === 'ERR_AUTHORIZATION_DENIED') {
        redirect.respond(200, 'Not connected', 'You did not allow the app. You can close this window.');
      } else {
        redirect.respond(400, 'Sign-in failed', 'The redirect carried no code. You can close this window.');
      }
      throw error;
    }
  }
}

export function registerUserConnectionCommands(token: Command): void {
  token
    .command('login')
    .description('connect a user: sign in and allow the app in a browser (code flow with PKCE, loopback redirect on 127.0.0.1); stores the connection like `token convert`')
    .option('--env <name>', 'the environment (default: TESSERA_ENV or the current one)')
    .option('--scope <scopes>', 'the scopes to ask for, space-separated (default: the app\'s)')
    .option('--port <n>', `the loopback port of the redirect URI http://127.0.0.1:PORT/callback (default ${defaultLoginPort}; 0 for any free port, if the service allows any port for loopback redirect URIs)`, parsePort)
    .option('--no-browser', 'only print the URL; do not open a browser')
    .option('--prompt <prompt>', 'login or consent (consent: ask again even if the user allowed the app before)')
    .option('--timeout <seconds>', 'how long to wait for the browser to come back', '300')
    .option('--force', 'connect even though the environment holds a live refresh token (it is replaced)')
    .option('--json', 'print JSON')
    .action(async (options) => {
      const home = new TesseraHome();
      const environment = await home.resolve(options.env);
      const timeoutSeconds = Number(options.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new CommandError(`--timeout ${options.timeout}: give seconds`, ExitCode.Usage);
      const manager = managerFor(home, environment);
      await assertReplaceable(manager, environment, Boolean(options.force));

      const listener = await listenForRedirect(options.port ?? defaultLoginPort);
      try {
        const request = manager.authorizationUrl({
          redirectUri: listener.redirectUri,
          ...(options.scope ? { scope: String(options.scope) } : {}),
          ...(options.prompt ? { prompt: String(options.prompt) } : {}),
        });
        const opened = options.browser !== false && openBrowser(request.url);
        process.stderr.write([
          `tessera: ${opened ? 'a browser was opened; if it did not show the sign-in, open' : 'open'} this URL to sign in and allow the app:`,
          '',
          `  ${request.url}`,
          '',
          `tessera: waiting for the redirect to ${listener.redirectUri} (the app must have exactly this Redirect URI registered)…`,
          '',
        ].join('\n'));
        const { redirect, answer } = await explained(environment.name,
          () => awaitOwnRedirect((ms) => listener.next(ms), request.state, Date.now() + timeoutSeconds * 1000));
        let token: AccessToken;
        try {
          token = await explained(environment.name, () => manager.exchangeCode({
            code: answer.code, redirectUri: listener.redirectUri, codeVerifier: request.codeVerifier, state: answer.state, expectedState: request.state,
          }));
        } catch (error) {
          redirect.respond(502, 'Not connected', 'The sign-in worked, but exchanging its code failed: see the terminal. You can close this window.');
          throw error;
        }
        redirect.respond(200, 'Connected', `tessera is connected (environment ${environment.name}). You can close this window.`);
        await connected(home, environment, manager, token, Boolean(options.json));
      } finally {
        await listener.close();
      }
    });

  token
    .command('otp')
    .description('connect a user by a one-time password: without --code, mail it (POST /oauth2/v0/otp); with --code, exchange it and store the connection like `token convert`')
    .option('--env <name>', 'the environment (default: TESSERA_ENV or the current one)')
    .requiredOption('--email <address>', 'the user\'s email address')
    .option('--param <name=value>', 'a client parameter (name, company, link, or your own); repeat it; give the same ones with --code', collect)
    .option('--code <otp>', 'the one-time password from the mail: exchange it')
    .option('--scope <scopes>', 'with --code: narrow the scopes, space-separated')
    .option('--force', 'with --code: connect even though the environment holds a live refresh token (it is replaced)')
    .option('--json', 'print JSON')
    .action(async (options) => {
      const home = new TesseraHome();
      const environment = await home.resolve(options.env);
      const pairs: string[] = options.param ?? [];
      const params = parseParams(pairs);
      const email = String(options.email);
      const manager = managerFor(home, environment);
      const usage = (error: unknown) => {
        throw error instanceof TypeError ? new CommandError(error.message, ExitCode.Usage) : error;
      };
      if (options.code === undefined) {
        const sent = await explained(environment.name, () => manager.requestOtp({ email, params }).catch(usage));
        const again = ['tessera token otp', `--env ${environment.name}`, `--email ${email}`, ...pairs.map((p) => `--param ${JSON.stringify(p)}`), '--code CODE'];
        printRecord({
          sent: email, message: sent.message, geolocation: sent.geolocation,
          ...(options.json ? {} : { next: `${again.join(' ')}   (within 15 minutes, with the same --param values)` }),
        }, Boolean(options.json));
        return;
      }
      await assertReplaceable(manager, environment, Boolean(options.force));
      const token = await explained(environment.name, () => manager.exchangeOtp({
        email, otp: String(options.code), params, ...(options.scope ? { scope: String(options.scope) } : {}),
      }).catch(usage));
      await connected(home, environment, manager, token, Boolean(options.json));
    });
}
