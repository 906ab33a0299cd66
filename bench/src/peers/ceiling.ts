/**
 * Ceilings: bare node:http servers that do only the unavoidable part of a request, to show how
 * close Tessera gets to the limit of the machine, measured in the same run.
 *
 * - `json`: answers a fixed JSON body (HTTP alone: the limit for JWKS).
 * - `sign`: reads the form body and signs `signatures` JWTs per request with node:crypto
 *   (the same algorithm, key size and a claim set the size of Tessera's), answering them as JSON
 *   (the limit for client_credentials with 1, for refresh and authtoken grants with 2).
 * - `verify`: verifies a Bearer JWT with node:crypto (signature, `alg`, `kid`, `iss`, `exp`) and
 *   answers a small JSON body (the limit for a protected API call).
 *
 * No store, no client authentication, no logging, no framework. Configuration comes from the
 * BENCH_TARGET environment variable (JSON).
 */
import { createHash, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface CeilingConfig {
  port: number;
  kind: 'json' | 'sign' | 'verify';
  alg: 'RS256' | 'ES256';
  signatures: number;
}

const config = JSON.parse(process.env.BENCH_TARGET ?? '{}') as CeilingConfig;
const issuer = `http://127.0.0.1:${config.port}`;

const { privateKey, publicKey } = config.alg === 'RS256'
  ? generateKeyPairSync('rsa', { modulusLength: 2048 })
  : generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = 'ceiling-1';
const header = Buffer.from(JSON.stringify({ alg: config.alg, typ: 'JWT', kid })).toString('base64url');

function signJwt(claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = config.alg === 'RS256'
    ? sign('sha256', Buffer.from(input), key)
    : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** A claim set of the size and shape Tessera signs. */
function claims(): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  const sub = randomUUID();
  return {
    aud: '*', sub, iss: issuer, exp: iat + 3600, nbf: iat, iat, jti: randomUUID(), 'concur.version': 2,
    'concur.type': 'company', 'concur.app': `${issuer}/profile/v1/apps/${sub}`, 'concur.profile': `${issuer}/profile/v1/principals/${sub}`,
    'concur.scopes': ['openid', 'company.read', 'user.read', 'identity.user.core.read'], 'concur.company': sub,
  };
}

const fixed = Buffer.from(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: config.alg, use: 'sig' }] }));

function verifyJwt(token: string): Record<string, unknown> | undefined {
  const [h, p, s, extra] = token.split('.');
  if (!h || !p || !s || extra !== undefined) return undefined;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string; kid?: string };
  if (header.alg !== config.alg || header.kid !== kid) return undefined;
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const ok = config.alg === 'RS256' ? verify('sha256', data, publicKey, signature) : verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  if (!ok) return undefined;
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  return payload.iss === issuer && typeof payload.exp === 'number' && payload.exp > Date.now() / 1000 ? payload : undefined;
}

function answer(res: http.ServerResponse, body: Buffer | string, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url === '/healthz') return answer(res, '{"status":"ok"}');
    if (config.kind === 'json') return answer(res, fixed);
    if (config.kind === 'sign') {
      new URLSearchParams(Buffer.concat(chunks).toString());
      const accessToken = signJwt(claims(), privateKey);
      const body: Record<string, unknown> = { expires_in: '3600', token_type: 'Bearer', access_token: accessToken };
      for (let i = 1; i < config.signatures; i++) {
        body.id_token = signJwt({ ...claims(), at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url') }, privateKey);
      }
      return answer(res, JSON.stringify(body));
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    let payload: Record<string, unknown> | undefined;
    try {
      payload = verifyJwt(token);
    } catch {
      payload = undefined;
    }
    if (!payload) return answer(res, '{"error":"invalid_token"}', 401);
    return answer(res, JSON.stringify({ id: payload.sub, type: payload['concur.type'] }));
  });
});

server.listen(config.port, '127.0.0.1', () => {
  const tokens = config.kind === 'verify' ? Array.from({ length: 20 }, () => signJwt(claims(), privateKey)) : [];
  process.send!({ ready: true, port: (server.address() as AddressInfo).port, fixtures: { tokens } });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
