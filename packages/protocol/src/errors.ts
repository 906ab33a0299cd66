/**
 * The Concur OAuth 2.0 error-code table (docs/protocol.md §3 and Decision 2), the one source of every
 * code, `error`, `error_description` and status Tessera answers with. One row per numeric code:
 * its name, the OAuth `error`, the HTTP status, the Concur `error_description`, and a plain-words
 * meaning with advice for people. The type of codes ({@link ConcurCode}) and their named constants
 * ({@link ConcurCodes}) are generated from it, so a code that is not in the table does not compile.
 *
 * `error` and `error_description` follow the "Response Codes" tables of SAP Concur's
 * Authentication API reference (developer.concur.com/api-reference/authentication/apidoc.html,
 * `/token` and `/otp`); the status follows Decision 2. Codes those tables do not list (21, 124,
 * 134–139) come from Concur's other pages (docs/protocol.md §3). Codes 400–500 are Tessera's own, for
 * conditions Concur documents only by HTTP status.
 *
 * {@link Refusals} are the more precise descriptions Tessera answers for some of those codes
 * (same code, `error` and status; only `error_description` says more).
 */

/** OAuth 2.0 error strings that Concur uses (RFC 6749 §5.2 plus `access_denied`). */
export type OAuthErrorName =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'access_denied'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'rate_limited'
  | 'not_found'
  | 'server_error';

interface RowSpec {
  /** The name of the code's constant in {@link ConcurCodes}. */
  readonly name: string;
  readonly error: OAuthErrorName;
  readonly status: number;
  readonly description: string;
  readonly meaning: string;
}

