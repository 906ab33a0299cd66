/**
 * The grant seam (docs/architecture.md "Seams that matter"): a grant declares its `grant_type`, its form
 * parameters and the code of a refusal by Allowed Grants, and answers a token request through a
 * {@link GrantContext} of bound capabilities. It never sees the store, and every token it issues
 * is for the app that authenticated, so it cannot mislabel one. Built-in and extra grants
 * (`createServer(settings, { grants })`) register the same way (docs/architecture.md, "Grants").
 */
import type { ConcurCode, TokenResponse } from 'tessera-protocol';
import type { Settings } from '../../config.js';
import type { AuditInput } from '../audit.js';
import type { Clock } from '../clock.js';
import type { RequestMeta } from '../context.js';
import type { ConcurError } from '../errors.js';
import type { App, Company, Connection, User } from '../model.js';

/** A Concur error code, as `ConcurError` takes it. */
export type { ConcurCode } from 'tessera-protocol';

/** The settings a grant may read: everything but the secrets. */
export type GrantSettings = Readonly<Omit<Settings, 'secretKey' | 'databaseUrl' | 'redisUrl' | 'metricsToken' | 'adminPassword' | 'smtpUrl'>>;

/** A form parameter a grant reads, checked by the token endpoint before the grant runs. */
export interface GrantParameter {
  readonly name: string;
  /** Absent or empty answers `missingCode`. */
  readonly required?: boolean;
  /** The Concur code of a missing required parameter (e.g. 51 for `username`, 106 for `refresh_token`). */
  readonly missingCode?: ConcurCode;
  /** The values the parameter may take when present; any other answers `invalidCode`. */
  readonly values?: readonly string[];
  /** The Concur code of a value outside `values` (e.g. 120 for `credtype`). */
  readonly invalidCode?: ConcurCode;
}

/** A grant type the token endpoint serves. */
export interface Grant {
  /** The `grant_type` value; registering one twice throws. */
  readonly grantType: string;
  /** Checked in order after client authentication and Allowed Grants, before `handle`. */
  readonly parameters?: readonly GrantParameter[];
  /**
   * Whether a public app (`clientType: 'public'`) may use this grant with its client id alone, no
   * secret (docs/protocol.md Decision 14: authorization_code and refresh_token). Confidential apps
   * always authenticate with a secret.
   */
  readonly publicClients?: boolean;
  /** The code to answer when the app's Allowed Grants lack this grant (60 unless the grant says otherwise). */
  readonly notAllowedCode?: ConcurCode;
  /** The login id whose failure budget this request spends (core/protection.ts), if any; read before anything else. */
  loginIdOf?(params: GrantParams): string | undefined;
  /** The company whose failure budget this request spends, if any; read before anything else. */
  companyIdOf?(params: GrantParams): string | undefined;
  /** Answers the token response; it must be one `ctx.tokens` issued. Refusals are thrown as `ConcurError`. */
  handle(ctx: GrantContext): Promise<TokenResponse>;
}

/** The form parameters of the token request. */
export type GrantParams = Readonly<Record<string, string | undefined>>;

/** A connection a grant opened, redeemed or refreshed in this request, with the refresh token value to hand out. */
export interface HeldConnection {
  readonly connection: Readonly<Connection>;
  /** The refresh token value (the only time it is seen in clear). */
  readonly refreshToken: string;
  /** The refresh token's absolute expiry (ms). */
  readonly expiresAt: number;
}

/** Issues tokens for the authenticated app only. */
export interface GrantTokens {
  /**
   * With `connection` (one this request opened, redeemed or refreshed): a user or company token
   * of that connection's principal, with its refresh token and an id token. Without: an
   * application token of the app itself, bound to the secret it authenticated with.
   */
  issue(input: { scopes: string[]; connection?: HeldConnection; geolocation?: string; nonce?: string }): TokenResponse;
}

