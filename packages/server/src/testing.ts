/**
 * `tessera-server/testing`: a whole Tessera inside an integrator's test suite (docs/six-months-in-a-minute.md).
 *
 *     const tessera = await startTessera();
 *     const { companyUUID, requestToken } = await tessera.requestToken();
 *     tessera.clock.advance('25h');
 *     await tessera.close();
 *
 * The server is the real one (real HTTP on a free loopback port, the real SQLite store) in
 * emulator mode, on a temporary data dir that `close()` removes: nothing is left behind. Startup
 * skips what a test never needs (the WAL checkpoint worker, request logs) so it stays well under
 * a second (measured by bench/src/start-embedded.ts, docs/benchmarks.md "Start").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from './core/clock.js';
import { createApp, type NewApp } from './core/apps.js';
import { createCompany } from './core/companies.js';
import { generateRequestToken, type IssuedRequestToken } from './core/request-tokens.js';
import { createUser, WebServicesAdministrator } from './core/users.js';
import { loadSettings, type SettingsInput } from './config.js';
import { createServer, type TesseraServer } from './server.js';

export interface TesseraUserInput {
  loginId: string;
  password: string;
  displayName?: string;
  email?: string;
  roles?: string[];
  /** The user's home datacenter (a name of `datacenters`); the company's by default. */
  datacenter?: string;
}

export interface StartTesseraOptions {
  /** Datacenter names, one loopback listener each (default `['us2']`). */
  datacenters?: string[];
  company?: {
    name?: string;
    /** The company's home datacenter (a name of `datacenters`; default the first). */
    datacenter?: string;
  };
  /** The seeded app (default: grants password, refresh_token, client_credentials; the usual scopes). */
  app?: Partial<NewApp>;
  /** Users besides the admin, in the seeded company. */
  users?: TesseraUserInput[];
  /** Rotate refresh token values on every refresh (docs/protocol.md Decision 8; off, like Concur). */
  rotation?: boolean;
  /** Log level (default `silent`: a test run stays quiet). */
  logLevel?: SettingsInput['logLevel'];
  /** Any other setting (docs/configuration.md); the data dir, port and host are the embedded server's own. */
  settings?: SettingsInput;
}

export interface TesseraUser {
  id: string;
  loginId: string;
  password: string;
  datacenter: string;
}

/**
 * The emulated clock: every rule that depends on time follows it (docs/six-months-in-a-minute.md).
 * A move takes effect at once; the promise it answers settles when the server's work caused by
 * the move (the sweeper turn) is done, with the new time (ms since the epoch): `await` it.
 */
export interface TesseraClock {
  /** Moves forward by a duration (`'25h'`, `'181d'`, `'90s'`, `'61m'`, ISO-8601 `'P181D'`) or by milliseconds. */
  advance(by: string | number): Promise<number>;
  /** Jumps to a moment (a Date, an ISO string, or ms since the epoch). */
  set(to: Date | string | number): Promise<number>;
  /** Back to the real time. */
  reset(): Promise<number>;
  /** Now on the emulated clock, ms since the epoch (pass it to the SDK: `new TokenManager({ now: tessera.clock.now })`). */
  now(): number;
}

/** A fault rule, as `POST /emulator/v0/faults` takes it (docs/protocol.md "Emulator"). */
export interface FaultRule {
  match?: { path?: string; grantType?: string; clientId?: string; principal?: string; datacenter?: string };
  effect:
    | { type: 'concur-error'; code: number }
    | { type: 'http-status'; status: number }
    | { type: 'delay'; ms: number }
    | { type: 'drop' }
    | { type: 'truncate' };
  times?: number;
  probability?: number;
}

export type ActiveFault = FaultRule & { id: string; [field: string]: unknown };

export interface TesseraFaults {
  add(rule: FaultRule): Promise<ActiveFault>;
  list(): Promise<ActiveFault[]>;
  clear(id?: string): Promise<void>;
}

export interface RunningTessera {
  /** Base URL of the first datacenter. */
  url: string;
  /** Base URL of each datacenter, by name. */
  datacenters: Record<string, string>;
  company: { id: string; name: string; datacenter: string };
  app: { clientId: string; clientSecret: string };
  /** The company's Web Services Administrator. */
  admin: TesseraUser;
  users: TesseraUser[];
  /** A fresh company request token for the app (step 2; replaces the previous one). */
  requestToken(): Promise<IssuedRequestToken>;
  clock: TesseraClock;
  faults: TesseraFaults;
  /** The server itself, for what the above does not cover. */
  server: TesseraServer;
  close(): Promise<void>;
}