const table = {
  5: { name: 'WrongCredentials', error: 'invalid_grant', status: 400, description: 'Incorrect credentials. Please Retry', meaning: 'The login id or password is wrong. Check them and try again.' },
  10: { name: 'UserDisabled', error: 'invalid_grant', status: 400, description: 'Account is disabled. Please contact support', meaning: 'The user account is disabled. Ask the company administrator to enable it.' },
  11: { name: 'CompanyDisabled', error: 'invalid_grant', status: 400, description: 'Account is disabled. Please contact support', meaning: 'The company account is disabled. Ask the administrator.' },
  12: { name: 'LogonDenied', error: 'invalid_grant', status: 400, description: 'Logon Denied. Please contact support', meaning: 'The logon was denied for this account.' },
  13: { name: 'LogonDeniedForAccount', error: 'invalid_grant', status: 400, description: 'Logon Denied. Please contact support', meaning: 'The logon was denied for this account.' },
  14: { name: 'AccountLocked', error: 'invalid_grant', status: 400, description: 'Account Locked. Please contact support', meaning: 'The account is locked after repeated failed sign-ins. Wait, or ask an administrator to unlock it.' },
  16: { name: 'UserLivesElsewhere', error: 'invalid_request', status: 400, description: 'user lives elsewhere', meaning: 'The principal lives in another datacenter: retry at the returned geolocation.' },
  19: { name: 'WrongUserCredentials', error: 'invalid_grant', status: 400, description: 'Incorrect credentials. Please Retry', meaning: 'The credentials are wrong. Check them and try again.' },
  20: { name: 'IpRestricted', error: 'invalid_grant', status: 400, description: 'Logon Denied. Please contact support', meaning: 'The logon was denied by an IP restriction.' },
  21: { name: 'SsoOnly', error: 'invalid_request', status: 400, description: 'SSO-only client attempted a password login', meaning: 'This user signs in with SSO only; use another grant.' },
  51: { name: 'UsernameMissing', error: 'invalid_request', status: 400, description: 'username was not supplied', meaning: 'The username field is missing.' },
  52: { name: 'PasswordMissing', error: 'invalid_request', status: 400, description: 'password was not supplied', meaning: 'The password field is missing.' },
  53: { name: 'CompanyNotEnabled', error: 'invalid_client', status: 403, description: 'company is not enabled for this client', meaning: 'The company has not enabled (or has withdrawn) this app. A company administrator must connect the app again.' },
  54: { name: 'ScopeExceedsGranted', error: 'invalid_scope', status: 400, description: 'requested scope exceeds granted scope', meaning: "Ask only for scopes among the app's Allowed Scopes." },
  55: { name: 'UnknownEmail', error: 'invalid_request', status: 400, description: "we don't know this email", meaning: 'No user has this email address.' },
  56: { name: 'OtpMissing', error: 'invalid_request', status: 400, description: 'otp was not supplied', meaning: 'The otp field is missing.' },
  57: { name: 'ChannelTypeMissing', error: 'invalid_request', status: 400, description: 'channel_type was not supplied', meaning: 'The channel_type field is missing.' },
  58: { name: 'ChannelHandleMissing', error: 'invalid_request', status: 400, description: 'channel_handle was not supplied', meaning: 'The channel_handle field is missing.' },
  59: { name: 'ClientDisabled', error: 'access_denied', status: 403, description: 'client disabled', meaning: 'The app is disabled. An administrator must enable it in OAuth 2.0 Application Management.' },
  60: { name: 'GrantNotAllowed', error: 'invalid_grant', status: 400, description: 'these are not the grants you are looking for', meaning: "The grant type is unknown or not among the app's Allowed Grants." },
  61: { name: 'ClientNotFound', error: 'invalid_client', status: 401, description: 'client not found', meaning: 'No app has this client id. Check the client id of the environment.' },
  62: { name: 'ClientIdMissing', error: 'invalid_request', status: 400, description: 'client_id was not supplied', meaning: 'The client_id field is missing.' },
  63: { name: 'ClientSecretMissing', error: 'invalid_request', status: 400, description: 'client_secret was not supplied', meaning: 'The client_secret field is missing.' },
  64: { name: 'WrongClientSecret', error: 'invalid_client', status: 401, description: 'Incorrect credentials. Please Retry', meaning: 'The client secret is wrong or no longer active. Check the secret in App Details → Client Secrets.' },
  65: { name: 'GrantTypeMissing', error: 'invalid_request', status: 400, description: 'grant_type was not supplied', meaning: 'The grant_type field is missing.' },
  80: { name: 'InvalidChannelType', error: 'invalid_request', status: 400, description: 'invalid channel type', meaning: 'Only channel_type=email is supported.' },
  81: { name: 'BadChannelHandle', error: 'invalid_request', status: 400, description: 'bad channel handle', meaning: 'The channel_handle is not a valid email address.' },
  82: { name: 'TooManyOpenOtps', error: 'invalid_request', status: 400, description: 'the number of open otp requests has been exceeded', meaning: 'Too many one-time passwords are open for this address; use one or wait.' },
  83: { name: 'OtpNotFound', error: 'invalid_request', status: 400, description: 'otp not found', meaning: 'The one-time password is unknown, used or expired. Request a new one.' },
  84: { name: 'FactVerificationFailed', error: 'invalid_request', status: 400, description: 'fact verification failed', meaning: 'The parameters differ from the ones sent to /otp.' },
  85: { name: 'OtpVerificationFailed', error: 'invalid_request', status: 400, description: 'otp verification failed', meaning: 'The one-time password could not be verified.' },
  100: { name: 'UnknownUsername', error: 'invalid_request', status: 400, description: 'backend does not know about this username', meaning: 'No user has this login id.' },
  101: { name: 'CodeMissing', error: 'invalid_request', status: 400, description: 'code was not supplied', meaning: 'The code field is missing.' },
  102: { name: 'RedirectUriMissing', error: 'invalid_request', status: 400, description: 'redirect_uri was not supplied', meaning: 'The redirect_uri field is missing.' },
  103: { name: 'BadCode', error: 'invalid_request', status: 400, description: 'code is bad or expired', meaning: 'The authorization code is unknown, used or expired. Start the sign-in again.' },
  104: { name: 'RedirectUriMismatch', error: 'invalid_grant', status: 400, description: 'redirect_uri does not match the previous grant', meaning: 'Send the same redirect_uri as in the authorize request.' },
  105: { name: 'CodeOfAnotherClient', error: 'invalid_grant', status: 400, description: 'this grant was not issued to you!', meaning: 'The authorization code belongs to another app.' },
  106: { name: 'RefreshTokenMissing', error: 'invalid_request', status: 400, description: 'refresh_token was not supplied', meaning: 'The refresh_token field is missing.' },
  107: { name: 'RefreshNotAllowed', error: 'invalid_request', status: 400, description: 'refresh disallowed for app', meaning: 'The app does not have refresh_token among its Allowed Grants.' },
  108: { name: 'BadRefreshToken', error: 'invalid_grant', status: 400, description: 'bad or expired refresh token', meaning: 'The refresh token is unknown, revoked or expired (unused for 6 months). Generate a new Company Request Token and convert it again.' },
  109: { name: 'LoginIdMissing', error: 'invalid_request', status: 400, description: 'loginid was not supplied', meaning: 'The login id is missing.' },
  115: { name: 'UnauthenticatedClient', error: 'invalid_request', status: 400, description: 'unauthenticated client will not be issued token!', meaning: 'The client did not authenticate.' },
  117: { name: 'NonceRequired', error: 'invalid_request', status: 400, description: 'nonce is mandatory for this response_type', meaning: 'Send a nonce.' },
  118: { name: 'InvalidDisplay', error: 'invalid_request', status: 400, description: 'display is invalid', meaning: 'The display parameter is invalid.' },
  119: { name: 'InvalidPrompt', error: 'invalid_request', status: 400, description: 'prompt is invalid', meaning: 'The prompt parameter is invalid (offline_access needs prompt=consent).' },
  120: { name: 'InvalidCredtype', error: 'invalid_request', status: 400, description: 'credtype is invalid', meaning: 'credtype must be password or authtoken.' },
  121: { name: 'InvalidLoginType', error: 'invalid_request', status: 400, description: 'login_type is invalid', meaning: 'The login_type parameter is invalid.' },
  122: { name: 'InvalidProxies', error: 'invalid_request', status: 400, description: 'proxies supplied are invalid', meaning: 'The proxies parameter is invalid.' },
  123: { name: 'PrincipalDisabled', error: 'invalid_request', status: 403, description: 'principal is disabled', meaning: 'The user or company is disabled. Ask the administrator.' },
  124: { name: 'InvalidProduct', error: 'invalid_request', status: 400, description: 'product is invalid', meaning: 'The product parameter is invalid.' },
  134: { name: 'CompanyMaintenance', error: 'invalid_request', status: 503, description: 'Company undergoing scheduled maintenance', meaning: 'The company is under maintenance; retry later.' },
  135: { name: 'UnsupportedRequestFormat', error: 'invalid_request', status: 400, description: 'unsupported request format', meaning: 'Send a POST with Content-Type application/x-www-form-urlencoded, credentials in the body, never in the query string.' },
  136: { name: 'BadRequestToken', error: 'invalid_grant', status: 400, description: 'Authtoken was not issued for you', meaning: "The Company Request Token is unknown, expired, used up, or belongs to another app or company. Generate a new one in Company Request Token and convert it within 24 hours." },
  139: { name: 'PasswordMustChange', error: 'invalid_grant', status: 400, description: 'Logon Denied. Password must be changed to meet company policy.', meaning: 'The password must be changed before signing in.' },
  // Tessera's own codes for conditions Concur documents only by HTTP status.
  400: { name: 'InvalidInput', error: 'invalid_request', status: 400, description: 'the request is invalid', meaning: 'A field is missing or has a wrong value; the answer names the field. Nothing was changed.' },
  401: { name: 'InvalidToken', error: 'invalid_token', status: 401, description: 'access token is missing, invalid or expired', meaning: 'Get a new access token with the refresh_token grant and retry.' },
  403: { name: 'InsufficientScope', error: 'insufficient_scope', status: 403, description: 'access token lacks the required scope', meaning: "Add the scope to the app's Allowed Scopes and ask for it." },
  404: { name: 'NotFound', error: 'not_found', status: 404, description: 'resource not found', meaning: 'Check the path and the id.' },
  408: { name: 'RequestTimeout', error: 'invalid_request', status: 408, description: 'request timed out', meaning: 'Send the whole request, headers and body, without pausing; the server closes connections that stall.' },
  413: { name: 'BodyTooLarge', error: 'invalid_request', status: 413, description: 'request body too large', meaning: 'Send a smaller request.' },
  429: { name: 'RateLimited', error: 'rate_limited', status: 429, description: 'too many requests', meaning: 'Wait for the Retry-After seconds and try again.' },
  500: { name: 'Internal', error: 'server_error', status: 500, description: 'internal error', meaning: 'Something failed on the server; report the correlation id.' },
} as const satisfies Readonly<Record<number, RowSpec>>;

