/** Wire shapes of the Concur token service (docs/protocol.md §2). */

/** The grant types of `POST /oauth2/v0/token`. */
export const GrantTypes = ['password', 'refresh_token', 'client_credentials', 'authorization_code', 'otp'] as const;
export type GrantType = (typeof GrantTypes)[number];

export const isGrantType = (value: string): value is GrantType => (GrantTypes as readonly string[]).includes(value);

/** `credtype` of the password grant. */
export type CredType = 'password' | 'authtoken';

/** The 200 answer of `POST /oauth2/v0/token`. */
export interface TokenResponse {
  /** Seconds, a string ("3600") in Concur's documentation; some servers send a number. */
  expires_in: string | number;
  scope: string;
  token_type: string;
  access_token: string;
  refresh_token?: string;
  /** Absolute expiry of the refresh token, Unix epoch seconds. */
  refresh_expires_in?: number | string;
  id_token?: string;
  geolocation?: string;
}

/** The principal types of `concur.type`. */
export type PrincipalType = 'user' | 'company' | 'application';

/** Claims Tessera and Concur put in access tokens (docs/protocol.md §1). */
export interface ConcurAccessClaims {
  sub: string;
  iss: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  'concur.version': number;
  'concur.type': PrincipalType;
  'concur.app': string;
  'concur.profile'?: string;
  'concur.scopes': string[];
  'concur.company'?: string;
  legacy_application_id?: string;
  useruuid?: string;
  userURI?: string;
}

/** Client ids, secrets, principals and refresh tokens are UUIDs (docs/protocol.md §1–2); matched case-insensitively. */
export const UuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The correlation header (docs/protocol.md §9). */
export const CorrelationHeader = 'concur-correlationid';

/** Paths of the token service. */
export const Paths = Object.freeze({
  token: '/oauth2/v0/token',
  /** Sign-in and consent for the authorization_code grant (docs/protocol.md §4). */
  authorize: '/oauth2/v0/authorize',
  /** One-time password by email (docs/protocol.md §5). */
  otp: '/oauth2/v0/otp',
  jwks: '/oauth2/v0/jwks',
  /** RFC 7662 token introspection (a Tessera extension). */
  introspect: '/oauth2/v0/introspect',
  connections: '/app-mgmt/v0/connections',
  discovery: '/.well-known/openid-configuration',
  me: '/profile/v1/me',
  /** OpenID Connect UserInfo, a Tessera extension (Concur documents none). */
  userinfo: '/oauth2/v0/userinfo',
});
