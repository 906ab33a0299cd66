/**
 * The node:crypto JWT verifier (core/jwt-verify.ts) refuses everything jose refused for the
 * protected APIs, and accepts what this service signs. Every case is also put to jose with the
 * same key set and options, so the two can never drift apart unnoticed.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { JwtError, verifierKeySet, verifyJwt, type JwtAlg } from '../src/core/jwt-verify.js';

const issuer = 'https://us2.example';
const now = Date.UTC(2026, 0, 1);
const iat = Math.floor(now / 1000);
const options = { issuer, now, algorithms: ['RS256', 'ES256', 'EdDSA'] as JwtAlg[] };

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function keyPair(alg: JwtAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return generateKeyPairSync('ed25519');
}

const keys = { RS256: keyPair('RS256'), ES256: keyPair('ES256'), EdDSA: keyPair('EdDSA') };
const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const jwks = {
  keys: [
    ...(['RS256', 'ES256', 'EdDSA'] as const).map((alg) => ({ ...keys[alg].publicKey.export({ format: 'jwk' }), kid: `k-${alg}`, alg, use: 'sig' })),
    { ...weakRsa.publicKey.export({ format: 'jwk' }), kid: 'k-weak', alg: 'RS256', use: 'sig' },
  ],
};

function signWith(alg: JwtAlg, key: KeyObject, input: string, encoding: 'ieee-p1363' | 'der' = 'ieee-p1363'): string {
  const data = Buffer.from(input);
  if (alg === 'RS256') return sign('sha256', data, key).toString('base64url');
  if (alg === 'ES256') return sign('sha256', data, { key, dsaEncoding: encoding }).toString('base64url');
  return sign(null, data, key).toString('base64url');
}

function token(alg: JwtAlg, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key = keys[alg].privateKey): string {
  const input = `${b64({ alg, typ: 'JWT', kid: `k-${alg}`, ...header })}.${b64({ iss: issuer, sub: 'abc', aud: '*', iat, nbf: iat, exp: iat + 3600, ...claims })}`;
  return `${input}.${signWith(alg, key, input)}`;
}

const ours = verifierKeySet(jwks);
const theirs = createLocalJWKSet(jwks as never);

async function bothRefuse(jwt: string): Promise<string> {
  let code = '';
  try {
    verifyJwt(jwt, ours, options);
  } catch (error) {
    expect(error).toBeInstanceOf(JwtError);
    code = (error as JwtError).code;
  }
  expect(code, 'node:crypto verifier accepted it').not.toBe('');
  await expect(jwtVerify(jwt, theirs, { issuer, currentDate: new Date(now), algorithms: options.algorithms }), 'jose accepted it').rejects.toThrow();
  return code;
}

describe('node:crypto JWT verification', () => {
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    it(`accepts a ${alg} token this service would sign, as jose does`, async () => {
      const jwt = token(alg, { 'concur.scopes': ['company.read'] });
      const payload = verifyJwt(jwt, ours, options);
      expect(payload).toMatchObject({ sub: 'abc', iss: issuer, 'concur.scopes': ['company.read'] });
      expect((await jwtVerify(jwt, theirs, { issuer, currentDate: new Date(now), algorithms: options.algorithms })).payload).toEqual(payload);
    });

    it(`refuses a ${alg} token whose payload or signature was changed`, async () => {
      const [h, p, s] = token(alg).split('.') as [string, string, string];
      await bothRefuse(`${h}.${b64({ iss: issuer, sub: 'someone-else', exp: iat + 3600 })}.${s}`);
      const flipped = Buffer.from(s, 'base64url');
      flipped[flipped.length - 1]! ^= 1;
      await bothRefuse(`${h}.${p}.${flipped.toString('base64url')}`);
    });
  }

  it('refuses alg none, HMAC with a public key as secret, and an alg that is not the key\'s', async () => {
    const claims = b64({ iss: issuer, sub: 'abc', exp: iat + 3600 });
    expect(await bothRefuse(`${b64({ alg: 'none', kid: 'k-RS256' })}.${claims}.`)).toBe('ERR_JWS_INVALID');
    const hsInput = `${b64({ alg: 'HS256', kid: 'k-RS256' })}.${claims}`;
    const secret = keys.RS256.publicKey.export({ format: 'pem', type: 'spki' });
    expect(await bothRefuse(`${hsInput}.${createHmac('sha256', secret).update(hsInput).digest('base64url')}`)).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
    // An ES256 signature presented under the RS256 key's kid.
    expect(await bothRefuse(token('ES256', {}, { kid: 'k-RS256' }))).toBe('ERR_JWKS_NO_MATCHING_KEY');
    // An algorithm the caller did not allow.
    expect(() => verifyJwt(token('EdDSA'), ours, { ...options, algorithms: ['RS256'] })).toThrow(expect.objectContaining({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' }));
  });

  it('refuses an unknown kid with the code that tells callers to look for new keys, and a token without kid', async () => {
    expect(await bothRefuse(token('RS256', {}, { kid: 'k-unknown' }))).toBe('ERR_JWKS_NO_MATCHING_KEY');
    const other = keyPair('RS256');
    expect(await bothRefuse(token('RS256', {}, {}, other.privateKey))).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: issuer, exp: iat + 3600 })}`;
    expect(() => verifyJwt(`${input}.${signWith('RS256', keys.RS256.privateKey, input)}`, ours, options)).toThrow(JwtError);
  });

  it('leaves out keys too weak or of the wrong kind for their alg', async () => {
    expect(ours.has('k-weak')).toBe(false);
    const input = `${b64({ alg: 'RS256', kid: 'k-weak' })}.${b64({ iss: issuer, exp: iat + 3600 })}`;
    await bothRefuse(`${input}.${signWith('RS256', weakRsa.privateKey, input)}`);
    const mislabeled = verifierKeySet({ keys: [{ ...keys.ES256.publicKey.export({ format: 'jwk' }), kid: 'x', alg: 'RS256' }] });
    expect(mislabeled.size).toBe(0);
  });

  it('refuses critical headers and unencoded payloads', async () => {
    expect(await bothRefuse(token('ES256', {}, { crit: ['exp'], exp: 1 }))).toBe('ERR_JOSE_NOT_SUPPORTED');
    expect(await bothRefuse(token('ES256', {}, { b64: false, crit: ['b64'] }))).toBe('ERR_JOSE_NOT_SUPPORTED');
  });

  it('refuses an ES256 signature in DER form', async () => {
    const input = `${b64({ alg: 'ES256', kid: 'k-ES256' })}.${b64({ iss: issuer, exp: iat + 3600 })}`;
    await bothRefuse(`${input}.${signWith('ES256', keys.ES256.privateKey, input, 'der')}`);
  });

  it('refuses what is not a compact JWS of JSON objects', async () => {
    const jwt = token('RS256');
    const [h, p, s] = jwt.split('.') as [string, string, string];
    for (const bad of ['', 'abc', `${jwt}.x`, `${h}.${p}`, `${h}..${s}`, `${h}.${p}.${s}=`, `${h}.${p}.${s}!`, `${h} .${p}.${s}`, 'a'.repeat(20_000)]) {
      await bothRefuse(bad);
    }
    const listPayload = `${b64({ alg: 'RS256', kid: 'k-RS256' })}.${b64([1, 2])}`;
    await bothRefuse(`${listPayload}.${signWith('RS256', keys.RS256.privateKey, listPayload)}`);
    const notJson = `${b64({ alg: 'RS256', kid: 'k-RS256' })}.${b64('not json')}`;
    await bothRefuse(`${notJson}.${signWith('RS256', keys.RS256.privateKey, notJson)}`);
  });

  it('validates iss, exp, nbf and iat without tolerance', async () => {
    expect(await bothRefuse(token('ES256', { iss: 'https://elsewhere.example' }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(await bothRefuse(token('ES256', { exp: iat }))).toBe('ERR_JWT_EXPIRED');
    expect(await bothRefuse(token('ES256', { exp: String(iat + 3600) }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(await bothRefuse(token('ES256', { nbf: iat + 1 }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(await bothRefuse(token('ES256', { iat: 'yesterday' }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(verifyJwt(token('ES256', { exp: iat + 1 }), ours, options).exp).toBe(iat + 1);
    // A token without exp is one this service never signs: refused (jose would accept it).
    const input = `${b64({ alg: 'ES256', kid: 'k-ES256' })}.${b64({ iss: issuer, sub: 'abc' })}`;
    expect(() => verifyJwt(`${input}.${signWith('ES256', keys.ES256.privateKey, input)}`, ours, options)).toThrow(JwtError);
  });
});