type Table = typeof table;

/** Every code of the table: a closed union (`5 | 10 | … | 500`); `801` is not one. */
export type ConcurCode = keyof Table;

/** The named constant of each code, e.g. `ConcurCodes.WrongClientSecret === 64`. */
export type ConcurCodeName = Table[ConcurCode]['name'];

export interface ErrorCodeInfo {
  readonly code: ConcurCode;
  readonly name: ConcurCodeName;
  readonly error: OAuthErrorName;
  readonly description: string;
  readonly status: number;
  /** What the code means, for people, and what to do next. */
  readonly meaning: string;
}

const infos: readonly ErrorCodeInfo[] = Object.entries(table).map(([code, row]) => Object.freeze({ code: Number(code) as ConcurCode, ...row }));

/** The code of each name, generated from the table: `ConcurCodes.WrongCredentials` is 5. */
export const ConcurCodes = Object.freeze(Object.fromEntries(infos.map((info) => [info.name, info.code]))) as {
  readonly [C in ConcurCode as Table[C]['name']]: C;
};

/** Every known code, keyed by number. */
export const ErrorCodes: ReadonlyMap<number, ErrorCodeInfo> = new Map(infos.map((info) => [info.code, info]));

/** True when `code` is in the table (an answer may carry a newer Concur code Tessera does not know). */
export function isConcurCode(code: number): code is ConcurCode {
  return ErrorCodes.has(code);
}

