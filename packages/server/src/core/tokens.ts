/**
 * Access and id tokens (docs/protocol.md §1–2): JWTs with the claims Concur's samples show,
 * issued for a principal and an app, and verified for the protected APIs.
 */
import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { ConcurCodes, Refusals, type ConcurRefusal, type PrincipalType, type TokenResponse } from 'tessera-protocol';
import type { Clock } from './clock.js';
import { ConcurError } from './errors.js';
import { accessTokenHash, type KeyManager } from './keys.js';
import { verifierKeySet, verifyJwt, type VerifierKeySet } from './jwt-verify.js';
import type { Settings } from '../config.js';

export interface Principal {
  type: PrincipalType;
  /** User, company or app UUID: the `sub`. */
  id: string;
  /** The company the principal belongs to (null for an application token). */
  companyId: string | null;
}

export interface IssueInput {
  clientId: string;
  principal: Principal;
  scopes: string[];
  geolocation: string;
  /** The refresh token to hand out, with its absolute expiry (ms); absent for client_credentials. */
  refresh?: { token: string; expiresAt: number };
  idToken: boolean;
  /** The connection (refresh-token family) of a user or company token: its power ends with it. */
  connectionId?: string;
  /** The client secret an application token was obtained with: its power ends with it. */
  secretId?: string;
  /** The `nonce` of the authorization request, echoed in the id token (OpenID Connect Core §3.1.3.6). */
  nonce?: string;
}

/** The claim naming the connection (refresh-token family) a user or company token belongs to. */
export const ConnectionClaim = 'tessera.connection';
/** The claim naming (by id, never value or digest) the client secret an application token was obtained with. */
export const SecretClaim = 'tessera.secret';
/**
 * The `aud` of admin tokens (`POST /admin/api/token`): only the admin API takes them, and it
 * takes no other token (RFC 9700 §2.3, audience restriction). Access tokens carry `aud: "*"`.
 */
export const AdminAudience = 'tessera-admin';

/** What an admin token names: its user and the server-side admin session it is bound to. */
export interface AdminTokenClaims {
  userId: string;
  companyId: string;
  /** The session handle (`sid`); the store keeps only a keyed digest of it. */
  sessionHandle: string;
}

/** What a verified access token tells a protected API. */
export interface AccessContext {
  principal: Principal;
  clientId: string;
  scopes: string[];
  /** The connection of a user or company token (null for tokens that name none). */
  connectionId: string | null;
  /** The client secret of an application token (null for tokens that name none). */
  secretId: string | null;
  claims: JWTPayload;
}

const stringClaim = (payload: JWTPayload, name: string): string | null =>
  typeof payload[name] === 'string' ? payload[name] : null;

export class TokenIssuer {
  private verifierKeys: VerifierKeySet | undefined;
  private verifierKeysAt = 0;
  private verifierGeneration = -1;

  constructor(
    private readonly keys: KeyManager,
    private readonly clock: Clock,
    private readonly settings: Pick<Settings, 'accessTokenTtl' | 'expiresInFormat'>,
  ) {}

  issue(input: IssueInput): TokenResponse {
    const { principal, geolocation, clientId } = input;
    const iat = Math.floor(this.clock.now() / 1000);
    const exp = iat + this.settings.accessTokenTtl;
    const profile = `${geolocation}/profile/v1/principals/${principal.id}`;
    const accessClaims: Record<string, unknown> = {
      aud: '*', sub: principal.id, iss: geolocation, exp, nbf: iat, iat, jti: randomUUID(),
      'concur.version': 2,
      'concur.type': principal.type,
      'concur.app': `${geolocation}/profile/v1/apps/${clientId}`,
      'concur.profile': profile,
      'concur.scopes': input.scopes,
    };
    if (principal.companyId) accessClaims['concur.company'] = principal.companyId;
    if (principal.type === 'user') {
      accessClaims.useruuid = principal.id;
      accessClaims.userURI = profile;
    }
    if (input.connectionId) accessClaims[ConnectionClaim] = input.connectionId;
    if (input.secretId) accessClaims[SecretClaim] = input.secretId;
    const accessToken = this.keys.sign(accessClaims);
    const response: TokenResponse = {
      expires_in: this.settings.expiresInFormat === 'string' ? String(this.settings.accessTokenTtl) : this.settings.accessTokenTtl,
      scope: input.scopes.join(' '),
      token_type: 'Bearer',
      access_token: accessToken,
    };
    if (input.refresh) {
      response.refresh_token = input.refresh.token;
      response.refresh_expires_in = Math.floor(input.refresh.expiresAt / 1000);
    }
    if (input.idToken) {
      response.id_token = this.keys.sign({
        aud: clientId, sub: principal.id, iss: geolocation, exp, nbf: iat, iat,
        'concur.profile': profile, 'concur.version': 2, 'concur.type': principal.type,
        at_hash: accessTokenHash(this.keys.alg, accessToken),
        ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
      });
    }
    response.geolocation = geolocation;
    return response;
  }

