/**
 * The error table against SAP Concur's published "Response Codes" tables (Authentication API
 * reference, developer.concur.com/api-reference/authentication/apidoc.html, `/token` and `/otp`):
 * every code Concur lists has Concur's `error` and `error_description`; the HTTP status follows
 * Decision 2 of docs/protocol.md.
 */
import { describe, expect, it } from 'vitest';
import { ConcurCodes, describeErrorCode, ErrorCodes, isConcurCode, Refusals } from '../src/errors.js';

/** Concur's published rows (code, error, description), as the page writes them less its Markdown quoting. */
const published: ReadonlyArray<[number, string, string]> = [
  [5, 'invalid_grant', 'Incorrect credentials. Please Retry'],
  [10, 'invalid_grant', 'Account is disabled. Please contact support'],
  [11, 'invalid_grant', 'Account is disabled. Please contact support'],
  [12, 'invalid_grant', 'Logon Denied. Please contact support'],
  [13, 'invalid_grant', 'Logon Denied. Please contact support'],
  [14, 'invalid_grant', 'Account Locked. Please contact support'],
  [16, 'invalid_request', 'user lives elsewhere'],
  [19, 'invalid_grant', 'Incorrect credentials. Please Retry'],
  [20, 'invalid_grant', 'Logon Denied. Please contact support'], // "(typically due to IP restriction)" is the page's note
  [51, 'invalid_request', 'username was not supplied'],
  [52, 'invalid_request', 'password was not supplied'],
  [53, 'invalid_client', 'company is not enabled for this client'],
  [54, 'invalid_scope', 'requested scope exceeds granted scope'],
  [55, 'invalid_request', "we don't know this email"],
  [56, 'invalid_request', 'otp was not supplied'],
  [57, 'invalid_request', 'channel_type was not supplied'], // the /otp table's words; the /token table says "channel_type missing"
  [58, 'invalid_request', 'channel_handle was not supplied'], // likewise
  [59, 'access_denied', 'client disabled'],
  [60, 'invalid_grant', 'these are not the grants you are looking for'],
  [61, 'invalid_client', 'client not found'],
  [62, 'invalid_request', 'client_id was not supplied'],
  [63, 'invalid_request', 'client_secret was not supplied'],
  [64, 'invalid_client', 'Incorrect credentials. Please Retry'],
  [65, 'invalid_request', 'grant_type was not supplied'],
  [80, 'invalid_request', 'invalid channel type'],
  [81, 'invalid_request', 'bad channel handle'],
  [82, 'invalid_request', 'the number of open otp requests has been exceeded'],
  [83, 'invalid_request', 'otp not found'],
  [84, 'invalid_request', 'fact verification failed'],
  [85, 'invalid_request', 'otp verification failed'],
  [100, 'invalid_request', 'backend does not know about this username'],
  [101, 'invalid_request', 'code was not supplied'],
  [102, 'invalid_request', 'redirect_uri was not supplied'],
  [103, 'invalid_request', 'code is bad or expired'],
  [104, 'invalid_grant', 'redirect_uri does not match the previous grant'],
  [105, 'invalid_grant', 'this grant was not issued to you!'],
  [106, 'invalid_request', 'refresh_token was not supplied'],
  [107, 'invalid_request', 'refresh disallowed for app'],
  [108, 'invalid_grant', 'bad or expired refresh token'],
  [109, 'invalid_request', 'loginid was not supplied'],
  [115, 'invalid_request', 'unauthenticated client will not be issued token!'],
  [117, 'invalid_request', 'nonce is mandatory for this response_type'],
  [118, 'invalid_request', 'display is invalid'],
  [119, 'invalid_request', 'prompt is invalid'], // also "prompt must be set to consent for offline_access"
  [120, 'invalid_request', 'credtype is invalid'],
  [121, 'invalid_request', 'login_type is invalid'],
  [122, 'invalid_request', 'proxies supplied are invalid'],
  [123, 'invalid_request', 'principal is disabled'],
];

/** Decision 2: the status follows `error`, except the codes it names (53, 123: 403). */
function decidedStatus(code: number, error: string): number {
  if (code === 53 || code === 123 || error === 'access_denied') return 403;
  if (error === 'invalid_client') return 401;
  return 400;
}

describe("the error table matches Concur's published Response Codes", () => {
  it.each(published)('code %i: %s, "%s"', (code, error, description) => {
    const row = describeErrorCode(code);
    expect(row).toBeDefined();
    expect({ error: row!.error, description: row!.description }).toEqual({ error, description });
    expect(row!.status).toBe(decidedStatus(code, error));
  });

  it('107 and 123 are invalid_request, as Concur publishes them', () => {
    expect(ErrorCodes.get(107)).toMatchObject({ error: 'invalid_request', status: 400, description: 'refresh disallowed for app' });
    expect(ErrorCodes.get(123)).toMatchObject({ error: 'invalid_request', status: 403, description: 'principal is disabled' });
  });
});

describe('the table is the one source of codes and descriptions', () => {
  it('names each code once', () => {
    expect(new Set(Object.values(ConcurCodes)).size).toBe(ErrorCodes.size);
    expect(ConcurCodes.BadRequestToken).toBe(136);
    expect(isConcurCode(136)).toBe(true);
    expect(isConcurCode(801)).toBe(false);
  });

  it('each refusal answers a code of the table and says more than its row', () => {
    for (const [name, refusal] of Object.entries(Refusals)) {
      if (typeof refusal === 'function') continue;
      expect(isConcurCode(refusal.code), name).toBe(true);
      expect(refusal.description, name).not.toBe(describeErrorCode(refusal.code).description);
    }
  });
});
