/**
 * `tessera emulator …`: the movable clock and the faults of a Tessera in emulator mode
 * (docs/emulator.md), through its `/emulator/v0` routes. The server is `--server URL`, else the
 * datacenter of `--env NAME`, else the local `tessera serve` at http://127.0.0.1:$TESSERA_PORT (8080).
 */
import type { Command } from 'commander';
import { normalizeServer } from '../admin-remote.js';
import { ExitCode } from '../exit-codes.js';
import { TesseraHome } from '../home.js';
import { CommandError, printJson, printRecord, printTable } from '../output.js';
import { caFileFor, fetchTrusting } from '../trust.js';

interface Target {
  server: string;
  ca: string | undefined;
}

interface EmulatorOptions {
  server?: string;
  env?: string;
  json?: boolean;
}

async function targetOf(command: Command): Promise<Target> {
  const options = command.optsWithGlobals<EmulatorOptions>();
  if (options.server) return { server: normalizeServer(options.server), ca: undefined };
  if (options.env) {
    const environment = await new TesseraHome().resolve(options.env);
    return { server: normalizeServer(environment.datacenter), ca: environment.ca };
  }
  return { server: `http://127.0.0.1:${process.env.TESSERA_PORT || 8080}`, ca: undefined };
}

/** One call to the emulator API; a Concur error body becomes the command's error with its exit code. */
async function call<T>(target: Target, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetchTrusting(caFileFor(target.ca))(`${target.server}/emulator/v0${path}`, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CommandError(`cannot reach ${target.server}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, ExitCode.Failure);
  }
  const text = await response.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  // The one 404 of the emulator API is an unknown rule id (DELETE /faults/ID); any other says emulator mode is off.
  if (response.status === 404 && !(method === 'DELETE' && path.startsWith('/faults/'))) {
    throw new CommandError(`${target.server} is not in emulator mode (start it with \`tessera serve --emulator\` or TESSERA_EMULATOR=1)`, ExitCode.Failure);
  }
  if (!response.ok) {
    const detail = parsed?.fields?.length
      ? `invalid input: ${parsed.fields.map((f: { field: string; message: string }) => `${f.field || 'input'} ${f.message}`).join('; ')}`
      : parsed?.error_description ?? `the server answered ${response.status}`;
    throw new CommandError(`${detail}${parsed?.code ? ` (code ${parsed.code})` : ''}`, response.status === 400 ? ExitCode.Usage : ExitCode.Refused);
  }
  return parsed as T;
}

interface ClockView {
  now: string;
  offsetSeconds: number;
}

interface FaultView {
  id: string;
  match: Record<string, string>;
  effect: { type: string; code?: number; status?: number; ms?: number };
  remaining: number | null;
  probability: number;
  fired: number;
}

const describeEffect = (effect: FaultView['effect']) =>
  effect.type === 'concur-error' ? `code ${effect.code}` : effect.type === 'http-status' ? `HTTP ${effect.status}` : effect.type === 'delay' ? `delay ${effect.ms} ms` : effect.type;

function number(flag: string, value: string | undefined, parse: (text: string) => number = Number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parse(value);
  if (!Number.isFinite(parsed)) throw new CommandError(`${flag} must be a number, not ${value}`, ExitCode.Usage);
  return parsed;
}

export function registerEmulatorCommands(program: Command): void {
  const emulator = program
    .command('emulator')
    .description('move the clock and inject faults of a Tessera in emulator mode (`tessera serve --emulator`)')
    .option('--server <url>', 'the Tessera (default: the --env datacenter, else http://127.0.0.1:$TESSERA_PORT or 8080)')
    .option('--env <name>', "use this environment's datacenter as the server")
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  tessera emulator clock advance 181d\n  tessera emulator fault add --path /oauth2/v0/token --status 503 --times 1\n  tessera emulator fault clear\n');

  const clock = emulator.command('clock').description("the server's clock: show, advance, set, reset");
  const printClock = (view: ClockView, json: boolean) => printRecord({ now: view.now, offsetSeconds: view.offsetSeconds }, json);
  clock.command('show').description('the server time and its offset from the real clock').action(async (_options, command: Command) => {
    printClock(await call<ClockView>(await targetOf(command), 'GET', '/clock'), !!command.optsWithGlobals<EmulatorOptions>().json);
  });
  clock.command('advance').description('moves the clock forward').argument('<duration>', '181d, 25h, 90m, 30s or ISO-8601 P181D')
    .action(async (duration: string, _options, command: Command) => {
      printClock(await call<ClockView>(await targetOf(command), 'POST', '/clock', { advance: duration }), !!command.optsWithGlobals<EmulatorOptions>().json);
    });
  clock.command('set').description('moves the clock to a date and time').argument('<iso>', 'e.g. 2027-06-01T00:00:00Z')
    .action(async (iso: string, _options, command: Command) => {
      printClock(await call<ClockView>(await targetOf(command), 'POST', '/clock', { set: iso }), !!command.optsWithGlobals<EmulatorOptions>().json);
    });
  clock.command('reset').description('back to the real clock').action(async (_options, command: Command) => {
    printClock(await call<ClockView>(await targetOf(command), 'POST', '/clock', { reset: true }), !!command.optsWithGlobals<EmulatorOptions>().json);
  });

  const fault = emulator.command('fault').description('fault rules: add, list, clear');
  fault.command('add').description('makes matching requests fail: one of --code, --status, --delay, --drop, --truncate')
    .option('--path <path>', 'request path, exact or a prefix ending in *')
    .option('--grant-type <type>', 'grant_type of a token request')
    .option('--client-id <id>', 'client id of the request')
    .option('--principal <id>', 'login id or company UUID sent as username, or the sub of the Bearer token')
    .option('--datacenter <name-or-url>', 'the datacenter answering')
    .option('--code <n>', 'answer this Concur error code, with its status and body')
    .option('--status <n>', 'answer this HTTP 5xx')
    .option('--delay <ms>', 'answer this much later (at most 60000)')
    .option('--drop', 'close the connection without an answer')
    .option('--truncate', 'answer a body cut short')
    .option('--times <n>', 'for the next N matching requests (default: until cleared)')
    .option('--probability <p>', 'for this share of matching requests, 0..1')
    .action(async (options: Record<string, string | boolean | undefined>, command: Command) => {
      const effects = [
        options.code !== undefined && { type: 'concur-error', code: number('--code', options.code as string) },
        options.status !== undefined && { type: 'http-status', status: number('--status', options.status as string) },
        options.delay !== undefined && { type: 'delay', ms: number('--delay', options.delay as string) },
        options.drop === true && { type: 'drop' },
        options.truncate === true && { type: 'truncate' },
      ].filter(Boolean);
      if (effects.length !== 1) throw new CommandError('give exactly one of --code, --status, --delay, --drop, --truncate', ExitCode.Usage);
      const match = Object.fromEntries(Object.entries({
        path: options.path, grantType: options.grantType, clientId: options.clientId, principal: options.principal, datacenter: options.datacenter,
      }).filter(([, v]) => v !== undefined));
      const rule = await call<FaultView>(await targetOf(command), 'POST', '/faults', {
        match, effect: effects[0],
        ...(options.times !== undefined ? { times: number('--times', options.times as string) } : {}),
        ...(options.probability !== undefined ? { probability: number('--probability', options.probability as string) } : {}),
      });
      if (command.optsWithGlobals<EmulatorOptions>().json) printJson(rule);
      else process.stdout.write(`${rule.id}\n`);
    });
  fault.command('list').description('the active rules, with how many times each still fires').action(async (_options, command: Command) => {
    const { faults } = await call<{ faults: FaultView[] }>(await targetOf(command), 'GET', '/faults');
    if (command.optsWithGlobals<EmulatorOptions>().json) return printJson(faults);
    printTable(faults.map((f) => ({
      id: f.id, match: Object.entries(f.match).map(([k, v]) => `${k}=${v}`).join(' ') || '(every request)', effect: describeEffect(f.effect),
      remaining: f.remaining ?? 'until cleared', probability: f.probability, fired: f.fired,
    })), ['id', 'match', 'effect', 'remaining', 'probability', 'fired'], false);
  });
  fault.command('clear').description('removes one rule, or all of them').argument('[id]', 'the rule (default: all)')
    .action(async (id: string | undefined, _options, command: Command) => {
      const target = await targetOf(command);
      if (id === undefined) {
        await call(target, 'DELETE', '/faults');
      } else {
        if (!/^[\w-]{1,64}$/.test(id)) throw new CommandError(`${id} is not a rule id (see \`tessera emulator fault list\`)`, ExitCode.Usage);
        // A server not in emulator mode answers 404 to the DELETE too: ask first, so the message says which.
        await call(target, 'GET', '/faults');
        await call(target, 'DELETE', `/faults/${id}`);
      }
      if (command.optsWithGlobals<EmulatorOptions>().json) printJson({ cleared: id ?? 'all' });
      else process.stdout.write(id ? `cleared ${id}\n` : 'cleared all fault rules\n');
    });
}
