/**
 * The one implementation of {@link GrantContext}: a per-request object bound to the app that
 * authenticated, holding the core in a private field a grant cannot reach. Its capability
 * groups (`tokens`, `connections`, …) are views of this same object, so a token request costs
 * one allocation for its context, as the plain request object it replaces did.
 */
import type { TokenResponse } from 'tessera-protocol';
import type { Settings } from '../../config.js';
import type { AuditInput } from '../audit.js';
import type { Clock } from '../clock.js';
import type { Core, RequestMeta } from '../context.js';
import { openConnection, refreshConnection, type RefreshedConnection } from '../connections.js';
import { redeemRequestToken, type RedeemedRequestToken } from '../request-tokens.js';
import { redeemAuthorizationCode } from '../authorization-codes.js';
import type { Principal } from '../tokens.js';
import { authenticateUser } from '../users.js';
import { redeemOtp } from '../otp.js';
import { ConcurError } from '../errors.js';
import type { App, Company, Connection } from '../model.js';
import type {
  GrantCodes, GrantCompanies, GrantConnections, GrantContext, GrantOtps, GrantParams, GrantRequestTokens, GrantSettings, GrantTokens, GrantUsers,
  HeldConnection, RedeemedCode, SignedInUser,
} from './grant.js';
import { assertCompanyEnabledApp, companyEnablesApp } from './registry.js';

/** The settings grants may read: a frozen copy without the secrets, made once per server. */
export function grantSettings(settings: Settings): GrantSettings {
  const { secretKey: _s, databaseUrl: _d, redisUrl: _r, metricsToken: _m, adminPassword: _a, smtpUrl: _u, ...visible } = settings;
  return Object.freeze(visible);
}

export class BoundGrantContext implements GrantContext, GrantTokens, GrantConnections, GrantRequestTokens, GrantCodes, GrantUsers, GrantCompanies {
  /** The OTP capability: its `redeem` would clash with the request tokens' own, so it is a view of its own. */
  readonly otps: GrantOtps;
  readonly #core: Core;
  /** The secret the app authenticated with; none for a public app's secretless request. */
  readonly #secretId: string | undefined;
  /** The connection this request opened, redeemed or refreshed: the only one its tokens may name. */
  #held: HeldConnection | undefined;
  #issued: TokenResponse | undefined;
  #principal: Principal | undefined;

  constructor(
    core: Core,
    readonly settings: GrantSettings,
    readonly app: Readonly<App>,
    secretId: string | undefined,
    readonly params: GrantParams,
    readonly meta: RequestMeta,
  ) {
    this.#core = core;
    this.#secretId = secretId;
    this.otps = Object.freeze({
      redeem: (otp: string, channelHandle: string) => redeemOtp(core, app, otp, channelHandle, params),
    });
  }

  get tokens(): GrantTokens {
    return this;
  }

  get connections(): GrantConnections {
    return this;
  }

  get requestTokens(): GrantRequestTokens {
    return this;
  }

  get codes(): GrantCodes {
    return this;
  }

  get users(): GrantUsers {
    return this;
  }

  get companies(): GrantCompanies {
    return this;
  }

  get clock(): Clock {
    return this.#core.clock;
  }

  geolocation(): string {
    return this.#core.geolocation();
  }

  /** The event is filed under this request's correlation id and app, whatever it says. */
  audit(event: AuditInput): void {
    this.#core.audit.record({ ...event, correlationId: this.meta.correlationId, appId: this.app.id });
  }

  /** The response `issue` answered (the token endpoint checks the grant returned it). */
  get issuedResponse(): TokenResponse | undefined {
    return this.#issued;
  }

  /** Whom that response was issued for, for the audit trail. */
  get issuedPrincipal(): Principal | undefined {
    return this.#principal;
  }

  /** The connection that response belongs to, if any. */
  get issuedConnectionId(): string | undefined {
    return this.#issued ? this.#held?.connection.id : undefined;
  }

  issue(input: { scopes: string[]; connection?: HeldConnection; geolocation?: string; nonce?: string }): TokenResponse {
    if (this.#issued) throw new Error('a grant issues one token response per request');
    const geolocation = input.geolocation ?? this.#core.geolocation();
    const held = input.connection;
    if (held === undefined) {
      if (this.#secretId === undefined) throw new Error('an application token needs a client secret');
      const principal: Principal = { type: 'application', id: this.app.id, companyId: this.app.companyId };
      this.#held = undefined;
      this.#principal = principal;
      this.#issued = this.#core.tokens.issue({
        clientId: this.app.id, principal, scopes: input.scopes, geolocation, idToken: false, secretId: this.#secretId,
      });
      return this.#issued;
    }
    if (held !== this.#held) throw new Error('a grant issues tokens only for the connection it opened, redeemed or refreshed in this request');
    const { connection } = held;
    const principal: Principal = { type: connection.principalType, id: connection.principalId, companyId: connection.companyId };
    this.#principal = principal;
    this.#issued = this.#core.tokens.issue({
      clientId: this.app.id, principal, scopes: input.scopes, geolocation, idToken: true, connectionId: connection.id,
      refresh: { token: held.refreshToken, expiresAt: held.expiresAt }, ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
    });
    return this.#issued;
  }

  async open(input: { principalType: Connection['principalType']; principalId: string; companyId: string; scopes: string[] }): Promise<HeldConnection> {
    return this.#hold(await openConnection(this.#core, { appId: this.app.id, ...input }));
  }

  async refresh(presented: string, scopesOf: (available: readonly string[]) => string[]): Promise<RefreshedConnection> {
    return this.#hold(await refreshConnection(this.#core, this.app, presented, this.meta.correlationId, scopesOf, this.#secretId === undefined));
  }

  async redeem(companyId: string, requestToken: string, scopesOf: (available: readonly string[]) => string[]): Promise<RedeemedRequestToken> {
    return this.#hold(await redeemRequestToken(this.#core, this.app, companyId, requestToken, scopesOf));
  }

  async exchange(code: string, redirectUri: string, codeVerifier: string | undefined): Promise<RedeemedCode> {
    return this.#hold(await redeemAuthorizationCode(this.#core, this.app, { code, redirectUri, codeVerifier }, this.meta.correlationId));
  }

  authenticate(loginId: string, password: string): Promise<{ user: SignedInUser; company: Company }> {
    const core = this.#core;
    const appId = this.app.id;
    return authenticateUser(core, loginId, password, {
      attempt: { door: 'token', clientId: appId, loginId, address: this.meta.ip, correlationId: this.meta.correlationId },
      // A user of a company that has not enabled the app is answered as an unknown login id (no oracle across tenants).
      mayServe: (candidate) => companyEnablesApp(core, appId, candidate.companyId),
    });
  }

  get(companyId: string): Promise<Company | undefined> {
    return this.#core.store.companies.get(companyId);
  }

  assertAppEnabled(companyId: string): Promise<void> {
    return assertCompanyEnabledApp(this.#core, this.app.id, companyId);
  }

  #hold<T extends HeldConnection>(held: T): T {
    this.#held = held;
    return held;
  }
}
