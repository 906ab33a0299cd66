/**
 * What a load run sends, and how each next request is made from it. A workload is plain data,
 * so the orchestrator can describe it and the loader process (a separate process, on its own
 * core) can turn it into requests. Sources are stateful: a rotating refresh chain or a request
 * token's remaining uses carry over from the warm-up to the peak run to the paced run of a cell.
 */

export type Alg = 'RS256' | 'ES256';

export type Workload =
  /** The same request every time (client_credentials, JWKS). */
  | { kind: 'static'; method: 'GET' | 'POST'; path: string; form?: Record<string, string> }
  /** A form whose `field` cycles through `values` (stable refresh tokens: each value stays valid). */
  | { kind: 'cycle'; path: string; form: Record<string, string>; field: string; values: string[] }
  /**
   * Rotating refresh tokens: a pool of chain heads. Each request takes a head, and the
   * `refresh_token` of its answer goes back into the pool, so every chain is followed exactly as
   * a well-behaved client would (never a replay). `reserve` replaces chains that broke on an error.
   */
  | { kind: 'chain'; path: string; form: Record<string, string>; heads: string[]; reserve: string[] }
  /**
   * Company request tokens (`password` + `credtype=authtoken`): each pair may be converted
   * `maxUses` times; pairs are used round-robin so uses spread over many companies.
   */
  | { kind: 'uses'; path: string; form: Record<string, string>; pairs: Array<{ username: string; password: string }>; maxUses: number }
  /** A protected API called with Bearer tokens taken round-robin. */
  | { kind: 'bearer'; path: string; tokens: string[] };

/** What a correct answer looks like; checked on one request before every load run. */
export interface Expectation {
  /** The JWT in this JSON field must carry `alg` in its header (same algorithm on both sides). */
  jwtField?: 'access_token';
  alg?: Alg;
  /** For JWKS: the key set must hold a key of `alg`. */
  jwks?: boolean;
}

export interface NextRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RequestSource {
  next(): NextRequest;
  /** Whether the answer's body is needed (chains); otherwise the loader does not parse it. */
  readonly wantsBody: boolean;
  onResponse(status: number, body: string): void;
  /** Problems worth reporting (chains broken, uses exhausted). */
  notes(): string[];
}

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const encode = (form: Record<string, string>) => new URLSearchParams(form).toString();

export function createSource(workload: Workload): RequestSource {
  switch (workload.kind) {
    case 'static': {
      const request: NextRequest = workload.form
        ? { method: workload.method, path: workload.path, headers: formHeaders, body: encode(workload.form) }
        : { method: workload.method, path: workload.path, headers: {} };
      return { wantsBody: false, next: () => request, onResponse: () => {}, notes: () => [] };
    }
    case 'cycle': {
      const bodies = workload.values.map((value) => encode({ ...workload.form, [workload.field]: value }));
      let i = 0;
      return {
        wantsBody: false,
        next: () => ({ method: 'POST', path: workload.path, headers: formHeaders, body: bodies[i++ % bodies.length]! }),
        onResponse: () => {},
        notes: () => [],
      };
    }
    case 'chain': {
      const pool = [...workload.heads];
      const reserve = [...workload.reserve];
      let broken = 0;
      let starved = 0;
      return {
        wantsBody: true,
        next: () => {
          let head = pool.shift() ?? reserve.shift();
          if (head === undefined) {
            starved++;
            head = 'starved-no-refresh-token-left';
          }
          return { method: 'POST', path: workload.path, headers: formHeaders, body: encode({ ...workload.form, refresh_token: head }) };
        },
        onResponse: (status, body) => {
          let next: unknown;
          if (status === 200) {
            try {
              next = (JSON.parse(body) as Record<string, unknown>).refresh_token;
            } catch {
              next = undefined;
            }
          }
          if (typeof next === 'string') pool.push(next);
          else broken++;
        },
        notes: () => [
          ...(broken ? [`${broken} refresh chain(s) broke on an error answer`] : []),
          ...(starved ? [`${starved} request(s) found no refresh token left`] : []),
        ],
      };
    }
    case 'uses': {
      const bodies = workload.pairs.map((pair) => encode({ ...workload.form, username: pair.username, password: pair.password }));
      const capacity = bodies.length * workload.maxUses;
      let sent = 0;
      return {
        wantsBody: false,
        next: () => ({ method: 'POST', path: workload.path, headers: formHeaders, body: bodies[sent++ % bodies.length]! }),
        onResponse: () => {},
        notes: () => (sent > capacity ? [`request tokens exhausted: ${sent} conversions for a capacity of ${capacity}`] : []),
      };
    }
    case 'bearer': {
      const headers = workload.tokens.map((token) => ({ authorization: `Bearer ${token}` }));
      let i = 0;
      return {
        wantsBody: false,
        next: () => ({ method: 'GET', path: workload.path, headers: headers[i++ % headers.length]! }),
        onResponse: () => {},
        notes: () => [],
      };
    }
  }
}

/** Checks one answer against the expectation; answers a problem or undefined. */
export function checkAnswer(expect: Expectation, status: number, body: string): string | undefined {
  if (status !== 200) return `status ${status}: ${body.slice(0, 300)}`;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return `not JSON: ${body.slice(0, 200)}`;
  }
  if (expect.jwtField) {
    const token = json[expect.jwtField];
    if (typeof token !== 'string' || token.split('.').length !== 3) return `no JWT in ${expect.jwtField}: ${body.slice(0, 200)}`;
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== expect.alg) return `${expect.jwtField} signed with ${header.alg}, expected ${expect.alg}`;
  }
  if (expect.jwks) {
    const keys = json.keys;
    if (!Array.isArray(keys) || !keys.some((k: { alg?: string }) => k.alg === expect.alg)) return `JWKS without a ${expect.alg} key`;
  }
  return undefined;
}
