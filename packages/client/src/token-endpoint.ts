/**
 * `POST /oauth2/v0/token` and `POST /oauth2/v0/otp` from the client side (docs/protocol.md §2, §3,
 * §5): a form body with the client credentials in it (never the query string, no charset), a
 * `concur-correlationid`, retries for network failures, and code 16 ("user lives elsewhere")
 * retried once at the returned geolocation.
 */
import { ConcurCodes, CorrelationHeader, Paths } from 'tessera-protocol';
import { ConcurError } from './errors.js';
import { acceptableRedirectGeolocation } from './geolocation.js';
import { send, type FetchLike, type RetryOptions } from './http.js';

export interface TokenEndpointClient {
  clientId: string;
  /** Absent for a public app (PKCE instead of a secret): then no `client_secret` is sent. */
  clientSecret: string | undefined;
  fetch: FetchLike;
  retry: RetryOptions;
  timeoutMs: number | undefined;
  /** A correlation id for one request. */
  correlationId(): string;
}

export interface TokenAnswer {
  /** The parsed JSON of the 200 answer. */
  body: unknown;
  /** The base URL that answered (after a code-16 retry, the returned geolocation). */
  answeredBy: string;
  correlationId: string | undefined;
}

/**
 * Posts `params` (plus client_id and client_secret) to the token endpoint at `baseUrl`.
 * Throws `ConcurError` `ERR_TOKEN_REFUSED` with the Concur code for an error answer.
 */
export function requestToken(client: TokenEndpointClient, baseUrl: string, params: Record<string, string>): Promise<TokenAnswer> {
  return postForm(client, baseUrl, Paths.token, params);
}

/**
 * Posts `params` (plus the client credentials) to `path` at `baseUrl`, following code 16 once;
 * answers the parsed JSON of a 2xx answer. Throws `ConcurError` `ERR_TOKEN_REFUSED` otherwise.
 * `idempotent: false` (sending a mail) retries only failures that prove nothing was sent.
 */
export async function postForm(
  client: TokenEndpointClient, baseUrl: string, path: string, params: Record<string, string>, { idempotent = true } = {},
): Promise<TokenAnswer> {
  let target = baseUrl;
  const credentials: Record<string, string> = { client_id: client.clientId, ...(client.clientSecret ? { client_secret: client.clientSecret } : {}) };
  for (let hop = 0; ; hop++) {
    const url = `${target}${path}`;
    const correlationId = client.correlationId();
    const response = await send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        [CorrelationHeader]: correlationId,
      },
      body: new URLSearchParams({ ...params, ...credentials }).toString(),
      redirect: 'manual',
    }, { fetch: client.fetch, retry: client.retry, timeoutMs: client.timeoutMs, idempotent });

    if (response.ok) {
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ConcurError('ERR_INVALID_RESPONSE', `${url} answered ${response.status} with a body that is not JSON`, {
          status: response.status, url, correlationId: response.headers.get(CorrelationHeader) ?? correlationId,
        });
      }
      return { body, answeredBy: target, correlationId: response.headers.get(CorrelationHeader) ?? correlationId };
    }

    const error = await ConcurError.fromResponse(response, 'ERR_TOKEN_REFUSED', url);
    const elsewhere = error.concurCode === ConcurCodes.UserLivesElsewhere ? acceptableRedirectGeolocation(target, error.geolocation) : undefined;
    if (hop === 0 && elsewhere && elsewhere !== target) {
      target = elsewhere;
      continue;
    }
    throw error.correlationId ? error : new ConcurError(error.code, error.message, { ...detailsOf(error), correlationId });
  }
}

const detailsOf = (error: ConcurError) => ({
  concurCode: error.concurCode, error: error.error, errorDescription: error.errorDescription, status: error.status,
  geolocation: error.geolocation, url: error.url,
});
