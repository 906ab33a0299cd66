/**
 * One-time passwords by email (docs/protocol.md §5, Decision 4 and Decision 16): `POST /oauth2/v0/otp`
 * mails a user an OTP for an app; `grant_type=otp` (grants/otp.ts) exchanges it once, within 15
 * minutes, for a user token. At most 5 are open per channel handle (82, kept atomically by the store).
 * The OTP is stored as a keyed digest with its app, user, folded handle and a keyed digest of the
 * client's extra parameters ("facts"), which the exchange must repeat exactly (84).
 */
import { Refusals } from 'tessera-protocol';
import { auditedAddress } from './audit.js';
import { authenticateClient } from './client-auth.js';
import type { Core, RequestMeta } from './context.js';
import { ConcurError } from './errors.js';
import { companyEnablesApp } from './grants/registry.js';
import type { MailMessage } from './mail.js';
import type { App, Company, User } from './model.js';
import { failureKindOf, type Attempt } from './protection.js';
import { constantTimeEqual, randomAlphanumeric } from './secrets.js';
import { isLocked } from './users.js';
import { foldEmail } from '../storage/login-ids.js';

/** Decision 4: an OTP works for 15 minutes, once; at most 5 are open per channel handle. */
export const OtpLifetimeMs = 15 * 60_000;
export const MaxOpenOtpsPerHandle = 5;

/**
 * Parameters that are not the client's facts: the credentials and channel (reserved at `/otp`)
 * and what `/token` reserves besides (docs/protocol.md §5). One set for both calls, so the same
 * request body minus `grant_type`, `otp` and `scope` always matches.
 */
const notFacts = new Set(['client_id', 'client_secret', 'channel_type', 'channel_handle', 'grant_type', 'otp', 'scope']);

/** Concur's OTP shape: `dd-` and 30 characters [a-z0-9] (~155 bits). */
export const newOtp = (): string => `dd-${randomAlphanumeric(30)}`;
const otpPattern = /^dd-[a-z0-9]{30}$/;

