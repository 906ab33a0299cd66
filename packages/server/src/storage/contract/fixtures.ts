/**
 * Records for the storage contract suite (docs/architecture.md "Storage"): complete, valid rows with
 * every field set, so a round trip that drops or mangles a field fails.
 */
import { randomUUID } from 'node:crypto';
import type {
  AdminSession, App, AppSecret, AuthorizationCode, Consent, AuditEvent, Company, Connection, RefreshToken, RequestToken, SigningKey, Store, User,
} from '../types.js';

/** 2030-01-01T00:00:00Z: well past 2^31 ms, so a backend that truncates times to 32 bits fails. */
export const T0 = Date.UTC(2030, 0, 1);
export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;

/** Decision 5's secret limits, as core passes them. */
export const limits = { maxSecrets: 5, maxActive: 2 };

/** Answers the open store of the running test. */
export type StoreOf = () => Store;

export const aCompany = (over: Partial<Company> = {}): Company => ({
  id: randomUUID(), name: 'Acme Travel', geolocation: 'https://us2.api.concursolutions.com', domain: 'acme.example',
  enabled: true, createdAt: T0, ...over,
});

export const aUser = (companyId: string, over: Partial<User> = {}): User => ({
  id: randomUUID(), companyId, loginId: `user-${randomUUID()}@acme.example`, email: 'someone@acme.example',
  displayName: 'Some One', passwordHash: 'scrypt$16384$8$1$salt$hash', roles: ['Web Services Administrator', 'Auditor'],
  status: 'active', failedLogins: 0, lockedUntil: null, createdAt: T0, updatedAt: T0 + 1, ...over,
});

export const anApp = (companyId: string, over: Partial<App> = {}): App => ({
  id: randomUUID(), companyId, name: 'Expense Sync', description: 'pulls expense reports', stage: 'production',
  appType: 'ws-client', clientType: 'confidential', grants: ['password', 'refresh_token'], scopes: ['openid', 'user.read', 'company.read'],
  redirectUris: ['https://app.example/callback', 'http://localhost:3000/cb'], enabled: true, listed: false, connectUrl: null,
  createdAt: T0, updatedAt: T0 + 1, lastUsedAt: null, ...over,
});

export const aSecret = (appId: string, over: Partial<AppSecret> = {}): AppSecret => ({
  id: randomUUID(), appId, digest: `digest-${randomUUID()}`, status: 'active', createdAt: T0, updatedAt: T0, ...over,
});

export const aRequestToken = (appId: string, companyId: string, over: Partial<RequestToken> = {}): RequestToken => ({
  digest: `rq-${randomUUID()}`, appId, companyId, uses: 0, maxUses: 5, expiresAt: T0 + DAY, createdAt: T0,
  connectionId: null, ...over,
});

export const aConnection = (appId: string, companyId: string, over: Partial<Connection> = {}): Connection => ({
  id: randomUUID(), appId, principalType: 'user', principalId: randomUUID(), companyId,
  scopes: ['openid', 'user.read'], refreshExpiresAt: T0 + 180 * DAY, createdAt: T0, lastUsedAt: T0, revokedAt: null,
  ...over,
});

export const aRefreshToken = (connectionId: string, over: Partial<RefreshToken> = {}): RefreshToken => ({
  digest: `rt-${randomUUID()}`, connectionId, createdAt: T0, supersededAt: null, ...over,
});

export const aKey = (over: Partial<SigningKey> = {}): SigningKey => ({
  kid: randomUUID(), alg: 'RS256',
  publicJwk: { kty: 'RSA', n: 'sXch', e: 'AQAB', use: 'sig', key_ops: ['verify'], ext: true },
  privateKeyEnc: 'bm90LXJlYWxseS1lbmNyeXB0ZWQ', createdAt: T0, activatesAt: T0 + MINUTE, retiredAt: null, expiresAt: null,
  ...over,
});

export const anEvent = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  at: T0, action: 'token.issued', outcome: 'success', correlationId: randomUUID(), actorType: 'app',
  actorId: randomUUID(), appId: randomUUID(), companyId: randomUUID(), principalId: randomUUID(), code: null,
  detail: { grantType: 'password', scopes: ['openid'], nested: { retries: 2, ok: true, none: null } }, ...over,
});

/** A company with one app of its own: what request tokens, secrets and connections hang off. */
export async function seedApp(store: Store): Promise<{ company: Company; app: App }> {
  const company = aCompany();
  const app = anApp(company.id);
  await store.companies.create(company);
  await store.apps.create(app);
  return { company, app };
}


export const aSession = (userId: string, companyId: string, over: Partial<AdminSession> = {}): AdminSession => ({
  digest: `session-${randomUUID()}`, userId, companyId, createdAt: T0, lastSeenAt: T0, expiresAt: T0 + DAY, ...over,
});

/** A company with one user: what admin console sessions hang off. */
export async function seedUser(store: Store): Promise<User> {
  const company = aCompany();
  const user = aUser(company.id);
  await store.companies.create(company);
  await store.users.create(user);
  return user;
}

export const aCode = (appId: string, userId: string, companyId: string, over: Partial<AuthorizationCode> = {}): AuthorizationCode => ({
  digest: `code-${randomUUID()}`, appId, userId, companyId, redirectUri: 'https://app.example/callback',
  scopes: ['openid', 'user.read'], codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', nonce: 'n-0S6_WzA2Mj',
  createdAt: T0, expiresAt: T0 + 10 * MINUTE, usedAt: null, replayedAt: null, connectionId: null, ...over,
});

export const aConsent = (userId: string, appId: string, over: Partial<Consent> = {}): Consent => ({
  userId, appId, scopes: ['openid', 'user.read'], createdAt: T0, updatedAt: T0 + 1, ...over,
});