/** The table row for a code, or undefined for a code Tessera does not know (a newer Concur code). */
export function describeErrorCode(code: ConcurCode): ErrorCodeInfo;
export function describeErrorCode(code: number): ErrorCodeInfo | undefined;
export function describeErrorCode(code: number): ErrorCodeInfo | undefined {
  return ErrorCodes.get(code);
}

/** One field at fault in a 400 `invalid_request`: `field` is the dotted path of the input (`scopes`, `name`). */
export interface FieldError {
  field: string;
  message: string;
}

/** The `error_description` of a 400 that lists its fields: `field: message; field: message`. */
const describeFields = (fields: readonly FieldError[]): string =>
  fields.map((f) => (f.field ? `${f.field}: ${f.message}` : f.message)).join('; ');

interface RefusalSpec {
  readonly code: ConcurCode;
  /** The `error_description`; a function for one that names what the request sent. */
  readonly description: string | ((...args: never[]) => string);
  /** When set, a 400 about this one field: the description is its message, listed in `fields`. */
  readonly field?: string;
  /** When true, the description's first argument is the list of fields at fault, answered in `fields`. */
  readonly listsFields?: true;
}

/**
 * The precise descriptions Tessera answers instead of a row's own, by name; the code, `error` and
 * status stay the row's. Every `error_description` Tessera writes is here or in the table above.
 */
