/**
 * `tessera admin --server URL …`: the admin commands through the admin API of a running token
 * service instead of its local store. `tessera admin login --server URL` keeps a short-lived
 * Bearer admin token per server in TESSERA_HOME/admin-tokens.json (mode 0600); nothing else is
 * kept. `logout` ends it on the server too.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from 'tessera-client';
import { ExitCode } from './exit-codes.js';
import { resolveHome } from './home.js';
import { CommandError } from './output.js';
import { caFileFor, fetchTrusting, tlsAdvice } from './trust.js';

/** What `login` keeps for one server. */
export interface SavedAdminToken {
  accessToken: string;
  expiresAt: string;
  loginId: string;
  companyUUID: string;
  companyName: string;
}

type TokenFile = Record<string, SavedAdminToken>;

/** The server's base URL without a trailing slash; a usage error for anything but http(s). */
export function normalizeServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CommandError(`--server ${server} is not a URL (e.g. https://localhost:8443)`, ExitCode.Usage);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CommandError(`--server must be an http(s) URL, not ${server}`, ExitCode.Usage);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

const tokenFilePath = (home: string) => join(home, 'admin-tokens.json');

async function readTokens(home: string): Promise<TokenFile> {
  try {
    return JSON.parse(await readFile(tokenFilePath(home), 'utf8')) as TokenFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return {};
    throw error;
  }
}

async function writeTokens(home: string, tokens: TokenFile): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFileAtomic(tokenFilePath(home), `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
}

/** An answer of the admin API that is not 2xx, with the Concur error body. */
export class AdminApiError extends CommandError {
  constructor(readonly status: number, readonly body: { code?: number; error_description?: string; fields?: { field: string; message: string }[] } | undefined) {
    const detail = body?.fields?.length
      ? `invalid input: ${body.fields.map((f) => `${f.field || 'input'} ${f.message}`).join('; ')}`
      : body?.error_description ?? `the server answered ${status}`;
    // Input the server found invalid is a usage error; any other refusal (wrong password, not found) is a refusal.
    super(`${detail}${body?.code ? ` (code ${body.code})` : ''}`, status === 400 && body?.fields?.length ? ExitCode.Usage : ExitCode.Refused);
  }
}

/** Calls the admin API of `server` with JSON; answers the parsed body. */
export async function callAdminApi<T>(server: string, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetchTrusting(caFileFor())(`${server}/admin/api${path}`, {
      method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (error) {
    const tls = tlsAdvice(error, server);
    if (tls) throw new CommandError(tls.join('\n'), ExitCode.Failure);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CommandError(`cannot reach ${server}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, ExitCode.Failure);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    if (response.status === 401) {
      throw new CommandError(`not signed in to ${server}, or the admin token expired: run \`tessera admin login --server ${server}\``, ExitCode.Refused);
    }
    throw new AdminApiError(response.status, body as AdminApiError['body']);
  }
  return body as T;
}

/** Signs in (POST /admin/api/token) and keeps the token for `server`. */
export async function login(server: string, loginId: string, password: string, home = resolveHome()): Promise<SavedAdminToken> {
  const answer = await callAdminApi<SavedAdminToken>(server, 'POST', '/token', { body: { loginId, password } });
  const saved: SavedAdminToken = {
    accessToken: answer.accessToken, expiresAt: answer.expiresAt, loginId: answer.loginId,
    companyUUID: answer.companyUUID, companyName: answer.companyName,
  };
  await writeTokens(home, { ...(await readTokens(home)), [server]: saved });
  return saved;
}

/**
 * Ends the admin token of `server` there (`DELETE /admin/api/session`) and forgets it here;
 * answers whether there was one, and whether the server ended it (it may be unreachable, or the
 * token already ended: then it is only forgotten).
 */
export async function logout(server: string, home = resolveHome()): Promise<{ removed: boolean; endedOnServer: boolean }> {
  const tokens = await readTokens(home);
  const saved = tokens[server];
  if (!saved) return { removed: false, endedOnServer: false };
  const endedOnServer = await callAdminApi(server, 'DELETE', '/session', { token: saved.accessToken }).then(() => true, () => false);
  delete tokens[server];
  await writeTokens(home, tokens);
  return { removed: true, endedOnServer };
}

/** A client for one server with the kept token; a clear error when there is none or it expired. */
export async function adminApi(server: string, home = resolveHome(), now = Date.now()) {
  const saved = (await readTokens(home))[server];
  if (!saved) throw new CommandError(`not signed in to ${server}: run \`tessera admin login --server ${server}\``, ExitCode.Usage);
  if (Date.parse(saved.expiresAt) <= now) {
    throw new CommandError(`the admin token for ${server} expired at ${saved.expiresAt}: run \`tessera admin login --server ${server}\``, ExitCode.Refused);
  }
  return {
    session: saved,
    get: <T>(path: string) => callAdminApi<T>(server, 'GET', path, { token: saved.accessToken }),
    post: <T>(path: string, body?: unknown) => callAdminApi<T>(server, 'POST', path, { token: saved.accessToken, body }),
    patch: <T>(path: string, body?: unknown) => callAdminApi<T>(server, 'PATCH', path, { token: saved.accessToken, body }),
    delete: <T = void>(path: string) => callAdminApi<T>(server, 'DELETE', path, { token: saved.accessToken }),
  };
}
