/**
 * A token proves who and for what, and only while what it stands on lasts (RFC 9700 §4.14's
 * revocation advice): every protected API of this service accepts an access
 * token only while its app is enabled, its connection (refresh-token family) is not revoked, its
 * user and company are enabled, the company still has the app enabled, and, for an application
 * token, the client secret it was obtained with is still active.
 *
 * One store query answers all of that (`AppRepository.tokenStanding`). A node may reuse an answer
 * for `tokenStatusCacheSeconds` (at most 30 s; the documented staleness), kept in a bounded map;
 * callers that change credentials (the secret API) or answer the question for others
 * (introspection) ask for a fresh read.
 */
import type { Core } from './context.js';
import { Refusals } from 'tessera-protocol';
import { ConcurError } from './errors.js';
import type { AccessContext } from './tokens.js';
import type { Clock } from './clock.js';
import type { TokenStanding } from './model.js';
import type { AppRepository } from '../storage/types.js';

/** Most answers one node keeps; the oldest goes first when full. */
const maxEntries = 10_000;

/**
 * Why a token no longer works, from the state of its parts; null while it still does. A token
 * issued before tokens named their connection or secret (at most one access-token lifetime after
 * an upgrade) gets the other checks; the secret API refuses an application token without one.
 */
export function refusalOf(access: AccessContext, standing: TokenStanding): string | null {
  if (standing.appEnabled !== true) return 'its app is disabled or gone';
  if (access.principal.companyId !== null) {
    if (standing.companyEnabled !== true) return 'its company is disabled';
    if (access.principal.type !== 'application' && standing.companyGrantEnabled !== true) return 'its company no longer has the app enabled';
  }
  if (access.principal.type === 'user' && (standing.userStatus === null || standing.userStatus === 'disabled')) return 'its user is disabled or gone';
  if (access.connectionId !== null && standing.connectionRevoked !== false) return 'its connection was revoked';
  if (access.secretId !== null && standing.secretStatus !== 'active') return 'the client secret it was obtained with is no longer active';
  return null;
}

/** Reads (or, within the staleness, recalls) whether tokens still stand. */
export class TokenStandings {
  private readonly answers = new Map<string, { until: number; refusal: string | null }>();

  constructor(
    private readonly apps: Pick<AppRepository, 'tokenStanding'>,
    private readonly clock: Clock,
    private readonly maxAgeSeconds: number,
  ) {}

  /** Why `access` no longer works, or null; `fresh` skips the cache (and refreshes it). */
  async refusal(access: AccessContext, options: { fresh?: boolean } = {}): Promise<string | null> {
    const { principal } = access;
    const key = [access.clientId, principal.type, principal.id, principal.companyId, access.connectionId, access.secretId].join('|');
    const now = this.clock.now();
    const known = this.answers.get(key);
    // An answer good for longer than the staleness allows was remembered ahead of now (the emulator's
    // clock moved back): read again rather than keep it for the length of the move.
    if (known && known.until > now && known.until - now <= this.maxAgeSeconds * 1000 && !options.fresh) return known.refusal;
    const standing = await this.apps.tokenStanding({
      appId: access.clientId, companyId: principal.companyId, userId: principal.type === 'user' ? principal.id : null,
      connectionId: access.connectionId, secretId: access.secretId,
    });
    const refusal = refusalOf(access, standing);
    if (this.maxAgeSeconds > 0) {
      this.answers.delete(key);
      if (this.answers.size >= maxEntries) this.answers.delete(this.answers.keys().next().value!);
      this.answers.set(key, { until: now + this.maxAgeSeconds * 1000, refusal });
    }
    return refusal;
  }
}

/**
 * The one door of the protected APIs: verifies a Bearer access token (signature, issuer, expiry,
 * shape) and that it still stands; `ConcurError` 401 otherwise.
 */
export async function authenticateAccessToken(core: Core, token: string, options: { fresh?: boolean } = {}): Promise<AccessContext> {
  const access = await core.tokens.verify(token, core.geolocation());
  const refusal = await core.standings.refusal(access, options);
  if (refusal !== null) {
    throw new ConcurError(Refusals.tokenNoLongerValid(refusal), {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      detail: refusal,
    });
  }
  return access;
}
