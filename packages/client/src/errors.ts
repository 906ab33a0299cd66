/**
 * The one error class of the SDK (docs/protocol.md §3). It carries what the token service or the API
 * said — the Concur numeric `code` (as {@link ConcurError.concurCode}), `error`,
 * `error_description`, the HTTP status and the `concur-correlationid` — and, through
 * {@link ConcurError.meaning}, what that code means in plain words.
 *
 * Like jose, the error has a stable string {@link ConcurError.code} to `switch` on; the numeric
 * Concur code is separate because not every failure comes from the server.
 */
import { CorrelationHeader, describeErrorCode, type ErrorCodeInfo } from 'tessera-protocol';

/**
 * What went wrong, coarsely; the Concur code says precisely.
 *
 * - `ERR_TOKEN_REFUSED`: `POST /oauth2/v0/token` answered an error (see `concurCode`, e.g. 136
 *   for a request token that is expired or used up, 108 for a refresh token that is expired or revoked).
 * - `ERR_HTTP`: an API answered an HTTP error (for example `revoke()`).
 * - `ERR_NETWORK`: no answer (connection refused, DNS, timeout), after the retries.
 * - `ERR_TLS`: the server's certificate is not trusted (self-signed, unknown CA, wrong host name,
 *   expired); never retried. The message names Node's code, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`.
 * - `ERR_INVALID_RESPONSE`: an answer that is not what the protocol says (no `access_token`, not JSON).
 * - `ERR_NOT_CONNECTED`: the store holds no refresh token: convert a request token first (step 3).
 * - `ERR_ALREADY_CONNECTED`: the store already holds a live refresh token; converting again needs `force`.
 * - `ERR_FOREIGN_URL`: `fetch()` was given an absolute URL outside the token's geolocation; the
 *   Bearer token is never sent there.
 * - `ERR_STATE_MISMATCH`: the redirect of the code flow carried another `state` than the one sent
 *   (or none): it is not the answer to this authorization request, and its code is not exchanged.
 * - `ERR_AUTHORIZATION_DENIED`: the redirect of the code flow carried an `error_code` (the user
 *   chose Deny: `user_denied`) instead of a code.
 * - `ERR_LOCK_TIMEOUT`: another process held the store's lock for too long.
 * - `ERR_STORE`: the store could not be read or written (a corrupt file, a full disk).
 */
export type ConcurErrorCode =
  | 'ERR_TOKEN_REFUSED'
  | 'ERR_HTTP'
  | 'ERR_NETWORK'
  | 'ERR_TLS'
  | 'ERR_INVALID_RESPONSE'
  | 'ERR_NOT_CONNECTED'
  | 'ERR_ALREADY_CONNECTED'
  | 'ERR_FOREIGN_URL'
  | 'ERR_STATE_MISMATCH'
  | 'ERR_AUTHORIZATION_DENIED'
  | 'ERR_LOCK_TIMEOUT'
  | 'ERR_STORE';

/** The fields a {@link ConcurError} can carry besides its code and message. */
export interface ConcurErrorDetails {
  /** The Concur numeric code of the error body (`code`), e.g. 136. */
  concurCode?: number | undefined;
  /** The OAuth `error`, e.g. `invalid_grant`. */
  error?: string | undefined;
  /** The `error_description`. */
  errorDescription?: string | undefined;
  /** The HTTP status of the answer. */
  status?: number | undefined;
  /** The `concur-correlationid` of the answer (or of the request when there was none). */
  correlationId?: string | undefined;
  /** The `geolocation` of the error body (code 16: where to retry). */
  geolocation?: string | undefined;
  /** The URL that was requested. */
  url?: string | undefined;
  cause?: unknown;
}

export class ConcurError extends Error {
  override readonly name = 'ConcurError';
  readonly code: ConcurErrorCode;
  readonly concurCode: number | undefined;
  readonly error: string | undefined;
  readonly errorDescription: string | undefined;
  readonly status: number | undefined;
  readonly correlationId: string | undefined;
  readonly geolocation: string | undefined;
  readonly url: string | undefined;

  constructor(code: ConcurErrorCode, message: string, details: ConcurErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.concurCode = details.concurCode;
    this.error = details.error;
    this.errorDescription = details.errorDescription;
    this.status = details.status;
    this.correlationId = details.correlationId;
    this.geolocation = details.geolocation;
    this.url = details.url;
  }

  /** The row of the Concur error-code table for {@link concurCode}, when the code is known. */
  get info(): ErrorCodeInfo | undefined {
    return this.concurCode === undefined ? undefined : describeErrorCode(this.concurCode);
  }

  /** What the Concur code means, in plain words, with what to do next (from `tessera-protocol`). */
  get meaning(): string | undefined {
    return this.info?.meaning;
  }

  /**
   * Reads an error answer (docs/protocol.md §3: `{code, error, error_description, geolocation?}`,
   * or a plain message for 5xx) into a `ConcurError`. Consumes the body.
   */
  static async fromResponse(response: Response, code: ConcurErrorCode = 'ERR_HTTP', url = response.url): Promise<ConcurError> {
    const text = await response.text().catch(() => '');
    const body = parseErrorBody(text);
    const correlationId = response.headers.get(CorrelationHeader) ?? stringField(body, CorrelationHeader);
    const concurCode = numberField(body, 'code');
    const error = stringField(body, 'error');
    const errorDescription = stringField(body, 'error_description') ?? stringField(body, 'message')
      ?? (body ? undefined : text.trim().slice(0, 200) || undefined);
    const what = [
      `HTTP ${response.status}`,
      error && concurCode !== undefined ? `${error} (code ${concurCode})` : error ?? (concurCode !== undefined ? `code ${concurCode}` : undefined),
    ].filter(Boolean).join(' ');
    return new ConcurError(code, errorDescription ? `${what}: ${errorDescription}` : what, {
      concurCode, error, errorDescription, status: response.status, correlationId,
      geolocation: stringField(body, 'geolocation'), url: url || undefined,
    });
  }
}

/** True when `value` is a {@link ConcurError}, optionally with the given code. */
export function isConcurError(value: unknown, code?: ConcurErrorCode): value is ConcurError {
  return value instanceof ConcurError && (code === undefined || value.code === code);
}

function parseErrorBody(text: string): Record<string, unknown> | undefined {
  if (!text.trim().startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const stringField = (body: Record<string, unknown> | undefined, key: string): string | undefined => {
  const value = body?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

const numberField = (body: Record<string, unknown> | undefined, key: string): number | undefined => {
  const value = body?.[key];
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(number) ? number : undefined;
};
