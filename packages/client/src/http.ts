/**
 * One HTTP exchange with retries for the failures worth retrying: no answer at all (connection
 * refused, reset, timeout) and 429/502/503/504. Each retry is announced through `onRetry`, so a
 * terminal can show progress while a pipe stays quiet.
 */
import { ConcurError } from './errors.js';

/** The `fetch` the SDK calls: the global one by default, injectable for tests and proxies. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** What {@link RetryOptions.onRetry} is told before each wait. */
export interface RetryEvent {
  /** The attempt that failed, from 1. */
  attempt: number;
  /** How many attempts there will be at most. */
  attempts: number;
  /** How long the SDK waits before the next attempt. */
  delayMs: number;
  url: string;
  /** Why: an HTTP status (`HTTP 503`) or the network error's message. */
  reason: string;
}

export interface RetryOptions {
  /** Retries after the first attempt (default 2, so 3 attempts). 0 turns retries off. */
  retries?: number;
  /** First wait; each further wait doubles, with jitter (default 500 ms). */
  minDelayMs?: number;
  /** Longest wait, also the cap on a `Retry-After` that is honoured (default 8 s). */
  maxDelayMs?: number;
  /** Called before each wait (to show progress). */
  onRetry?: (event: RetryEvent) => void;
}

export interface SendOptions {
  fetch: FetchLike;
  retry: RetryOptions;
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number;
  /** Whether a request that may have reached the server can be sent again (not for a POST to an API). */
  idempotent: boolean;
  signal?: AbortSignal | null | undefined;
}

const retryableStatus = new Set([429, 502, 503, 504]);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends `init` to `url`; answers the last response, or throws `ERR_NETWORK` when no attempt got one. */
export async function send(url: string, init: RequestInit, options: SendOptions): Promise<Response> {
  const retries = Math.max(0, options.retry.retries ?? 2);
  const attempts = retries + 1;
  for (let attempt = 1; ; attempt++) {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response | undefined;
    let failure: unknown;
    try {
      response = await options.fetch(url, { ...init, signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      failure = error;
    }
    const tls = response ? undefined : tlsProblem(failure);
    // An untrusted certificate stays untrusted: no retry, and say what it is.
    if (tls) throw new ConcurError('ERR_TLS', `${url}: ${tls.what} (${tls.code})`, { url, cause: failure });
    const retryable = response ? retryableStatus.has(response.status) : options.idempotent || isConnectFailure(failure);
    if (attempt >= attempts || !retryable) {
      if (response) return response;
      throw new ConcurError('ERR_NETWORK', `no answer from ${url}: ${describeNetworkError(failure)}`, { url, cause: failure });
    }
    const delayMs = backoff(attempt, options.retry, response?.headers.get('retry-after'));
    if (delayMs === undefined) return response!;
    await response?.body?.cancel().catch(() => undefined);
    options.retry.onRetry?.({
      attempt, attempts, delayMs, url,
      reason: response ? `HTTP ${response.status}` : describeNetworkError(failure),
    });
    await sleep(delayMs);
  }
}

/** The wait before the next attempt; undefined when the server asks for longer than we wait. */
function backoff(attempt: number, retry: RetryOptions, retryAfter: string | null | undefined): number | undefined {
  const min = retry.minDelayMs ?? 500;
  const max = retry.maxDelayMs ?? 8_000;
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
    if (Number.isFinite(ms)) return ms > max ? undefined : Math.max(0, ms);
  }
  const exponential = Math.min(max, min * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + Math.random() * (exponential / 2));
}

/** Node's (OpenSSL's) codes for a server certificate that is not trusted, in plain words. */
const tlsCodes: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server\'s certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server\'s certificate chain ends in a self-signed certificate that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server\'s certificate was issued by a certificate authority that is not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'the server\'s certificate was issued by a certificate authority that is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server\'s certificate was issued by a certificate authority that is not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server\'s certificate is for another host name',
  CERT_HAS_EXPIRED: 'the server\'s certificate has expired',
  CERT_NOT_YET_VALID: 'the server\'s certificate is not valid yet',
  CERT_REVOKED: 'the server\'s certificate has been revoked',
  CERT_SIGNATURE_FAILURE: 'the server\'s certificate signature is invalid',
  CERT_UNTRUSTED: 'the server\'s certificate is not trusted',
  INVALID_CA: 'the server\'s certificate chain holds an invalid certificate authority',
};

/**
 * When `error` (from `fetch`, or a `node:https` request) is a server certificate that is not
 * trusted: Node's code and what it means; otherwise undefined.
 */
export function tlsProblem(error: unknown): { code: string; what: string } | undefined {
  const code = errorCode(error);
  return code && code in tlsCodes ? { code, what: tlsCodes[code]! } : undefined;
}

/** A failure that proves the request never reached the server, so even a POST may be sent again. */
function isConnectFailure(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const causeMessage = cause instanceof Error && cause.message && !message.includes(cause.message) ? cause.message : undefined;
  const text = causeMessage ? `${message}: ${causeMessage}` : message;
  const code = errorCode(error);
  return code && !text.includes(code) ? `${text} (${code})` : text;
}
