/**
 * Token introspection (RFC 7662), a Tessera extension (SAP Concur documents none): a resource
 * server of its own authenticates as an app with client credentials, exactly as at the token
 * endpoint (body or HTTP Basic, the same failure budgets), and asks whether an access token is
 * active now: signed here, not expired, and its app, secret, connection, user and company still
 * standing (read now, not from the status cache). An app sees only tokens issued to apps of its
 * own company; any other token, and anything that is not an access token, is `{"active": false}`.
 */
import { authenticateClient } from './client-auth.js';
import type { Core, RequestMeta } from './context.js';
import { ConcurError } from './errors.js';
import { failureKindOf, type Attempt } from './protection.js';
import { authenticateAccessToken } from './token-standing.js';
import { invalidField } from './validation.js';
import type { App } from './model.js';

export interface IntrospectionRequest {
  params: Record<string, string>;
  authorization: string | undefined;
  meta: RequestMeta;
}

/** RFC 7662 §2.2: `active`, and for an active token what it is. */
export type Introspection = { active: false } | {
  active: true;
  scope: string;
  client_id: string;
  token_type: 'Bearer';
  sub: string;
  iss: string;
  aud: string;
  exp: number;
  iat: number;
  nbf: number;
  jti?: string;
  'concur.type': string;
  'concur.company'?: string;
};

const inactive = (): Introspection => ({ active: false });

/** The app behind the client credentials of the request: 61/64 (budgeted like the token endpoint), 59 when disabled. */
async function authenticateCaller(core: Core, request: IntrospectionRequest): Promise<App> {
  const attempt: Attempt = { door: 'token', clientId: undefined, loginId: undefined, address: request.meta.ip, correlationId: request.meta.correlationId };
  try {
    return (await authenticateClient(core, request, attempt)).client.app;
  } catch (error) {
    const failure = error instanceof ConcurError ? failureKindOf(error) : undefined;
    if (failure) await core.protection.recordFailure(attempt, failure);
    throw error;
  }
}

/** Answers RFC 7662's introspection response for `params.token`. */
export async function introspect(core: Core, request: IntrospectionRequest): Promise<Introspection> {
  const caller = await authenticateCaller(core, request);
  const token = request.params.token;
  if (!token) throw invalidField('token', 'is required');
  let access;
  try {
    access = await authenticateAccessToken(core, token, { fresh: true });
  } catch (error) {
    if (error instanceof ConcurError) return inactive();
    throw error;
  }
  const tokenApp = access.clientId === caller.id ? caller : await core.store.apps.get(access.clientId);
  if (!tokenApp || tokenApp.companyId !== caller.companyId) return inactive();
  const { claims, principal } = access;
  return {
    active: true, scope: access.scopes.join(' '), client_id: access.clientId, token_type: 'Bearer', sub: principal.id,
    iss: String(claims.iss), aud: String(claims.aud), exp: Number(claims.exp), iat: Number(claims.iat), nbf: Number(claims.nbf),
    ...(typeof claims.jti === 'string' ? { jti: claims.jti } : {}),
    'concur.type': principal.type,
    ...(principal.companyId ? { 'concur.company': principal.companyId } : {}),
  };
}
