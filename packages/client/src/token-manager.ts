/**
 * The token manager: one connection (one principal of one app) and everything the client side
 * must get right (docs/protocol.md §1, §10, §13):
 *
 * - the request token is converted once (step 3), and never again while a live refresh token is stored;
 * - a user connects by the code flow (PKCE S256 always, docs/protocol.md §4) or a one-time
 *   password (§5); either way the connection is stored exactly like a conversion's;
 * - the access token is kept in memory and renewed shortly before its hour is up (step 4);
 * - concurrent callers share one refresh; with a store that locks, so do other processes;
 * - every token response's refresh_token, refresh_expires_in and geolocation are saved before
 *   the access token is handed out;
 * - refreshes and API calls go to the token's geolocation; code 16 is followed once;
 * - an API 401 triggers one refresh and one retry.
 *
 * Nothing here depends on Tessera: the same code talks to SAP Concur.
 */
import { CorrelationHeader, Paths } from 'tessera-protocol';
import { assertState, buildAuthorizationUrl, type AuthorizationRequest, type AuthorizationUrlOptions } from './authorization.js';
import { ConcurError } from './errors.js';
import { normalizeGeolocation, resolveAtGeolocation } from './geolocation.js';
import { send, type FetchLike, type RetryOptions } from './http.js';
import { MemoryTokenStore } from './memory-store.js';
import { postForm, requestToken, type TokenAnswer, type TokenEndpointClient } from './token-endpoint.js';
import { parseTokenResponse, type AccessToken } from './token-response.js';
import { isRefreshTokenLive, type ConnectionState, type TokenStore } from './token-store.js';

export interface TokenManagerOptions {
  /** The app's Client ID (OAuth 2.0 Application Management). */
  clientId: string;
  /**
   * The app's Client Secret. Leave it out only for a public app (one that cannot keep a secret,
   * such as a CLI): it connects users by the code flow with PKCE and sends no secret.
   */
  clientSecret?: string | undefined;
  /**
   * Where first tokens are obtained (request-token conversion, password and client_credentials
   * grants): a datacenter id (`us2`, `eu2`, `glz`), a host, or a base URL such as
   * `http://localhost:8080`. Refreshes and API calls go to the token's geolocation instead,
   * once one is known. Defaults to {@link geolocation}.
   */
  datacenter?: string;
  /** A geolocation already known (with {@link refreshToken}, e.g. from an earlier run). */
  geolocation?: string;
  /** A refresh token to start with; written to the store if the store holds none. */
  refreshToken?: string;
  /** Where the connection state lives (default: in memory). */
  store?: TokenStore;
  /** The `fetch` to call (default: the global one). */
  fetch?: FetchLike;
  /** The `concur-correlationid` to send: a fixed value, or a function called per request (default: a new UUID each time). */
  correlationId?: string | (() => string);
  /** Renew the access token this long before it expires (default 60 s). */
  refreshLeewaySeconds?: number;
  /** Retries of requests that got no answer or a 429/502/503/504 (`false`: none). */
  retry?: RetryOptions | false;
  /** Timeout of each HTTP attempt (default 30 s). */
  timeoutMs?: number;
  /** The clock, ms since the epoch (for tests). */
  now?: () => number;
}

/** Options of the grants. */
export interface GrantOptions {
  /** Narrow the granted scopes (docs/protocol.md §2); a list or a space-separated string. */
  scope?: string | string[];
}

export interface ConvertOptions extends GrantOptions {
  /** Convert even though the store holds a live refresh token (it is replaced). */
  force?: boolean;
}

/** The second half of the code flow: what the redirect brought back, and what {@link TokenManager.authorizationUrl} answered. */
export interface ExchangeCodeOptions {
  /** The `code` of the redirect. */
  code: string;
  /** The same `redirect_uri` as in the authorization URL. */
  redirectUri: string;
  /** The `codeVerifier` {@link TokenManager.authorizationUrl} answered. */
  codeVerifier?: string;
  /** The `state` the redirect carried; checked against {@link expectedState} when that is given. */
  state?: string | undefined;
  /** The `state` {@link TokenManager.authorizationUrl} answered: a redirect with another state (or none) is refused, `ERR_STATE_MISMATCH`. */
  expectedState?: string;
}

/**
 * The client's own parameters of a one-time password (docs/protocol.md §5): `name`, `company`,
 * `link` (the mailed link gets `token=<otp>` appended) and any other non-reserved name. The same
 * values must go to {@link TokenManager.requestOtp} and {@link TokenManager.exchangeOtp}.
 */
export type OtpParams = Record<string, string>;

export interface RequestOtpOptions {
  /** The user's email address (`channel_handle`; `channel_type` is `email`). */
  email: string;
  params?: OtpParams;
}

