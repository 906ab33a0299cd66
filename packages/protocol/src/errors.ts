/**
 * The Concur OAuth 2.0 error-code table (PROTOCOL.md §3 and Decision 2).
 * One row per numeric code: the OAuth `error`, the Concur `error_description`,
 * the HTTP status Tessera answers with, and a plain-words meaning with advice for people.
 *
 * `error` and `error_description` follow the "Response Codes" tables of SAP Concur's
 * Authentication API reference (developer.concur.com/api-reference/authentication/apidoc.html,
 * `/token` and `/otp`); the status follows Decision 2. Codes those tables do not list (21, 124,
 * 134–139) come from Concur's other pages (PROTOCOL.md §3).
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

export interface ErrorCodeInfo {
  readonly code: number;
  readonly error: OAuthErrorName;
  readonly description: string;
  readonly status: number;
  /** What the code means, for people, and what to do next. */
  readonly meaning: string;
}

const row = (
  code: number,
  error: OAuthErrorName,
  status: number,
  description: string,
  meaning: string,
): ErrorCodeInfo => Object.freeze({ code, error, status, description, meaning });

const rows: ErrorCodeInfo[] = [
  row(5, 'invalid_grant', 400, 'Incorrect credentials. Please Retry', 'The login id or password is wrong. Check them and try again.'),
  row(10, 'invalid_grant', 400, 'Account is disabled. Please contact support', 'The user account is disabled. Ask the company administrator to enable it.'),
  row(11, 'invalid_grant', 400, 'Account is disabled. Please contact support', 'The company account is disabled. Ask the administrator.'),
  row(12, 'invalid_grant', 400, 'Logon Denied. Please contact support', 'The logon was denied for this account.'),
  row(13, 'invalid_grant', 400, 'Logon Denied. Please contact support', 'The logon was denied for this account.'),
  row(14, 'invalid_grant', 400, 'Account Locked. Please contact support', 'The account is locked after repeated failed sign-ins. Wait, or ask an administrator to unlock it.'),
  row(16, 'invalid_request', 400, 'user lives elsewhere', 'The principal lives in another datacenter: retry at the returned geolocation.'),
  row(19, 'invalid_grant', 400, 'Incorrect credentials. Please Retry', 'The credentials are wrong. Check them and try again.'),
  row(20, 'invalid_grant', 400, 'Logon Denied. Please contact support', 'The logon was denied by an IP restriction.'),
  row(21, 'invalid_request', 400, 'SSO-only client attempted a password login', 'This user signs in with SSO only; use another grant.'),
  row(51, 'invalid_request', 400, 'username was not supplied', 'The username field is missing.'),
  row(52, 'invalid_request', 400, 'password was not supplied', 'The password field is missing.'),
  row(53, 'invalid_client', 403, 'company is not enabled for this client', 'The company has not enabled (or has withdrawn) this app. A company administrator must connect the app again.'),
  row(54, 'invalid_scope', 400, 'requested scope exceeds granted scope', "Ask only for scopes among the app's Allowed Scopes."),
  row(55, 'invalid_request', 400, "we don't know this email", 'No user has this email address.'),
  row(56, 'invalid_request', 400, 'otp was not supplied', 'The otp field is missing.'),
  row(57, 'invalid_request', 400, 'channel_type was not supplied', 'The channel_type field is missing.'),
  row(58, 'invalid_request', 400, 'channel_handle was not supplied', 'The channel_handle field is missing.'),
  row(59, 'access_denied', 403, 'client disabled', 'The app is disabled. An administrator must enable it in OAuth 2.0 Application Management.'),
  row(60, 'invalid_grant', 400, 'these are not the grants you are looking for', "The grant type is unknown or not among the app's Allowed Grants."),
  row(61, 'invalid_client', 401, 'client not found', 'No app has this client id. Check the client id of the environment.'),
  row(62, 'invalid_request', 400, 'client_id was not supplied', 'The client_id field is missing.'),
  row(63, 'invalid_request', 400, 'client_secret was not supplied', 'The client_secret field is missing.'),
  row(64, 'invalid_client', 401, 'Incorrect credentials. Please Retry', 'The client secret is wrong or no longer active. Check the secret in App Details → Client Secrets.'),
  row(65, 'invalid_request', 400, 'grant_type was not supplied', 'The grant_type field is missing.'),
  row(80, 'invalid_request', 400, 'invalid channel type', 'Only channel_type=email is supported.'),
  row(81, 'invalid_request', 400, 'bad channel handle', 'The channel_handle is not a valid email address.'),
  row(82, 'invalid_request', 400, 'the number of open otp requests has been exceeded', 'Too many one-time passwords are open for this address; use one or wait.'),
  row(83, 'invalid_request', 400, 'otp not found', 'The one-time password is unknown, used or expired. Request a new one.'),
  row(84, 'invalid_request', 400, 'fact verification failed', 'The parameters differ from the ones sent to /otp.'),
  row(85, 'invalid_request', 400, 'otp verification failed', 'The one-time password could not be verified.'),
  row(100, 'invalid_request', 400, 'backend does not know about this username', 'No user has this login id.'),
  row(101, 'invalid_request', 400, 'code was not supplied', 'The code field is missing.'),
  row(102, 'invalid_request', 400, 'redirect_uri was not supplied', 'The redirect_uri field is missing.'),
  row(103, 'invalid_request', 400, 'code is bad or expired', 'The authorization code is unknown, used or expired. Start the sign-in again.'),
  row(104, 'invalid_grant', 400, 'redirect_uri does not match the previous grant', 'Send the same redirect_uri as in the authorize request.'),
  row(105, 'invalid_grant', 400, 'this grant was not issued to you!', 'The authorization code belongs to another app.'),
  row(106, 'invalid_request', 400, 'refresh_token was not supplied', 'The refresh_token field is missing.'),
  row(107, 'invalid_request', 400, 'refresh disallowed for app', 'The app does not have refresh_token among its Allowed Grants.'),
  row(108, 'invalid_grant', 400, 'bad or expired refresh token', 'The refresh token is unknown, revoked or expired (unused for 6 months). Generate a new Company Request Token and convert it again.'),
  row(109, 'invalid_request', 400, 'loginid was not supplied', 'The login id is missing.'),
  row(115, 'invalid_request', 400, 'unauthenticated client will not be issued token!', 'The client did not authenticate.'),
  row(117, 'invalid_request', 400, 'nonce is mandatory for this response_type', 'Send a nonce.'),
  row(118, 'invalid_request', 400, 'display is invalid', 'The display parameter is invalid.'),
  row(119, 'invalid_request', 400, 'prompt is invalid', 'The prompt parameter is invalid (offline_access needs prompt=consent).'),
  row(120, 'invalid_request', 400, 'credtype is invalid', 'credtype must be password or authtoken.'),
  row(121, 'invalid_request', 400, 'login_type is invalid', 'The login_type parameter is invalid.'),
  row(122, 'invalid_request', 400, 'proxies supplied are invalid', 'The proxies parameter is invalid.'),
  row(123, 'invalid_request', 403, 'principal is disabled', 'The user or company is disabled. Ask the administrator.'),
  row(124, 'invalid_request', 400, 'product is invalid', 'The product parameter is invalid.'),
  row(134, 'invalid_request', 503, 'Company undergoing scheduled maintenance', 'The company is under maintenance; retry later.'),
  row(135, 'invalid_request', 400, 'unsupported request format', 'Send a POST with Content-Type application/x-www-form-urlencoded, credentials in the body, never in the query string.'),
  row(136, 'invalid_grant', 400, 'Authtoken was not issued for you', "The Company Request Token is unknown, expired, used up, or belongs to another app or company. Generate a new one in Company Request Token and convert it within 24 hours."),
  row(139, 'invalid_grant', 400, 'Logon Denied. Password must be changed to meet company policy.', 'The password must be changed before signing in.'),
];