const durationUnits: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `'25h'`, `'181d'`, `'P181D'`, `'PT61M'` → ms (the emulator API's durations). */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a duration: ${value}`);
    return value;
  }
  const short = /^(-?\d+)([smhd])$/.exec(value.trim());
  if (short) return Number(short[1]) * durationUnits[short[2]!]!;
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(value.trim());
  if (iso && value.trim().length > 1 && !/T$/i.test(value.trim())) {
    const [, d = '0', h = '0', m = '0', s = '0'] = iso;
    return Number(d) * durationUnits.d! + Number(h) * durationUnits.h! + Number(m) * durationUnits.m! + Number(s) * durationUnits.s!;
  }
  throw new RangeError(`not a duration: ${value} (use <n>s|m|h|d or ISO-8601 such as P181D)`);
}

/** The real clock plus an offset that the test moves; time keeps flowing between moves. */
class OffsetClock implements Clock {
  private offsetMs = 0;
  now = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  set(ms: number): void {
    this.offsetMs = ms - Date.now();
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

const toMs = (to: Date | string | number): number => {
  const ms = to instanceof Date ? to.getTime() : typeof to === 'string' ? Date.parse(to) : to;
  if (!Number.isFinite(ms)) throw new RangeError(`not a moment: ${String(to)}`);
  return ms;
};

export async function startTessera(options: StartTesseraOptions = {}): Promise<RunningTessera> {
  const names = options.datacenters ?? ['us2'];
  if (names.length !== 1) throw new RangeError('several datacenters need the datacenters setting (not in this build)');
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-embedded-'));
  const movable = new OffsetClock();
  let server: TesseraServer | undefined;
  try {
    const settings = loadSettings({
      logLevel: options.logLevel ?? 'silent', logRequests: false, ...options.settings,
      host: '127.0.0.1', port: 0, dataDir, seedDemo: false,
      ...(options.rotation !== undefined ? { refreshRotation: options.rotation } : {}),
    }, {});
    server = await createServer(settings, { clock: movable, backgroundCheckpoints: false });
    const url = await server.listen();
    const datacenters: Record<string, string> = { [names[0]!]: url };
    const core = server.core;
    const home = options.company?.datacenter ?? names[0]!;
    const company = await createCompany(core, { name: options.company?.name ?? 'Test Company' });
    const seedUser = async (input: TesseraUserInput): Promise<TesseraUser> => {
      const user = await createUser(core, {
        companyId: company.id, loginId: input.loginId, password: input.password,
        ...(input.displayName ? { displayName: input.displayName } : {}), ...(input.email ? { email: input.email } : {}),
        ...(input.roles ? { roles: input.roles } : {}),
      });
      return { id: user.id, loginId: user.loginId, password: input.password, datacenter: input.datacenter ?? home };
    };
    const admin = await seedUser({ loginId: 'admin@test.example', password: 'admin-password', displayName: 'Web Services Administrator', roles: [WebServicesAdministrator] });
    const users = [];
    for (const input of options.users ?? []) users.push(await seedUser(input));
    const created = await createApp(core, company.id, {
      name: 'Test App', description: 'seeded by startTessera', grants: ['password', 'refresh_token', 'client_credentials'],
      scopes: ['openid', 'user.read', 'company.read', 'identity.user.core.read', 'expense.report.read'], ...options.app,
    });
    const app = { clientId: created.app.id, clientSecret: created.clientSecret };

    const running = server;
    const emulatorApi = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}/emulator/v0/${path}`, {
        method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} /emulator/v0/${path}: ${response.status} ${text}`);
      return text ? (JSON.parse(text) as unknown) : undefined;
    };
    return {
      url, datacenters, company: { id: company.id, name: company.name, datacenter: home }, app, admin, users,
      requestToken: () => generateRequestToken(core, app.clientId, company.id),
      clock: {
        advance: async (by) => (movable.advance(parseDuration(by)), movable.now()),
        set: async (to) => (movable.set(toMs(to)), movable.now()),
        reset: async () => (movable.reset(), movable.now()),
        now: movable.now,
      },
      faults: {
        add: async (rule) => (await emulatorApi('POST', 'faults', rule)) as ActiveFault,
        list: async () => ((await emulatorApi('GET', 'faults')) as { faults: ActiveFault[] }).faults,
        clear: async (id) => void (await emulatorApi('DELETE', id ? `faults/${encodeURIComponent(id)}` : 'faults')),
      },
      server: running,
      async close() {
        try {
          await running.close();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await server?.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
