/**
 * The scenarios: what Tessera is asked, what the peer is asked for the same work, and which
 * ceiling bounds it. Every ratio compares the same signing algorithm on both sides, and every
 * run first checks one answer (status 200, and the `alg` in the access token's header).
 */
import type { TesseraFixtures } from './seed.js';
import type { Alg, Expectation, Workload } from './workload.js';

export type ScenarioId = 'client_credentials' | 'refresh_stable' | 'refresh_rotating' | 'authtoken' | 'jwks' | 'me';

export interface PeerFixtures {
  client: { id: string; secret: string };
  refreshTokens: string[];
}

export type CeilingSpec = { kind: 'json' } | { kind: 'sign'; signatures: 1 | 2 } | { kind: 'verify' };

export interface Scenario {
  id: ScenarioId;
  label: string;
  /** Tessera's TESSERA_REFRESH_ROTATION for this scenario. */
  rotation: boolean;
  tessera(f: TesseraFixtures, connections: number): { workload: Workload; expect: Expectation };
  /** oidc-provider doing the same work, when it can. */
  peer?: { rotate: boolean; refreshTokens(connections: number): number; workload(f: PeerFixtures, connections: number): Workload; expect: Expectation };
  /** Why there is no peer figure, when there is none. */
  noPeer?: string;
  ceiling: CeilingSpec;
  /** Also run against the large store. */
  scale: boolean;
}

const token = '/oauth2/v0/token';
const expectToken = (alg: Alg): Expectation => ({ jwtField: 'access_token', alg });

/** Chain heads: two per connection; the rest replaces chains lost when a run stops mid-request. */
const chainHeads = (connections: number) => connections * 2;
export const chainTokens = (connections: number) => connections * 10;

export function scenarios(alg: Alg): Scenario[] {
  return [
    {
      id: 'client_credentials', label: 'client_credentials', rotation: false, scale: true,
      tessera: (f) => ({
        workload: { kind: 'static', method: 'POST', path: token, form: { grant_type: 'client_credentials', client_id: f.clientId, client_secret: f.clientSecret } },
        expect: expectToken(alg),
      }),
      peer: {
        rotate: false, refreshTokens: () => 0, expect: expectToken(alg),
        workload: (f) => ({ kind: 'static', method: 'POST', path: '/token', form: { grant_type: 'client_credentials', client_id: f.client.id, client_secret: f.client.secret, scope: 'api:read' } }),
      },
      ceiling: { kind: 'sign', signatures: 1 },
    },
    {
      id: 'refresh_stable', label: 'refresh_token (stable value)', rotation: false, scale: true,
      tessera: (f) => ({
        workload: { kind: 'cycle', path: token, form: { grant_type: 'refresh_token', client_id: f.clientId, client_secret: f.clientSecret }, field: 'refresh_token', values: f.refreshTokens },
        expect: expectToken(alg),
      }),
      peer: {
        rotate: false, refreshTokens: () => 2000, expect: expectToken(alg),
        workload: (f) => ({ kind: 'cycle', path: '/token', form: { grant_type: 'refresh_token', client_id: f.client.id, client_secret: f.client.secret }, field: 'refresh_token', values: f.refreshTokens }),
      },
      ceiling: { kind: 'sign', signatures: 2 },
    },
    {
      id: 'refresh_rotating', label: 'refresh_token (rotating)', rotation: true, scale: true,
      tessera: (f, connections) => ({
        workload: {
          kind: 'chain', path: token, form: { grant_type: 'refresh_token', client_id: f.clientId, client_secret: f.clientSecret },
          heads: f.refreshTokens.slice(0, chainHeads(connections)), reserve: f.refreshTokens.slice(chainHeads(connections)),
        },
        expect: expectToken(alg),
      }),
      peer: {
        rotate: true, refreshTokens: chainTokens, expect: expectToken(alg),
        workload: (f, connections) => ({
          kind: 'chain', path: '/token', form: { grant_type: 'refresh_token', client_id: f.client.id, client_secret: f.client.secret },
          heads: f.refreshTokens.slice(0, chainHeads(connections)), reserve: f.refreshTokens.slice(chainHeads(connections)),
        }),
      },
      ceiling: { kind: 'sign', signatures: 2 },
    },
    {
      id: 'authtoken', label: 'password + credtype=authtoken', rotation: false, scale: true,
      tessera: (f) => ({
        workload: {
          kind: 'uses', path: token, form: { grant_type: 'password', credtype: 'authtoken', client_id: f.clientId, client_secret: f.clientSecret },
          pairs: f.pairs, maxUses: 100,
        },
        expect: expectToken(alg),
      }),
      noPeer: 'oidc-provider has no Concur company-request-token grant; compared with the 2-signature ceiling only',
      ceiling: { kind: 'sign', signatures: 2 },
    },
    {
      id: 'jwks', label: 'GET /oauth2/v0/jwks', rotation: false, scale: false,
      tessera: () => ({ workload: { kind: 'static', method: 'GET', path: '/oauth2/v0/jwks' }, expect: { jwks: true, alg } }),
      peer: {
        rotate: false, refreshTokens: () => 0, expect: { jwks: true, alg },
        workload: () => ({ kind: 'static', method: 'GET', path: '/jwks' }),
      },
      ceiling: { kind: 'json' },
    },
    {
      id: 'me', label: 'GET /profile/v1/me (verify)', rotation: false, scale: true,
      tessera: (f) => ({ workload: { kind: 'bearer', path: '/profile/v1/me', tokens: f.accessTokens }, expect: {} }),
      noPeer: 'oidc-provider has no resource-server API; compared with the node:http + node:crypto verify ceiling',
      ceiling: { kind: 'verify' },
    },
  ];
}
