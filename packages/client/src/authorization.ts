/**
 * The browser half of the code flow (docs/protocol.md §4): the `/oauth2/v0/authorize` URL with
 * PKCE S256 always, and the reading of the redirect back (`code`, `state`, `geolocation`, or
 * `error_code` when the user denied).
 */
import { Paths } from 'tessera-protocol';
import { ConcurError } from './errors.js';
import { codeChallengeS256, randomToken, sameSecret } from './pkce.js';

export interface AuthorizationUrlOptions {
  /** Where the browser is sent back; must be registered on the app exactly. */
  redirectUri: string;
  /** The scopes to ask for; a list or a space-separated string (default: the app's). */
  scope?: string | string[];
  /** Default: 32 random bytes, base64url. Keep it to check the redirect. */
  state?: string;
  /** Default: 32 random bytes, base64url; the id token carries it back. */
  nonce?: string;
  /** `login` or `consent` (docs/protocol.md §4; `consent` asks again even when consent is remembered). */
  prompt?: string;
}

export interface AuthorizationRequest {
  /** Send the user's browser here. */
  url: string;
  state: string;
  /** Keep it secret until {@link TokenManager.exchangeCode}. */
  codeVerifier: string;
  nonce: string;
}

/**
 * Browsers use the `www-` host of a Concur datacenter: the others may ask for a client
 * certificate (docs/protocol.md §4, §10). Other bases (a Tessera) are used as they are.
 */
export function browserBase(base: string): string {
  const url = new URL(base);
  if (/\.api\.(concursolutions\.com|concurcdc\.cn)$/i.test(url.hostname) && !/^www-/i.test(url.hostname)) {
    url.hostname = `www-${url.hostname}`;
  }
  return `${url.protocol}//${url.host}`;
}

export function buildAuthorizationUrl(base: string, clientId: string, options: AuthorizationUrlOptions): AuthorizationRequest {
  if (!options.redirectUri) throw new TypeError('redirectUri is required');
  const state = options.state ?? randomToken();
  const nonce = options.nonce ?? randomToken();
  const codeVerifier = randomToken();
  const scope = Array.isArray(options.scope) ? options.scope.join(' ') : options.scope;
  const url = new URL(Paths.authorize, browserBase(base));
  const params: Record<string, string> = {
    client_id: clientId,
    redirect_uri: options.redirectUri,
    response_type: 'code',
    ...(scope ? { scope } : {}),
    state,
    nonce,
    code_challenge: codeChallengeS256(codeVerifier),
    code_challenge_method: 'S256',
    ...(options.prompt ? { prompt: options.prompt } : {}),
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return { url: url.href, state, codeVerifier, nonce };
}

/** What the redirect back to `redirect_uri` carried. */
export interface AuthorizationResponse {
  code: string;
  state: string | undefined;
  /** The user's datacenter, when the service named it. */
  geolocation: string | undefined;
}

/**
 * Reads the query of the redirect back: the code, or a `ConcurError` `ERR_AUTHORIZATION_DENIED`
 * (`error_code`, e.g. `user_denied`), after checking `state` against `expectedState`.
 */
export function readAuthorizationResponse(query: URLSearchParams | string, expectedState?: string): AuthorizationResponse {
  const params = typeof query === 'string' ? new URLSearchParams(query.replace(/^[^?]*\?/, '')) : query;
  const state = params.get('state') ?? undefined;
  if (expectedState !== undefined) assertState(state, expectedState);
  const errorCode = params.get('error_code') ?? params.get('error');
  if (errorCode !== null) {
    const description = params.get('error_description') ?? undefined;
    // A disabled app is answered with empty error fields (docs/protocol.md §4).
    const why = errorCode ? `${errorCode}${description ? `: ${description}` : ''}` : 'the service gave no reason; the app may be disabled';
    throw new ConcurError('ERR_AUTHORIZATION_DENIED', `the authorization was not given (${why})`, {
      error: errorCode || undefined, errorDescription: description,
    });
  }
  const code = params.get('code') ?? params.get('cc'); // `cc` in the 2017–2018 docs (docs/protocol.md §4)
  if (!code) throw new ConcurError('ERR_INVALID_RESPONSE', 'the redirect carried neither a code nor an error_code');
  return { code, state, geolocation: params.get('geolocation') ?? undefined };
}

/** Refuses a redirect whose `state` is not the one sent (CSRF, RFC 6749 §10.12). */
export function assertState(received: string | undefined, expected: string): void {
  if (received === undefined || !sameSecret(received, expected)) {
    throw new ConcurError('ERR_STATE_MISMATCH', received === undefined
      ? 'the redirect carried no state: it was not an answer to this authorization request'
      : 'the redirect carried another state than the one sent: it was not an answer to this authorization request');
  }
}
