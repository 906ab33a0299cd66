/**
 * Access and id tokens (PROTOCOL.md §1–2): JWTs with the claims Concur's samples show,
 * issued for a principal and an app, and verified for the protected APIs.
 */
import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { PrincipalType, TokenResponse } from 'tessera-protocol';
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
}

/** What a verified access token tells a protected API. */
export interface AccessContext {
  principal: Principal;
  clientId: string;
  scopes: string[];
  claims: JWTPayload;
}

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
      });
    }
    response.geolocation = geolocation;
    return response;
  }

  /** Verifies a Bearer access token issued here; throws `ConcurError` 401 when it is not valid. */
  async verify(token: string, issuer: string): Promise<AccessContext> {
    try {
      // node:crypto, not jose's WebCrypto path: about 10× cheaper for RS256 (jwt-verify.ts).
      const check = async () => ({
        payload: verifyJwt(token, this.jwksForVerify(), { issuer, now: this.clock.now(), algorithms: ['RS256', 'ES256', 'EdDSA'] }) as JWTPayload,
      });
      const { payload } = await check().catch(async (error: unknown) => {
        // An unknown kid may be a key another node made since this one last loaded: look once more (at most every second).
        if ((error as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || !(await this.keys.reloadIfOlderThan(1000))) throw error;
        return check();
      });
      const type = payload['concur.type'];
      const app = payload['concur.app'];
      const scopes = payload['concur.scopes'];
      if (typeof payload.sub !== 'string' || (type !== 'user' && type !== 'company' && type !== 'application')
        || typeof app !== 'string' || !Array.isArray(scopes) || payload.aud !== '*') {
        throw new Error('not an access token');
      }
      const companyId = typeof payload['concur.company'] === 'string' ? payload['concur.company'] : null;
      return {
        principal: { type, id: payload.sub, companyId },
        clientId: app.slice(app.lastIndexOf('/') + 1),
        scopes: scopes.filter((s): s is string => typeof s === 'string'),
        claims: payload,
      };
    } catch (error) {
      throw new ConcurError(401, {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        detail: error instanceof Error ? error.message : String(error),
      });
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