/** Tessera's own codes for conditions Concur documents only by HTTP status. */
export const TesseraCodes = Object.freeze({
  invalidInput: 400,
  invalidToken: 401,
  insufficientScope: 403,
  notFound: 404,
  requestTimeout: 408,
  bodyTooLarge: 413,
  rateLimited: 429,
  internal: 500,
});

rows.push(
  row(TesseraCodes.invalidInput, 'invalid_request', 400, 'the request is invalid', 'A field is missing or has a wrong value; the answer names the field. Nothing was changed.'),
  row(TesseraCodes.invalidToken, 'invalid_token', 401, 'access token is missing, invalid or expired', 'Get a new access token with the refresh_token grant and retry.'),
  row(TesseraCodes.insufficientScope, 'insufficient_scope', 403, 'access token lacks the required scope', "Add the scope to the app's Allowed Scopes and ask for it."),
  row(TesseraCodes.notFound, 'not_found', 404, 'resource not found', 'Check the path and the id.'),
  row(TesseraCodes.requestTimeout, 'invalid_request', 408, 'request timed out', 'Send the whole request, headers and body, without pausing; the server closes connections that stall.'),
  row(TesseraCodes.bodyTooLarge, 'invalid_request', 413, 'request body too large', 'Send a smaller request.'),
  row(TesseraCodes.rateLimited, 'rate_limited', 429, 'too many requests', 'Wait for the Retry-After seconds and try again.'),
  row(TesseraCodes.internal, 'server_error', 500, 'internal error', 'Something failed on the server; report the correlation id.'),
);

/** Every known code, keyed by number. */
export const ErrorCodes: ReadonlyMap<number, ErrorCodeInfo> = new Map(rows.map((r) => [r.code, r]));

/** The table row for a code, or undefined for a code Tessera does not know (a newer Concur code). */
export function describeErrorCode(code: number): ErrorCodeInfo | undefined {
  return ErrorCodes.get(code);
}

/** The JSON body of every 4xx/5xx answer (PROTOCOL.md §3). */
export interface ConcurErrorBody {
  code: number;
  error: string;
  error_description: string;
  geolocation?: string;
}