  /**
   * An admin token (`POST /admin/api/token`): a JWT for the admin API only (`aud` = `AdminAudience`),
   * bound to a server-side admin session by its handle (`sid`), ending at `expiresAt` (ms).
   */
  issueAdminToken(claims: AdminTokenClaims, geolocation: string, expiresAt: number): string {
    const iat = Math.floor(this.clock.now() / 1000);
    return this.keys.sign({
      aud: AdminAudience, sub: claims.userId, iss: geolocation, exp: Math.floor(expiresAt / 1000), nbf: iat, iat,
      jti: randomUUID(), sid: claims.sessionHandle, 'concur.type': 'user', 'concur.company': claims.companyId,
    });
  }

  /** Verifies a Bearer access token issued here; throws `ConcurError` 401 when it is not valid. */
  async verify(token: string, issuer: string): Promise<AccessContext> {
    try {
      const payload = await this.verifySigned(token, issuer);
      const type = payload['concur.type'];
      const app = payload['concur.app'];
      const scopes = payload['concur.scopes'];
      if (typeof payload.sub !== 'string' || (type !== 'user' && type !== 'company' && type !== 'application')
        || typeof app !== 'string' || !Array.isArray(scopes) || payload.aud !== '*') {
        throw new Error('not an access token');
      }
      return {
        principal: { type, id: payload.sub, companyId: stringClaim(payload, 'concur.company') },
        clientId: app.slice(app.lastIndexOf('/') + 1),
        scopes: scopes.filter((s): s is string => typeof s === 'string'),
        connectionId: stringClaim(payload, ConnectionClaim),
        secretId: stringClaim(payload, SecretClaim),
        claims: payload,
      };
    } catch (error) {
      throw invalidToken(error);
    }
  }

  /** Verifies an admin token issued here; throws `ConcurError` 401 for anything else, access tokens included. */
  async verifyAdminToken(token: string, issuer: string): Promise<AdminTokenClaims> {
    let payload: JWTPayload;
    try {
      payload = await this.verifySigned(token, issuer);
    } catch (error) {
      throw invalidToken(error);
    }
    const userId = stringClaim(payload, 'sub');
    const companyId = stringClaim(payload, 'concur.company');
    const sessionHandle = stringClaim(payload, 'sid');
    if (payload.aud !== AdminAudience || !userId || !companyId || !sessionHandle) {
      throw invalidToken(new Error('not an admin token'), Refusals.adminTokenRequired);
    }
    return { userId, companyId, sessionHandle };
  }

  /** The payload of a JWT signed by one of this service's keys for `issuer`, not expired. */
  private async verifySigned(token: string, issuer: string): Promise<JWTPayload> {
    // node:crypto, not jose's WebCrypto path: about 10× cheaper for RS256 (jwt-verify.ts).
    const check = () => verifyJwt(token, this.jwksForVerify(), { issuer, now: this.clock.now(), algorithms: ['RS256', 'ES256', 'EdDSA'] }) as JWTPayload;
    try {
      return check();
    } catch (error) {
      // An unknown kid may be a key another node made since this one last loaded: look once more (at most every second).
      if ((error as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || !(await this.keys.reloadIfOlderThan(1000))) throw error;
      return check();
    }
  }

  private jwksForVerify(): VerifierKeySet {
    // Keys can be added by another node or a rotation; rebuilding once a minute is cheap.
    const now = this.clock.now();
    if (!this.verifierKeys || now - this.verifierKeysAt > 60_000 || this.verifierGeneration !== this.keys.generation) {
      this.verifierKeys = verifierKeySet(this.keys.jwks());
      this.verifierKeysAt = now;
      this.verifierGeneration = this.keys.generation;
    }
    return this.verifierKeys;
  }
}

function invalidToken(error: unknown, refusal: ConcurRefusal | typeof ConcurCodes.InvalidToken = ConcurCodes.InvalidToken): ConcurError {
  if (error instanceof ConcurError) return error;
  return new ConcurError(refusal, {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    detail: error instanceof Error ? error.message : String(error),
  });
}
