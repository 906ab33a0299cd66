/**
 * Reading a `POST /oauth2/v0/token` answer (docs/protocol.md §2): `expires_in` as a string or a
 * number, `refresh_expires_in` as absolute epoch seconds (number or quoted), the principal from
 * the id_token (`sub`, `concur.type`), the scopes from `scope`.
 */
import type { PrincipalType, TokenResponse } from 'tessera-protocol';
import { ConcurError } from './errors.js';
import { normalizeGeolocation } from './geolocation.js';
import { decodeJwtClaims } from './jwt.js';

/** Who a token speaks for: `sub` and `concur.type` of the id token (or of the access token). */
export interface Principal {
  type: PrincipalType | string;
  id: string;
}

/** An access token as the SDK hands it out. */
export interface AccessToken {
  accessToken: string;
  /** `Bearer`, as sent (compare case-insensitively). */
  tokenType: string;
  /** When the access token expires, ms since the epoch (receipt time + `expires_in`). */
  expiresAt: number;
  /** The granted scopes (`scope`, space-separated on the wire). */
  scopes: string[];
  /** Where API calls with this token go. */
  geolocation: string;
  principal: Principal | undefined;
}

/** A token response as read by the SDK, before the refresh-token state is written. */
export interface ParsedTokenResponse extends AccessToken {
  refreshToken: string | undefined;
  /** `refresh_expires_in` as an ISO 8601 time, when sent. */
  refreshExpiresAt: string | undefined;
  idToken: string | undefined;
  /** The geolocation the answer named, if any (normalized). */
  responseGeolocation: string | undefined;
}

/** Seconds from `expires_in`: "3600" (Concur's docs) or 3600 (RFC 6749); undefined when neither. */
export function parseExpiresIn(value: unknown): number | undefined {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** `refresh_expires_in` (absolute Unix seconds, number or string) as ISO 8601; undefined when absent or unreadable. */
export function parseRefreshExpiresIn(value: unknown): string | undefined {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return new Date(seconds * 1000).toISOString();
}

/** The principal named by the id token, else by the access token. */
export function principalOf(idToken: string | undefined, accessToken: string): Principal | undefined {
  for (const token of [idToken, accessToken]) {
    const claims = decodeJwtClaims(token);
    const type = claims?.['concur.type'];
    if (typeof claims?.sub === 'string' && typeof type === 'string') return { type, id: claims.sub };
  }
  return undefined;
}

/**
 * Validates and reads a 200 answer. `fallbackGeolocation` is the host that answered, used when
 * the answer names no geolocation (client_credentials on some servers).
 */
export function parseTokenResponse(body: unknown, fallbackGeolocation: string, now: number): ParsedTokenResponse {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ConcurError('ERR_INVALID_RESPONSE', 'the token service answered 200 without a JSON object');
  }
  const response = body as Partial<TokenResponse> & Record<string, unknown>;
  if (typeof response.access_token !== 'string' || response.access_token === '') {
    throw new ConcurError('ERR_INVALID_RESPONSE', 'the token response has no access_token');
  }
  const accessToken = response.access_token;
  const expiresIn = parseExpiresIn(response.expires_in) ?? secondsUntilExp(accessToken, now) ?? 3600;
  let responseGeolocation: string | undefined;
  try {
    responseGeolocation = typeof response.geolocation === 'string' && response.geolocation ? normalizeGeolocation(response.geolocation) : undefined;
  } catch {
    responseGeolocation = undefined;
  }
  const idToken = typeof response.id_token === 'string' && response.id_token ? response.id_token : undefined;
  return {
    accessToken,
    tokenType: typeof response.token_type === 'string' ? response.token_type : 'Bearer',
    expiresAt: now + expiresIn * 1000,
    scopes: typeof response.scope === 'string' ? response.scope.split(/\s+/).filter(Boolean) : [],
    geolocation: responseGeolocation ?? fallbackGeolocation,
    principal: principalOf(idToken, accessToken),
    refreshToken: typeof response.refresh_token === 'string' && response.refresh_token ? response.refresh_token : undefined,
    refreshExpiresAt: parseRefreshExpiresIn(response.refresh_expires_in),
    idToken,
    responseGeolocation,
  };
}

function secondsUntilExp(accessToken: string, now: number): number | undefined {
  const exp = decodeJwtClaims(accessToken)?.exp;
  return typeof exp === 'number' ? Math.max(0, exp - Math.floor(now / 1000)) : undefined;
}
