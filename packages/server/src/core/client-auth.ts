/**
 * Client authentication (RFC 6749 §2.3.1): `client_id` and `client_secret` from the form body
 * or from HTTP Basic, never both. The secret is compared by keyed digest, in constant time,
 * against every active secret of the app (several may be active during a rotation); one presented
 * again to the same cached app, by a salted fingerprint of it (`verifyClientSecret`).
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Refusals, UuidPattern } from 'tessera-protocol';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import { assertAppActive } from './inactivity.js';
import type { Attempt } from './protection.js';
import { constantTimeEqual } from './secrets.js';
import type { ActiveSecret, App } from './model.js';

/** An app as client authentication sees it: the app and the ids and digests of its active secrets. */
export interface Client {
  app: App;
  activeSecrets: ActiveSecret[];
}

export interface ClientCredentials {
  clientId: string | undefined;
  clientSecret: string | undefined;
}

/**
 * A client that chose HTTP Basic but sent a header that is not `Basic base64(id:secret)` failed
 * to authenticate (RFC 6749 §5.2: invalid_client, 401 with WWW-Authenticate), whatever the body says.
 */
const malformedBasic = () => new ConcurError(Refusals.malformedBasic);

/** Reads credentials from the body and the Authorization header; 135 when both carry them. */
export function readClientCredentials(body: Record<string, string>, authorization: string | undefined): ClientCredentials {
  if (!authorization || !/^Basic(\s|$)/i.test(authorization)) return { clientId: body.client_id, clientSecret: body.client_secret };
  const basic = authorization.match(/^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i);
  if (!basic) throw malformedBasic();
  if (body.client_secret !== undefined) {
    throw new ConcurError(Refusals.credentialsSentTwice);
  }
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw malformedBasic();
  // RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      throw malformedBasic();
    }
  };
  const clientId = decode(decoded.slice(0, colon));
  const clientSecret = decode(decoded.slice(colon + 1));
  if (!clientId || !clientSecret) throw malformedBasic();
  // Client ids are UUIDs, matched case-insensitively everywhere else too.
  if (body.client_id !== undefined && body.client_id.toLowerCase() !== clientId.toLowerCase()) {
    throw new ConcurError(Refusals.clientIdMismatch);
  }
  return { clientId, clientSecret };
}

/**
 * The app the credentials name, with its active secret digests: 62/63 when a field is missing, 61
 * when no app has the client id. With `secretOptional` a missing secret is left to the caller
 * (a public app's request, docs/protocol.md Decision 14).
 */
export async function findClient(core: Core, credentials: ClientCredentials, secretOptional = false): Promise<Client> {
  const { clientId, clientSecret } = credentials;
  if (!clientId) throw new ConcurError(62);
  if (!clientSecret && !secretOptional) throw new ConcurError(63);
  const client = UuidPattern.test(clientId) ? await core.store.apps.getClient(clientId.toLowerCase()) : undefined;
  if (!client) throw new ConcurError(61);
  return client;
}

/**
 * Secrets already verified against a client object, by fingerprint: SHA-256 under a salt made at
 * start and kept nowhere else, so a secret presented again costs one plain hash instead of the
 * HMAC (Node's Hmac object costs several times a one-shot hash). Held on the client object the
 * client cache answers (storage/client-cache.ts) through a WeakMap, so they are forgotten exactly
 * when the cache drops that client: a secret set inactive through this node stops working at once,
 * through another within the cache's staleness, as before (docs/protocol.md Decision 11). Without
 * the cache every read is a new object and nothing is ever found here. Only secrets that verified
 * are added, one fingerprint per secret id, never a secret in clear; all are compared, in constant time.
 */
const fingerprintSalt = randomBytes(32).toString('base64');
const verified = new WeakMap<Client, { fingerprint: Buffer; secretId: string }[]>();

/**
 * 64 unless `clientSecret` matches one of the app's active secrets (compared as digests, in
 * constant time); answers the id of the secret that matched (app tokens record it).
 */
export function verifyClientSecret(core: Core, client: Client, clientSecret: string): string {
  const fingerprint = hash('sha256', fingerprintSalt + clientSecret, 'buffer');
  const known = verified.get(client);
  let matched: string | undefined;
  if (known) {
    for (const entry of known) {
      if (timingSafeEqual(fingerprint, entry.fingerprint)) matched = entry.secretId;
    }
    if (matched !== undefined) return matched;
  }
  const presented = core.serverKeys.digest(clientSecret);
  for (const { id, digest } of client.activeSecrets) {
    if (constantTimeEqual(presented, digest)) matched = id;
  }
  if (matched === undefined) throw new ConcurError(64);
  const secretId = matched;
  verified.set(client, [...(known ?? []).filter((entry) => entry.secretId !== secretId), { fingerprint, secretId }]);
  return matched;
}

/**
 * Client authentication with its protections, the one way the token endpoint and introspection
 * authenticate a client: the address's limits first; the credentials (a malformed Basic header is
 * a failed authentication, code 64); the app (61); then the client's own limits and budgets, keyed
 * by the app only now that it is known (`attempt.clientId` is set to it; made-up client ids get no
 * counters); the secret (64); the app's standing (59). Answers the client and the id of the secret
 * that matched. `onApp` hears the app as soon as it is known (a wrong secret is audited under it).
 * The caller counts a refusal with `failureKindOf` / `Protection.recordFailure` on `attempt`.
 * With `publicGrant` (a grant public apps may use with their client id alone), a public app that
 * sends no secret is authenticated by its client id only and `secretId` is undefined; any other
 * app still needs its secret (63).
 */
export async function authenticateClient(
  core: Core,
  request: { params: Record<string, string>; authorization: string | undefined },
  attempt: Attempt,
  onApp?: (app: App) => void,
  publicGrant = false,
): Promise<{ client: Client; secretId: string | undefined }> {
  await core.protection.admitAddress(attempt);
  const credentials = readClientCredentials(request.params, request.authorization);
  const client = await findClient(core, credentials, publicGrant);
  onApp?.(client.app);
  attempt.clientId = client.app.id;
  await core.protection.admit(attempt);
  let secretId: string | undefined;
  if (credentials.clientSecret) secretId = verifyClientSecret(core, client, credentials.clientSecret);
  else if (client.app.clientType !== 'public') throw new ConcurError(63);
  await assertAppActive(core, client.app, attempt.correlationId);
  return { client, secretId };
}