/** Connections (refresh-token families) of the authenticated app. */
export interface GrantConnections {
  /** Opens a connection for a principal and gives it its first refresh token. */
  open(input: { principalType: Connection['principalType']; principalId: string; companyId: string; scopes: string[] }): Promise<HeldConnection>;
  /**
   * Uses a presented refresh token of this app (108 otherwise), refreshing it by the rules of
   * docs/token-service.md "Refresh tokens". `scopesOf` chooses the scopes among those of the
   * connection the app still has; the principal must still stand (its company enabling the app:
   * 53; the user not disabled and the company enabled: 123). Nothing changes unless all holds.
   */
  refresh(presented: string, scopesOf: ScopeChoice): Promise<HeldConnection & { scopes: string[]; company: Company }>;
}

/** Chooses the scopes to grant among those available (e.g. `grantedScopes(ctx.params.scope, available)`); throws to refuse. */
export type ScopeChoice = (available: readonly string[]) => string[];

/** Company request tokens presented to the authenticated app. */
export interface GrantRequestTokens {
  /**
   * Consumes one use of a company's request token for this app (136 otherwise; 11 and 53 when
   * the company is disabled or has not enabled the app) and answers its connection: the first
   * conversion opens it with `scopesOf(app scopes)`, a retry joins it (`joined`) and gets
   * `scopesOf(its scopes)`.
   */
  redeem(companyId: string, requestToken: string, scopesOf: ScopeChoice): Promise<HeldConnection & { joined: boolean; scopes: string[]; company: Company }>;
}

/** An authorization code redeemed: the user's new connection, its scopes, company and the request's `nonce`. */
export interface RedeemedCode extends HeldConnection {
  readonly scopes: string[];
  readonly company: Company;
  readonly nonce: string | null;
}

/** Authorization codes of `/oauth2/v0/authorize` presented to the authenticated app. */
export interface GrantCodes {
  /**
   * Exchanges a code issued to this app (docs/protocol.md §4): 103 when it is unknown, expired or
   * used (a second use revokes the connection the first made), or its PKCE verifier is missing or
   * wrong; 105 when it was issued to another app; 104 for another `redirect_uri`; 53/123 when
   * the user or company no longer stands. Opens the user's connection.
   */
  exchange(code: string, redirectUri: string, codeVerifier: string | undefined): Promise<RedeemedCode>;
}

/** A user as a grant sees it: no password hash or lockout counters. */
export type SignedInUser = Readonly<Omit<User, 'passwordHash' | 'failedLogins' | 'lockedUntil'>>;

/** Users signing in through the authenticated app. */
export interface GrantUsers {
  /**
   * Checks a login id and password with the service's failure budgets and lockout (5, 10, 11,
   * 14); a user of a company that has not enabled the app gets 53 whatever the password.
   */
  authenticate(loginId: string, password: string): Promise<{ user: SignedInUser; company: Company }>;
}

/** One-time passwords mailed for the authenticated app (docs/protocol.md §5). */
export interface GrantOtps {
  /**
   * Uses an OTP of this app, once, checking it was sent to `channelHandle` and that this request's
   * parameters repeat the `/otp` request's facts (83, 84, 85), and that its user may still sign in
   * here (10, 11, 53, 16). Nothing changes on a refusal.
   */
  redeem(otp: string, channelHandle: string): Promise<{ user: SignedInUser; company: Company }>;
}

/** Companies as the authenticated app may see them. */
export interface GrantCompanies {
  /** The company, or undefined when there is none. */
  get(companyId: string): Promise<Company | undefined>;
  /** Code 53 unless the company has enabled the app (its owner company always has). */
  assertAppEnabled(companyId: string): Promise<void>;
}

/** What a grant gets for one token request: the request, and capabilities bound to its app. */
export interface GrantContext {
  /** The app that authenticated. */
  readonly app: Readonly<App>;
  readonly params: GrantParams;
  readonly meta: RequestMeta;
  readonly tokens: GrantTokens;
  readonly connections: GrantConnections;
  readonly requestTokens: GrantRequestTokens;
  readonly codes: GrantCodes;
  readonly users: GrantUsers;
  readonly companies: GrantCompanies;
  readonly otps: GrantOtps;
  readonly clock: Clock;
  readonly settings: GrantSettings;
  /** Writes an audit event (never a secret); the token endpoint already audits the issue or refusal. */
  audit(event: AuditInput): void;
  /** The base URL of the datacenter serving this request (docs/protocol.md §10): the default `iss` and `geolocation` of tokens. */
  geolocation(): string;
}
