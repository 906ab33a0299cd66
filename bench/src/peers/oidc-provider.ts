/**
 * The peer: oidc-provider (the reference OAuth 2.0 / OIDC server for Node), configured as its
 * documentation recommends for production, minus what a benchmark cannot have (a durable
 * adapter): an in-memory adapter, cookie keys set, development interactions off, NODE_ENV
 * production (set by the orchestrator). Parity with Tessera:
 *
 * - one signing key of the same algorithm (RS256 2048-bit or ES256 P-256) for id tokens and
 *   JWT access tokens;
 * - client authentication `client_secret_post`;
 * - JWT access tokens through resource indicators (`accessTokenFormat: 'jwt'`, a default
 *   resource), as Tessera's access tokens are JWTs;
 * - refresh tokens with `openid` in scope, so a refresh answers an access token *and* an
 *   id token (two signatures), as Tessera's refresh does; `rotateRefreshToken` true or false to
 *   match Tessera's rotating or stable mode.
 *
 * Refresh tokens are seeded through the provider's own models (Grant + RefreshToken, saved via
 * the adapter) after it listens; the orchestrator waits for the `ready` message.
 * Configuration comes from the BENCH_TARGET environment variable (JSON).
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import { createMapAdapter } from './map-adapter.js';

interface PeerConfig {
  port: number;
  alg: 'RS256' | 'ES256';
  rotate: boolean;
  refreshTokens: number;
}

const config = JSON.parse(process.env.BENCH_TARGET ?? '{}') as PeerConfig;
const issuer = `http://127.0.0.1:${config.port}`;
const resource = 'urn:tessera-bench:api';
const client = { id: randomUUID(), secret: randomUUID() };

const { privateKey } = config.alg === 'RS256'
  ? generateKeyPairSync('rsa', { modulusLength: 2048 })
  : generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-1', alg: config.alg, use: 'sig' };

const configuration: Configuration = {
  adapter: createMapAdapter(),
  clients: [{
    client_id: client.id,
    client_secret: client.secret,
    grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
    response_types: ['code'],
    redirect_uris: ['https://client.example/cb'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: config.alg,
    scope: 'openid offline_access api:read',
  }],
  jwks: { keys: [jwk as never] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', 'api:read'],
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  rotateRefreshToken: config.rotate,
  ttl: { AccessToken: 3600, ClientCredentials: 3600, IdToken: 3600, RefreshToken: 180 * 24 * 3600, Grant: 180 * 24 * 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: 'api:read', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: config.alg } },
      }),
    },
  },
};

const provider = new Provider(issuer, configuration);

/** A grant and a refresh token as an authorization_code flow would have left them. */
async function seedRefreshToken(): Promise<string> {
  const accountId = randomUUID();
  const grant = new provider.Grant({ accountId, clientId: client.id });
  grant.addOIDCScope('openid offline_access');
  grant.addResourceScope(resource, 'api:read');
  const grantId = await grant.save();
  const found = await provider.Client.find(client.id);
  const token = new provider.RefreshToken({
    client: found!, accountId, grantId, gty: 'authorization_code', scope: 'openid offline_access api:read',
    resource, authTime: Math.floor(Date.now() / 1000), expiresWithSession: false,
  });
  return token.save();
}

const server = provider.listen(config.port, '127.0.0.1');
server.on('listening', async () => {
  const refreshTokens: string[] = [];
  for (let i = 0; i < config.refreshTokens; i++) refreshTokens.push(await seedRefreshToken());
  process.send!({ ready: true, port: (server.address() as AddressInfo).port, fixtures: { client, refreshTokens, resource } });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