const refusalTable = {
  // 135 unsupported request format
  repeatedParameter: { code: 135, description: (parameter: string) => `parameter ${parameter} was sent more than once` },
  formBodyRequired: { code: 135, description: 'the body must be application/x-www-form-urlencoded' },
  jsonBodyRequired: { code: 135, description: 'the body must be application/json' },
  credentialsInQuery: { code: 135, description: 'credentials must be sent in the body, not in the query string' },
  credentialsOrTokenInQuery: { code: 135, description: 'credentials and tokens must be sent in the body, not in the query string' },
  credentialsSentTwice: { code: 135, description: 'client credentials were sent in more than one way' },
  clientIdMismatch: { code: 135, description: 'client_id differs between body and Basic authorization' },
  requestAborted: { code: 135, description: 'request aborted' },
  malformedHttpRequest: { code: 135, description: 'malformed HTTP request' },
  // 103 bad code: PKCE (docs/protocol.md §4)
  codeVerifierMissing: { code: 103, description: 'code_verifier was not supplied; the code was issued for a code_challenge' },
  codeVerifierMismatch: { code: 103, description: 'code_verifier does not match the code_challenge' },
  codeVerifierUnexpected: { code: 103, description: 'code_verifier was supplied but the code was issued without a code_challenge' },
  codeReplayed: { code: 103, description: 'code was already used; the connection made with it is revoked' },
  // 64 wrong client secret
  malformedBasic: { code: 64, description: 'malformed Basic authorization' },
  // 400 invalid input
  invalidFields: { code: 400, description: describeFields, listsFields: true },
  tooManySecrets: { code: 400, field: 'secrets', description: (max: number) => `an app holds at most ${max} secrets; delete an inactive one first` },
  tooManyActiveSecrets: { code: 400, field: 'status', description: (max: number) => `at most ${max} secrets may be active; deactivate one first` },
  secretNotInactive: { code: 400, field: 'status', description: 'secret is not inactive; deactivate it first' },
  otpLinkInvalid: { code: 400, field: 'link', description: 'must be an absolute http or https URL of at most 2048 characters' },
  // 401 invalid token
  bearerTokenRequired: { code: 401, description: 'a Bearer access token is required' },
  tokenNoLongerValid: { code: 401, description: (reason: string) => `access token is no longer valid: ${reason}` },
  principalGone: { code: 401, description: 'the principal of this access token no longer exists' },
  appTokenRequired: { code: 401, description: 'an application token (client_credentials) of this app is required' },
  adminSignInRequired: { code: 401, description: 'sign in to the admin console, or send a Bearer admin token (POST /admin/api/token)' },
  adminTokenRequired: { code: 401, description: 'the admin API takes only admin tokens (POST /admin/api/token) or a console session, not access tokens of apps' },
  adminTokenEnded: { code: 401, description: 'the admin token has ended (signed out, idle too long, expired, or the user may no longer administer); sign in again' },
  adminUserGone: { code: 401, description: 'the user no longer exists; sign in again' },
  // 403 insufficient scope
  scopeRequired: { code: 403, description: (scopes: readonly string[]) => `access token lacks the required scope (${scopes.join(' or ')})` },
  appTokenHasNoProfile: { code: 403, description: 'an application token has no profile; use a user or company token' },
  appTokenHasNoConnections: { code: 403, description: 'an application token has no connections; use the user or company token' },
  appTokenHasNoEndUser: { code: 403, description: 'an application token describes no end user; use a user or company token' },
  csrfTokenRejected: { code: 403, description: 'missing or wrong CSRF token (X-CSRF-Token); reload the page' },
  operatorOnly: { code: 403, description: 'only the operator of the service manages companies' },
  notAdministrator: { code: 403, description: 'only a Web Services Administrator may use the admin console and admin API' },
  adminAccountDisabled: { code: 403, description: 'the account is disabled or locked' },
  adminCompanyDisabled: { code: 403, description: 'the company is disabled' },
  // 404 not found
  notFound: { code: 404, description: (what: string) => `${what} not found` },
  noRoute: { code: 404, description: (method: string, path: string) => `no resource at ${method} ${path}` },
  noConsoleFile: { code: 404, description: 'no such console file' },
  unknownAppId: { code: 404, description: 'no app of your company has this App ID' },
  unknownAppIdAnyCompany: { code: 404, description: 'no app has this App ID' },
  notInAppCenter: { code: 404, description: 'no app in the App Center has this App ID' },
  appNotConnected: { code: 404, description: 'your company has not connected an app of another company with this App ID' },
  // 429 rate limited
  takenLoginIdsExhausted: { code: 429, description: 'too many users were asked for with login ids that are taken; wait for the Retry-After seconds' },
} as const satisfies Readonly<Record<string, RefusalSpec>>;

type RefusalTable = typeof refusalTable;

declare const refusalBrand: unique symbol;

/**
 * A code with its precise description, made only by {@link Refusals} (so every description comes
 * from this file). `fields` lists the fields at fault of a 400.
 */
export interface ConcurRefusal {
  readonly code: ConcurCode;
  readonly description: string;
  readonly fields?: readonly FieldError[];
  readonly [refusalBrand]: true;
}

type RefusalMaker<S extends RefusalSpec> = S['description'] extends (...args: infer A) => string ? (...args: A) => ConcurRefusal : ConcurRefusal;

function refusalOf(spec: RefusalSpec, args: unknown[]): ConcurRefusal {
  const { description } = spec;
  const text = typeof description === 'string' ? description : (description as (...a: unknown[]) => string)(...args);
  const fields = spec.field !== undefined ? [{ field: spec.field, message: text }]
    : spec.listsFields ? (args[0] as readonly FieldError[]) : undefined;
  return Object.freeze({
    code: spec.code,
    description: fields ? describeFields(fields) : text,
    ...(fields ? { fields: Object.freeze(fields.map((f) => Object.freeze({ ...f }))) } : {}),
  }) as ConcurRefusal;
}

/**
 * Tessera's precise refusals, by name: `Refusals.formBodyRequired` (135 with its own
 * description), `Refusals.notFound('app')`, `Refusals.invalidFields([{ field, message }])`.
 */
export const Refusals = Object.freeze(Object.fromEntries(Object.entries(refusalTable).map(([name, spec]: [string, RefusalSpec]) =>
  [name, typeof spec.description === 'string' ? refusalOf(spec, []) : (...args: unknown[]) => refusalOf(spec, args)]))) as { readonly [K in keyof RefusalTable]: RefusalMaker<RefusalTable[K]> };

/** The JSON body of every 4xx/5xx answer (docs/protocol.md §3); a 400 about fields lists them in `fields`. */
export interface ConcurErrorBody {
  code: number;
  error: string;
  error_description: string;
  geolocation?: string;
  fields?: FieldError[];
}
