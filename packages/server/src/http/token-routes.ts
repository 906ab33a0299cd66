/**
 * The public token surface: `/oauth2/v0/token`, `/oauth2/v0/jwks`, OIDC discovery (Decision 6),
 * and RFC 7662 introspection at `/oauth2/v0/introspect` (an extension).
 */
import type { FastifyInstance } from 'fastify';
import { KnownScopes, Paths, Refusals } from 'tessera-protocol';
import type { Core } from '../core/context.js';
import { ConcurError } from '../core/errors.js';
import { introspect } from '../core/introspection.js';
import { UserInfoClaimNames } from '../core/userinfo.js';
import type { TokenEndpoint } from '../core/token-endpoint.js';
import { isClientAbort, toConcurError } from './errors.js';
import { formBody } from './form.js';

/** Names that must never travel in a query string (docs/protocol.md §2: such requests are refused). */
const credentialNames = ['client_id', 'client_secret', 'password', 'refresh_token', 'username', 'code', 'otp', 'grant_type'];

export function registerTokenRoutes(app: FastifyInstance, core: Core, endpoint: TokenEndpoint): void {
  app.post(Paths.token, {
    // Refusals before the endpoint runs (media type, body size, query string) are audited too.
    // A client that closed its connection mid-request was not refused: nothing to audit.
    onError: (request, _reply, error, done) => {
      if (!isClientAbort(request)) endpoint.recordRefusal(toConcurError(error), { correlationId: request.id, ip: request.ip });
      done();
    },
  }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    if (credentialNames.some((name) => name in query)) {
      throw new ConcurError(Refusals.credentialsInQuery);
    }
    const params = formBody(request);
    const response = await endpoint.handle({
      params, authorization: request.headers.authorization, meta: { correlationId: request.id, ip: request.ip },
    });
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
  });

  app.post(Paths.introspect, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    if ([...credentialNames, 'token'].some((name) => name in query)) {
      throw new ConcurError(Refusals.credentialsOrTokenInQuery);
    }
    const answer = await introspect(core, {
      params: formBody(request), authorization: request.headers.authorization, meta: { correlationId: request.id, ip: request.ip },
    });
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(answer);
  });

  // Decision 9: verifiers may cache the key set for jwksMaxAgeSeconds; a new key is published
  // longer than that before it signs, so a cached copy never misses a key in use.
  const cacheControl = `public, max-age=${core.settings.jwksMaxAgeSeconds}`;
  app.get(Paths.jwks, async (request, reply) => {
    const { body, etag } = core.keys.jwksDocument();
    void reply.header('cache-control', cacheControl).header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(body);
  });

  // Decision 6, a Tessera extension. It names only endpoints and flows that exist: the
  // authorization endpoint answers `response_type=code` with PKCE S256 (docs/protocol.md §4), and
  // public apps authenticate at the token endpoint with their client id alone ("none").
  app.get(Paths.discovery, async (_request, reply) => {
    const issuer = core.geolocation();
    return reply.header('cache-control', cacheControl).send({
      issuer,
      token_endpoint: `${issuer}${Paths.token}`,
      jwks_uri: `${issuer}${Paths.jwks}`,
      authorization_endpoint: `${issuer}${Paths.authorize}`,
      introspection_endpoint: `${issuer}${Paths.introspect}`,
      introspection_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      userinfo_endpoint: `${issuer}${Paths.userinfo}`,
      grant_types_supported: endpoint.grants.grantTypes,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'none'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      prompt_values_supported: ['none', 'login', 'consent'],
      display_values_supported: ['page', 'popup', 'touch', 'wap'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [core.keys.alg],
      scopes_supported: [...KnownScopes],
      claims_supported: [...new Set(['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'concur.type', 'concur.profile', 'concur.version', ...UserInfoClaimNames])],
      'x-tessera-extension': 'OIDC discovery and userinfo are Tessera extensions; SAP Concur documents neither.',
    });
  });
}
