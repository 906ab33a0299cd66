/**
 * Where requests go (docs/protocol.md §10): first tokens on the configured datacenter, refreshes and
 * API calls on the token's geolocation, a base URL with no path.
 */
import { normalizeGeolocation } from 'tessera-protocol';
import { ConcurError } from './errors.js';

export { normalizeGeolocation };

/**
 * The URL of `path` at `geolocation`. An absolute URL is accepted only on the geolocation's own
 * origin, so the Bearer token never leaves it (`ERR_FOREIGN_URL`).
 */
export function resolveAtGeolocation(geolocation: string, path: string | URL): string {
  const base = new URL(geolocation);
  const text = String(path);
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    const url = new URL(text);
    if (url.origin !== base.origin) {
      throw new ConcurError('ERR_FOREIGN_URL', `${url.origin} is not the token's geolocation ${base.origin}; the access token is sent only there`, { url: text });
    }
    return url.href;
  }
  return new URL(text.startsWith('/') ? text : `/${text}`, base).href;
}

/**
 * Follows a geolocation from a code-16 answer only when it does not downgrade the transport:
 * credentials sent over HTTPS are never re-sent over plain HTTP.
 */
export function acceptableRedirectGeolocation(from: string, to: string | undefined): string | undefined {
  if (!to) return undefined;
  try {
    const target = normalizeGeolocation(to);
    if (new URL(from).protocol === 'https:' && new URL(target).protocol !== 'https:') return undefined;
    return target;
  } catch {
    return undefined;
  }
}
