/**
 * `tessera-server/testing`: a whole Tessera inside an integrator's test suite (docs/six-months-in-a-minute.md).
 *
 *     const tessera = await startTessera();
 *     const { companyUUID, requestToken } = await tessera.requestToken();
 *     await tessera.clock.advance('25h');
 *     await tessera.close();
 *
 * The server is the real one (real HTTP on a free loopback port, the real SQLite store) in
 * emulator mode, on a temporary data dir that `close()` removes: nothing is left behind. Startup
 * skips what a test never needs (the WAL checkpoint worker, request logs) so it stays well under
 * a second (measured by bench/src/embedded-start.ts, docs/benchmarks.md "Start").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type NewApp } from './core/apps.js';
import { createCompany } from './core/companies.js';
import type { Emulator } from './core/emulator/emulator.js';
import type { FaultRule, NewFault } from './core/emulator/faults.js';
import { generateRequestToken, type IssuedRequestToken } from './core/request-tokens.js';
import { createUser, WebServicesAdministrator } from './core/users.js';
import { loadSettings, type SettingsInput } from './config.js';
import { createServer, type TesseraServer } from './server.js';

export type { FaultRule } from './core/emulator/faults.js';

export interface TesseraUserInput {
  loginId: string;
  password: string;
  displayName?: string;
  email?: string;
  roles?: string[];
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
  /** Users besides the admin, in the seeded company (so homed where it is). */
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
  /** The home datacenter: the company's. */
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

/**
 * A fault rule as `POST /emulator/v0/faults` takes it (docs/emulator.md); `add` answers it as
 * the API does, with its `id` and what `remaining`.
 */
export type FaultInput = Omit<NewFault, 'match'> & { match?: NewFault['match'] };

export interface TesseraFaults {
  add(rule: FaultInput): Promise<FaultRule>;
  list(): Promise<FaultRule[]>;
  /** Clears one rule (unknown id: an error, as the API's 404), or all of them. */
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

/** A duration in ms as the emulator API takes it (whole seconds), or the duration text itself. */
const durationText = (by: string | number): string => {
  if (typeof by === 'string') return by;
  if (!Number.isInteger(by) || by < 0 || by % 1000 !== 0) throw new RangeError(`advance by whole seconds (a multiple of 1000 ms), not ${by}`);
  return `${by / 1000}s`;
};

/** A moment as the emulator API takes it (ISO-8601). */
const momentText = (to: Date | string | number): string => {
  if (typeof to === 'string') return to;
  const date = new Date(to);
  if (!Number.isFinite(date.getTime())) throw new RangeError(`not a moment: ${String(to)}`);
  return date.toISOString();
};

export async function startTessera(options: StartTesseraOptions = {}): Promise<RunningTessera> {
  const names = options.datacenters ?? ['us2'];
  if (!names.length) throw new RangeError('datacenters: at least one name');
  const home = options.company?.datacenter ?? names[0]!;
  if (!names.includes(home)) throw new RangeError(`company.datacenter ${home} is not one of the datacenters (${names.join(', ')})`);
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-embedded-'));
  let server: TesseraServer | undefined;
  try {
    const settings = loadSettings({
      logLevel: options.logLevel ?? 'silent', logRequests: false, ...options.settings,
      // Each datacenter on a free loopback port (docs/protocol.md §10); emulator mode for the clock and faults.
      datacenters: names.map((name) => `${name}=http://127.0.0.1:0`).join(','), emulator: true, dataDir, seedDemo: false,
      ...(options.rotation !== undefined ? { refreshRotation: options.rotation } : {}),
    }, {});
    // No WAL checkpoint worker: a test's store is small and short-lived, and the worker costs start time.
    server = await createServer(settings, { backgroundCheckpoints: false });
    const url = await server.listen();
    const datacenters = { ...server.datacenters };
    const core = server.core;
    const emulator: Emulator = server.emulator!;
    const company = await createCompany(core, { name: options.company?.name ?? 'Test Company', geolocation: datacenters[home]! });
    const seedUser = async (input: TesseraUserInput): Promise<TesseraUser> => {
      const user = await createUser(core, {
        companyId: company.id, loginId: input.loginId, password: input.password,
        ...(input.displayName ? { displayName: input.displayName } : {}), ...(input.email ? { email: input.email } : {}),
        ...(input.roles ? { roles: input.roles } : {}),
      });
      return { id: user.id, loginId: user.loginId, password: input.password, datacenter: home };
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
    // The clock and faults go through the emulator as its HTTP routes do (same validation, audit and sweeper turn).
    const move = async (input: Record<string, unknown>) => Date.parse((await emulator.moveClock(input)).now);
    return {
      url, datacenters, company: { id: company.id, name: company.name, datacenter: home }, app, admin, users,
      requestToken: () => generateRequestToken(core, app.clientId, company.id),
      clock: {
        advance: async (by) => move({ advance: durationText(by) }),
        set: async (to) => move({ set: momentText(to) }),
        reset: async () => move({ reset: true }),
        now: () => core.clock.now(),
      },
      faults: {
        add: async (rule) => emulator.addFault(rule),
        list: async () => emulator.faults.list(),
        clear: async (id) => {
          if (!emulator.clearFaults(id) && id !== undefined) throw new RangeError(`no fault rule ${id}`);
        },
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