export interface ExchangeOtpOptions extends RequestOtpOptions, GrantOptions {
  /** The one-time password from the mail. */
  otp: string;
}

/** Names the service sets itself (docs/protocol.md §5): never a client parameter. */
const reservedOtpParams = new Set(['client_id', 'client_secret', 'channel_type', 'channel_handle', 'scope', 'grant_type', 'otp']);

const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export class TokenManager {
  readonly clientId: string;
  /** Where first tokens are obtained (normalized base URL). */
  readonly datacenter: string;
  readonly store: TokenStore;
  private readonly endpoint: TokenEndpointClient;
  private readonly retry: RetryOptions;
  private readonly fetchImpl: FetchLike;
  private readonly leewayMs: number;
  private readonly timeoutMs: number | undefined;
  private readonly now: () => number;
  private seed: ConnectionState | undefined;
  private cached: AccessToken | undefined;
  private inflight: Promise<AccessToken> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private application: { scope: Record<string, string> } | undefined;

  constructor(options: TokenManagerOptions) {
    if (!options.clientId) throw new TypeError('clientId is required');
    const datacenter = options.datacenter ?? options.geolocation;
    if (!datacenter) throw new TypeError('a datacenter (or a geolocation) is required');
    this.clientId = options.clientId;
    this.datacenter = normalizeGeolocation(datacenter);
    this.store = options.store ?? new MemoryTokenStore();
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retry = options.retry === false ? { retries: 0 } : (options.retry ?? {});
    this.leewayMs = (options.refreshLeewaySeconds ?? 60) * 1000;
    this.timeoutMs = options.timeoutMs;
    this.now = options.now ?? Date.now;
    const correlation = options.correlationId;
    this.endpoint = {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      fetch: this.fetchImpl,
      retry: this.retry,
      timeoutMs: options.timeoutMs,
      correlationId: typeof correlation === 'function' ? correlation : () => correlation ?? globalThis.crypto.randomUUID(),
    };
    if (options.refreshToken) {
      this.seed = {
        refreshToken: options.refreshToken,
        geolocation: options.geolocation ? normalizeGeolocation(options.geolocation) : undefined,
        updatedAt: new Date(this.now()).toISOString(),
      };
    }
  }

  /** A valid access token (step 4): the one in memory, or a new one from the refresh token. */
  async getAccessToken(): Promise<string> {
    return (await this.getToken()).accessToken;
  }

  /** Like {@link getAccessToken}, with its expiry, scopes, geolocation and principal. */
  async getToken(): Promise<AccessToken> {
    const cached = this.cached;
    if (cached && cached.expiresAt - this.leewayMs > this.now()) return cached;
    return this.renew();
  }

  /**
   * Refreshes now, whatever the cached access token's age (the daily keep-alive: each refresh
   * slides the refresh token's six months). Joins a refresh already in flight.
   */
  async refresh(): Promise<AccessToken> {
    return this.renew();
  }

  /**
   * `fetch` for the APIs: `path` is resolved against the token's geolocation, the Bearer token
   * and a `concur-correlationid` are added, and a 401 leads to one refresh and one retry (when
   * the body can be sent twice). Answers the `Response` as `fetch` does, errors included.
   */
  async fetch(path: string | URL, init: RequestInit = {}): Promise<Response> {
    const token = await this.getToken();
    const response = await this.callApi(token, path, init);
    if (response.status !== 401 || !isReplayable(init.body)) return response;
    await response.body?.cancel().catch(() => undefined);
    return this.callApi(await this.replaceRejected(token), path, init);
  }

  /**
   * Step 3, once per connection: converts a company request token (valid 24 hours) into a
   * refresh token, on the configured datacenter (docs/protocol.md §2: `grant_type=password`,
   * `credtype=authtoken`). Refuses with `ERR_ALREADY_CONNECTED` while the store holds a live
   * refresh token, unless `force`.
   */
  async convertRequestToken(companyUUID: string, requestTokenValue: string, options: ConvertOptions = {}): Promise<AccessToken> {
    return this.exclusive(async () => {
      const current = await this.loadState();
      if (!options.force && isRefreshTokenLive(current, this.now())) {
        throw new ConcurError('ERR_ALREADY_CONNECTED',
          'this connection already holds a live refresh token; converting again would replace it (pass force to do so)');
      }
      const answer = await requestToken(this.endpoint, this.datacenter, {
        grant_type: 'password', credtype: 'authtoken', username: companyUUID, password: requestTokenValue, ...scopeParam(options.scope),
      });
      this.application = undefined;
      return this.accept(answer, undefined, true);
    });
  }

  /**
   * The first half of the code flow (docs/protocol.md §4): the `/oauth2/v0/authorize` URL at the
   * datacenter's browser host, with PKCE S256 always and a random `state` and `nonce` unless given.
   * Keep `state` and `codeVerifier` for {@link exchangeCode}.
   */
  authorizationUrl(options: AuthorizationUrlOptions): AuthorizationRequest {
    return buildAuthorizationUrl(this.datacenter, this.clientId, options);
  }

  /**
   * The second half of the code flow: checks `state`, exchanges the code
   * (`grant_type=authorization_code` with the PKCE verifier) on the configured datacenter
   * (code 16 followed), and stores the user's connection like {@link convertRequestToken} does.
   * A connection already stored is replaced: the user has just approved a new one.
   */
  async exchangeCode(options: ExchangeCodeOptions): Promise<AccessToken> {
    if (!options.code) throw new TypeError('code is required');
    if (!options.redirectUri) throw new TypeError('redirectUri is required');
    if (options.expectedState !== undefined) assertState(options.state, options.expectedState);
    return this.exclusive(async () => {
      const answer = await requestToken(this.endpoint, this.datacenter, {
        grant_type: 'authorization_code', code: options.code, redirect_uri: options.redirectUri,
        ...(options.codeVerifier ? { code_verifier: options.codeVerifier } : {}),
      });
      this.application = undefined;
      return this.accept(answer, undefined, true);
    });
  }

  /**
   * Mails the user a one-time password (`POST /oauth2/v0/otp`, docs/protocol.md §5), on the
   * configured datacenter (code 16 followed). Answers where it was sent from.
   */
  async requestOtp(options: RequestOtpOptions): Promise<{ message: string; geolocation: string }> {
    const answer = await postForm(this.endpoint, this.datacenter, Paths.otp, otpForm(options), {
      idempotent: false, // a retry after a lost answer would mail a second password and spend one of the 5 open ones (code 82)
    });
    const message = (answer.body as { message?: unknown } | null)?.message;
    return { message: typeof message === 'string' ? message : 'otp sent', geolocation: answer.answeredBy };
  }

  /**
   * Exchanges the one-time password (`grant_type=otp`) with the same parameters as
   * {@link requestOtp}, and stores the user's connection like {@link convertRequestToken} does.
   */
  async exchangeOtp(options: ExchangeOtpOptions): Promise<AccessToken> {
    if (!options.otp) throw new TypeError('otp is required');
    const form = { ...otpForm(options), grant_type: 'otp', otp: options.otp, ...scopeParam(options.scope) };
    return this.exclusive(async () => {
      const answer = await requestToken(this.endpoint, this.datacenter, form);
      this.application = undefined;
      return this.accept(answer, undefined, true);
    });
  }

  /** The password grant for a user (`credtype=password`); code 16 is followed to the user's datacenter. */
  async passwordGrant(username: string, password: string, options: GrantOptions = {}): Promise<AccessToken> {
    return this.exclusive(async () => {
      const answer = await requestToken(this.endpoint, this.datacenter, {
        grant_type: 'password', username, password, ...scopeParam(options.scope),
      });
      this.application = undefined;
      return this.accept(answer, undefined, true);
    });
  }

  /**
   * An application token (`grant_type=client_credentials`): no refresh token, nothing stored.
   * From then on the manager renews by the same grant.
   */
  async clientCredentials(options: GrantOptions = {}): Promise<AccessToken> {
    this.application = { scope: scopeParam(options.scope) };
    this.cached = undefined;
    return this.renew();
  }

  /**
   * Disconnects (docs/protocol.md §7): `DELETE /app-mgmt/v0/connections` revokes every refresh token
   * of this principal for this app; then the store is cleared.
   */
  async revoke(): Promise<void> {
    const response = await this.fetch(Paths.connections, { method: 'DELETE' });
    if (!response.ok) throw await ConcurError.fromResponse(response, 'ERR_HTTP');
    await response.body?.cancel().catch(() => undefined);
    await this.exclusive(() => this.store.clear());
    this.cached = undefined;
  }

  /** The stored connection state (refresh token, its expiry, geolocation, principal), if any. */
  async connection(): Promise<ConnectionState | undefined> {
    return this.loadState();
  }

  /** Forgets the access token in memory (the next call renews). */
  forgetAccessToken(): void {
    this.cached = undefined;
  }

  private renew(): Promise<AccessToken> {
    this.inflight ??= (async () => {
      try {
        return await (this.application ? this.obtainApplicationToken(this.application.scope) : this.refreshUnderLock());
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  private refreshUnderLock(): Promise<AccessToken> {
    return this.exclusive(async () => {
      const state = await this.loadState();
      if (!state) {
        throw new ConcurError('ERR_NOT_CONNECTED', 'no refresh token is stored: convert a request token first (step 3)');
      }
      const answer = await requestToken(this.endpoint, state.geolocation ?? this.datacenter, {
        grant_type: 'refresh_token', refresh_token: state.refreshToken,
      });
      return this.accept(answer, state, false);
    });
  }

  private async obtainApplicationToken(scope: Record<string, string>): Promise<AccessToken> {
    const answer = await requestToken(this.endpoint, this.datacenter, { grant_type: 'client_credentials', ...scope });
    const parsed = parseTokenResponse(answer.body, answer.answeredBy, this.now());
    return this.hold({ ...parsed });
  }

  /** Saves what the answer says about the connection, then caches and answers the access token. */
  private async accept(answer: TokenAnswer, previous: ConnectionState | undefined, replaces: boolean): Promise<AccessToken> {
    const now = this.now();
    const parsed = parseTokenResponse(answer.body, answer.answeredBy, now);
    const refreshToken = parsed.refreshToken ?? previous?.refreshToken;
    let geolocation = parsed.geolocation;
    if (refreshToken) {
      geolocation = parsed.responseGeolocation ?? previous?.geolocation ?? answer.answeredBy;
      await this.store.save({
        refreshToken,
        refreshExpiresAt: parsed.refreshExpiresAt ?? (refreshToken === previous?.refreshToken ? previous.refreshExpiresAt : undefined),
        geolocation,
        principal: parsed.principal ?? previous?.principal,
        scopes: parsed.scopes.length > 0 ? parsed.scopes : previous?.scopes,
        updatedAt: new Date(now).toISOString(),
      });
    } else if (replaces) {
      await this.store.clear();
    }
    return this.hold({ ...parsed, geolocation });
  }

  private hold(token: AccessToken): AccessToken {
    const held: AccessToken = Object.freeze({
      accessToken: token.accessToken, tokenType: token.tokenType, expiresAt: token.expiresAt,
      scopes: [...token.scopes], geolocation: token.geolocation, principal: token.principal,
    });
    this.cached = held;
    return held;
  }

  /** After a 401: the token someone else already renewed, or a renewal of our own. */
  private async replaceRejected(rejected: AccessToken): Promise<AccessToken> {
    const cached = this.cached;
    if (cached && cached.accessToken !== rejected.accessToken && cached.expiresAt - this.leewayMs > this.now()) return cached;
    if (cached?.accessToken === rejected.accessToken) this.cached = undefined;
    return this.renew();
  }

  private callApi(token: AccessToken, path: string | URL, init: RequestInit): Promise<Response> {
    const url = resolveAtGeolocation(token.geolocation, path);
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token.accessToken}`);
    if (!headers.has(CorrelationHeader)) headers.set(CorrelationHeader, this.endpoint.correlationId());
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    const method = (init.method ?? 'GET').toUpperCase();
    const replayable = isReplayable(init.body);
    return send(url, { ...init, headers }, {
      fetch: this.fetchImpl,
      retry: replayable ? this.retry : { ...this.retry, retries: 0 },
      timeoutMs: this.timeoutMs,
      idempotent: replayable && idempotentMethods.has(method),
      signal: init.signal,
    });
  }

  /** Runs `work` alone: within this process, and across processes when the store can lock. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const locked = () => (this.store.withLock ? this.store.withLock(work) : work());
    const run = this.tail.then(locked, locked);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async loadState(): Promise<ConnectionState | undefined> {
    const state = await this.store.load();
    if (state || !this.seed) return state;
    const seed = this.seed;
    this.seed = undefined;
    await this.store.save(seed);
    return seed;
  }
}

function scopeParam(scope: string | string[] | undefined): Record<string, string> {
  const value = Array.isArray(scope) ? scope.join(' ') : scope;
  return value ? { scope: value } : {};
}

/** The fields of both OTP calls: the channel and the client's own parameters, identical in both. */
function otpForm(options: RequestOtpOptions): Record<string, string> {
  if (!options.email) throw new TypeError('email is required');
  const params = options.params ?? {};
  for (const [name, value] of Object.entries(params)) {
    if (reservedOtpParams.has(name)) throw new TypeError(`${name} is set by the SDK, not a client parameter of the one-time password`);
    if (typeof value !== 'string') throw new TypeError(`the parameter ${name} must be a string`);
  }
  return { ...params, channel_type: 'email', channel_handle: options.email };
}

/** Whether a request body can be sent a second time. */
function isReplayable(body: RequestInit['body']): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof ArrayBuffer
    || ArrayBuffer.isView(body) || body instanceof URLSearchParams || body instanceof Blob || body instanceof FormData;
}
