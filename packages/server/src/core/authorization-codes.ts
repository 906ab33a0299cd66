/**
 * Authorization codes (docs/protocol.md §4, Decision 4): issued by `/oauth2/v0/authorize` after
 * sign-in and consent, kept only as keyed digests, single use, 10 minutes, bound to the app, the
 * redirect URI and (when sent) a PKCE S256 challenge. A code presented a second time is refused
 * and the connection made with it is revoked (RFC 6749 §4.1.2), also when the replay comes
 * while the first exchange is still opening that connection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Refusals } from 'tessera-protocol';
import type { Core } from './context.js';
import { openConnection } from './connections.js';
import { ConcurError } from './errors.js';
import type { RedeemedCode } from './grants/grant.js';
import { assertCompanyEnabledApp } from './grants/registry.js';
import { constantTimeEqual } from './secrets.js';
import type { App, AuthorizationCode, Company } from './model.js';

/** Decision 4: a code lives 10 minutes. */
export const CodeLifetimeMs = 10 * 60 * 1000;

/** A PKCE code verifier (RFC 7636 §4.1): 43 to 128 unreserved characters. */
const verifierPattern = /^[A-Za-z0-9._~-]{43,128}$/;

/** The store digest of a code: a digest of its own kind, so no other secret's digest can collide with it. */
const codeDigest = (core: Core, code: string): string => core.serverKeys.digest(`authorization-code:${code}`);

/** The S256 challenge of a verifier (RFC 7636 §4.2). */
export const s256 = (verifier: string): string => createHash('sha256').update(verifier, 'ascii').digest('base64url');

export interface NewCode {
  app: App;
  userId: string;
  companyId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | undefined;
  nonce: string | undefined;
}

/** Stores a new code and answers its value (the only time it is seen in clear). */
export async function issueAuthorizationCode(core: Core, input: NewCode): Promise<string> {
  const value = randomBytes(32).toString('base64url');
  const now = core.clock.now();
  const code: AuthorizationCode = {
    digest: codeDigest(core, value), appId: input.app.id, userId: input.userId, companyId: input.companyId,
    redirectUri: input.redirectUri, scopes: input.scopes, codeChallenge: input.codeChallenge ?? null, nonce: input.nonce ?? null,
    createdAt: now, expiresAt: now + CodeLifetimeMs, usedAt: null, replayedAt: null, connectionId: null,
  };
  await core.store.authorizations.createCode(code);
  return value;
}

export interface CodeExchange {
  code: string;
  redirectUri: string;
  codeVerifier: string | undefined;
}

/** Revokes the connection a replayed code made, audited; then refuses the replay (103). */
async function refuseReplay(core: Core, code: AuthorizationCode, correlationId: string): Promise<never> {
  if (code.connectionId && (await core.store.connections.revoke(code.connectionId, core.clock.now()))) {
    core.audit.record({
      action: 'connection.revoked', outcome: 'success', correlationId, appId: code.appId, companyId: code.companyId,
      principalId: code.userId, detail: { reason: 'authorization code used a second time', connectionId: code.connectionId },
    });
  }
  throw new ConcurError(Refusals.codeReplayed);
}

/**
 * 103 unless the verifier matches the code's challenge; a verifier without a challenge is refused
 * too (no downgrade), and so is a public app's code without one (it may have become public since).
 */
function checkPkce(app: App, code: AuthorizationCode, verifier: string | undefined): void {
  if (code.codeChallenge === null) {
    if (app.clientType === 'public') throw new ConcurError(Refusals.codeVerifierMissing);
    if (verifier !== undefined) throw new ConcurError(Refusals.codeVerifierUnexpected);
    return;
  }
  if (verifier === undefined) throw new ConcurError(Refusals.codeVerifierMissing);
  if (!verifierPattern.test(verifier) || !constantTimeEqual(s256(verifier), code.codeChallenge)) {
    throw new ConcurError(Refusals.codeVerifierMismatch);
  }
}

/**
 * The authorization_code grant's rules, in order: a known code (103), not used before (103, and
 * its connection revoked), not expired (103), of this app (105), for this redirect URI (104),
 * with a matching PKCE verifier (103); then the code is used (atomically: of concurrent
 * exchanges one wins, the others are replays), the user's consent must still stand (103), the
 * user and company too (53, 123), and the user's connection opens.
 */
export async function redeemAuthorizationCode(core: Core, app: App, exchange: CodeExchange, correlationId: string): Promise<RedeemedCode> {
  const digest = codeDigest(core, exchange.code);
  const found = await core.store.authorizations.getCode(digest);
  if (!found) throw new ConcurError(103, { detail: 'unknown code' });
  if (found.usedAt !== null) {
    const again = await core.store.authorizations.useCode(digest, core.clock.now());
    return refuseReplay(core, again?.code ?? found, correlationId);
  }
  if (found.expiresAt <= core.clock.now()) throw new ConcurError(103, { detail: 'code expired' });
  if (found.appId !== app.id) throw new ConcurError(105);
  if (found.redirectUri !== exchange.redirectUri) throw new ConcurError(104);
  checkPkce(app, found, exchange.codeVerifier);

  const use = await core.store.authorizations.useCode(digest, core.clock.now());
  if (!use) throw new ConcurError(103, { detail: 'unknown code' });
  if (!use.firstUse) return refuseReplay(core, use.code, correlationId);

  // The user may have withdrawn the app on "My connected apps" since the code was issued (docs/protocol.md §4).
  const consent = await core.store.authorizations.getConsent(found.userId, app.id);
  if (!consent || found.scopes.some((scope) => !consent.scopes.includes(scope))) throw new ConcurError(103, { detail: 'consent withdrawn' });
  await assertCompanyEnabledApp(core, app.id, found.companyId);
  const user = await core.store.users.get(found.userId);
  if (!user || user.status === 'disabled' || user.companyId !== found.companyId) throw new ConcurError(123);
  const company: Company | undefined = await core.store.companies.get(found.companyId);
  if (!company?.enabled) throw new ConcurError(123);

  const opened = await openConnection(core, {
    appId: app.id, principalType: 'user', principalId: user.id, companyId: company.id, scopes: found.scopes,
  });
  if (await core.store.authorizations.linkCodeConnection(digest, opened.connection.id)) {
    // Replayed while this exchange opened the connection: it is revoked before anyone sees it.
    return refuseReplay(core, { ...found, connectionId: opened.connection.id }, correlationId);
  }
  return { ...opened, scopes: found.scopes, company, nonce: found.nonce };
}