/** A plausible email address (code 81 otherwise): one `@`, no spaces or angle brackets, a dotted domain, at most 254 characters. */
const emailPattern = /^[^\s@<>()[\]",;:\\]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/** How many users one email may name before the lookup stops (emails are not unique; Decision 16). */
const usersPerEmail = 10;

/** The keyed digest of the client's facts: every parameter not in `notFacts`, sorted by name, as sent. */
export function factsDigest(core: Core, params: Readonly<Record<string, string | undefined>>): string {
  const facts = Object.entries(params)
    .filter((entry): entry is [string, string] => !notFacts.has(entry[0]) && entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return core.serverKeys.digest(`otp-facts:${JSON.stringify(facts)}`);
}

export interface OtpRequest {
  params: Record<string, string>;
  authorization: string | undefined;
  meta: RequestMeta;
}

/**
 * `POST /oauth2/v0/otp`: authenticates the client (61–64, 59; the token endpoint's limits and
 * budgets), checks the app may use the otp grant (60) and the channel (57, 80, 58, 81) and the
 * link, finds the user the app may serve by email, and mails the OTP. An email that names no such
 * user is answered the same 200 with nothing sent (Decision 16). Refused: nothing stored or sent.
 */
export async function requestOtp(core: Core, request: OtpRequest): Promise<void> {
  const { params, meta } = request;
  const attempt: Attempt = { door: 'token', clientId: undefined, address: meta.ip, correlationId: meta.correlationId };
  let app: App | undefined;
  try {
    ({ client: { app } } = await authenticateClient(core, request, attempt, (found) => { app = found; }));
    if (!app.grants.includes('otp')) throw new ConcurError(60);
    const channelType = params.channel_type;
    if (!channelType) throw new ConcurError(57);
    if (channelType !== 'email') throw new ConcurError(80);
    const handle = params.channel_handle;
    if (!handle) throw new ConcurError(58);
    if (handle.length > 254 || !emailPattern.test(handle.trim())) throw new ConcurError(81);
    const link = params.link === undefined || params.link === '' ? undefined : parseLink(params.link);

    const served = await servedUser(core, app, foldEmail(handle));
    if (!served) {
      core.audit.recordFromAddress(auditedAddress(meta.ip), {
        action: 'otp.not-sent', outcome: 'success', correlationId: meta.correlationId, appId: app.id, companyId: app.companyId,
        detail: { reason: 'no user of a company that enabled the app has this email', ip: auditedAddress(meta.ip) },
      });
      return;
    }
    const { user, company } = served;
    if (company.geolocation && company.geolocation !== core.geolocation()) {
      throw new ConcurError(16, { geolocation: company.geolocation, detail: 'user lives in another datacenter' });
    }
    await issueAndMail(core, app, user, { handle: foldEmail(handle), link, params, meta });
  } catch (error) {
    if (error instanceof ConcurError) {
      const failure = failureKindOf(error);
      if (failure) await core.protection.recordFailure(attempt, failure);
      recordOtpRefusal(core, error, meta, app);
    }
    throw error;
  }
}

const auditedRefusals = new WeakSet<ConcurError>();

/**
 * The refusal of an `/otp` request in the audit trail, once, bounded per address like the token
 * endpoint's. The route calls it too, for refusals before `requestOtp` runs (not a form, body too large).
 */
export function recordOtpRefusal(core: Core, error: ConcurError, meta: RequestMeta, app?: App): void {
  if (auditedRefusals.has(error)) return;
  auditedRefusals.add(error);
  if (error.code === 429) return;
  const ip = auditedAddress(meta.ip);
  core.audit.recordFromAddress(ip, {
    action: 'otp.refused', outcome: 'failure', correlationId: meta.correlationId, appId: app?.id ?? null,
    companyId: app?.companyId ?? null, code: error.code,
    detail: { ip, reason: error.status >= 500 ? 'internal error' : error.detail ?? error.description },
  });
}

/**
 * The one user with this (folded) email whose company is enabled, has enabled the app and lives
 * here or elsewhere, and who may sign in now (not disabled, not locked); undefined when none or
 * several (an ambiguous address gets no OTP).
 */
async function servedUser(core: Core, app: App, folded: string): Promise<{ user: User; company: Company } | undefined> {
  const now = core.clock.now();
  const served: { user: User; company: Company }[] = [];
  for (const user of await core.store.users.findByEmail(folded, usersPerEmail)) {
    if (user.status === 'disabled' || isLocked(user, now)) continue;
    if (!(await companyEnablesApp(core, app.id, user.companyId))) continue;
    const company = await core.store.companies.get(user.companyId);
    if (company?.enabled) served.push({ user, company });
  }
  return served.length === 1 ? served[0] : undefined;
}

/** `link` as sent, checked: an absolute http(s) URL (no `javascript:` or `data:` links in a mail). */
function parseLink(link: string): URL {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new ConcurError(Refusals.otpLinkInvalid);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || link.length > 2048) throw new ConcurError(Refusals.otpLinkInvalid);
  return url;
}

/**
 * Stores a new OTP (82 when the handle has its most open) and mails it. When the mail cannot be
 * sent, the OTP is deleted (nobody received it, and it must not count toward the 5) and the
 * client gets a 500 with no internals.
 */
async function issueAndMail(core: Core, app: App, user: User, input: { handle: string; link: URL | undefined; params: Record<string, string>; meta: RequestMeta }): Promise<void> {
  const value = newOtp();
  const digest = core.serverKeys.digest(value);
  const now = core.clock.now();
  const added = await core.store.otps.add({
    digest, appId: app.id, userId: user.id, companyId: user.companyId, handle: input.handle, factsDigest: factsDigest(core, input.params),
    createdAt: now, expiresAt: now + OtpLifetimeMs, usedAt: null,
  }, MaxOpenOtpsPerHandle, now);
  if (added === 'limit') throw new ConcurError(82, { detail: `${MaxOpenOtpsPerHandle} open one-time passwords for this address` });
  try {
    await core.mailer.send(otpMail(app, user, value, input.params, input.link));
  } catch (err) {
    await core.store.otps.delete(digest).catch((deleteError: unknown) => core.log.error({ err: deleteError }, 'could not withdraw an unsent one-time password'));
    // Only what the mail library says went wrong: never the message (it holds the OTP) or the SMTP URL (it may hold a password).
    const { code, responseCode, message } = (err ?? {}) as { code?: unknown; responseCode?: unknown; message?: unknown };
    core.log.error({ correlationId: input.meta.correlationId, mailer: core.mailer.kind, code, responseCode, reason: String(message ?? err).slice(0, 200) },
      'one-time password mail not sent');
    throw new ConcurError(500, { detail: 'mail not sent' });
  }
  core.audit.record({
    action: 'otp.sent', outcome: 'success', correlationId: input.meta.correlationId, appId: app.id, companyId: user.companyId,
    principalId: user.id, detail: { channel: 'email', mailer: core.mailer.kind, ip: auditedAddress(input.meta.ip) },
  });
}

/** One line of at most `max` characters, without control characters: what a client's text may add to a mail. */
const oneLine = (text: string, max: number): string =>
  text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').trim().slice(0, max);

/** The mail: to the user's own address, naming the app; the OTP, and the client's link with `token=<otp>`. */
export function otpMail(app: App, user: User, otp: string, params: Readonly<Record<string, string | undefined>>, link: URL | undefined): MailMessage {
  const appName = oneLine(app.name, 100);
  const name = oneLine(params.name ?? user.displayName ?? '', 100);
  const company = oneLine(params.company ?? '', 100);
  const lines = [
    name ? `Hello ${name},` : 'Hello,',
    '',
    `Here is your one-time password for ${appName}${company ? ` (${company})` : ''}:`,
    '',
    `    ${otp}`,
    '',
    'It works once, within 15 minutes.',
  ];
  if (link) {
    const withToken = new URL(link.href);
    // Any `token` the client's link carried is replaced, so the link holds exactly this OTP.
    withToken.searchParams.set('token', otp);
    lines.push('', `Or open this link to continue in ${appName}:`, withToken.href);
  }
  lines.push('', 'If you did not ask for it, you can ignore this mail.');
  return { companyId: user.companyId, to: user.email!, subject: `Your one-time password for ${appName}`, text: `${lines.join('\n')}\n` };
}

/**
 * The exchange (`grant_type=otp`): the OTP must be open, this app's, sent to `channelHandle`, with
 * the same facts; then it is used, once (exactly one of concurrent exchanges wins). Codes (Decision 16):
 * 83 an OTP unknown, used, expired or another app's (no oracle across apps); 85 sent to another
 * handle; 84 facts that differ; then, for the user: 10 disabled or locked, 11 company disabled, 53 app
 * no longer enabled, 16 another datacenter. Nothing changes on a refusal.
 */
export async function redeemOtp(core: Core, app: App, otp: string, channelHandle: string, params: Readonly<Record<string, string | undefined>>): Promise<{ user: User; company: Company }> {
  const now = core.clock.now();
  if (!otpPattern.test(otp)) throw new ConcurError(83, { detail: 'not an otp' });
  const digest = core.serverKeys.digest(otp);
  const found = await core.store.otps.find(digest);
  if (!found || found.usedAt !== null || found.expiresAt <= now || found.appId !== app.id) {
    throw new ConcurError(83, { detail: !found ? 'unknown otp' : found.appId !== app.id ? 'otp of another app' : found.usedAt !== null ? 'used otp' : 'expired otp' });
  }
  if (!constantTimeEqual(found.handle, foldEmail(channelHandle))) throw new ConcurError(85, { detail: 'otp sent to another channel handle' });
  if (!constantTimeEqual(found.factsDigest, factsDigest(core, params))) throw new ConcurError(84, { detail: 'parameters differ from the /otp request' });
  const user = await core.store.users.get(found.userId);
  if (!user || user.status === 'disabled' || isLocked(user, now)) throw new ConcurError(10);
  const company = await core.store.companies.get(user.companyId);
  if (!company?.enabled) throw new ConcurError(11);
  if (!(await companyEnablesApp(core, app.id, company.id))) throw new ConcurError(53);
  if (company.geolocation && company.geolocation !== core.geolocation()) {
    throw new ConcurError(16, { geolocation: company.geolocation, detail: 'user lives in another datacenter' });
  }
  if (!(await core.store.otps.consume(digest, now))) throw new ConcurError(83, { detail: 'otp used by a concurrent request' });
  return { user, company };
}
