/**
 * `npm run bench [-- options]`: Tessera side by side with oidc-provider and two bare node:http
 * ceilings, in one run, on this machine. See bench/README.md for what is measured and how.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureEmbeddedStarts } from './embedded-start.js';
import type { LoadJob, LoadResult } from './loader.js';
import { summarizeProfiles } from './profile.js';
import { canPin, freePort, Loader, pinSelf, startServer, type Running } from './proc.js';
import { machineInfo, renderConsole, renderMarkdown, type CellResult, type Report, type Row } from './report.js';
import { chainTokens, scenarios, type CeilingSpec, type PeerFixtures, type Scenario } from './scenarios.js';
import { prepareDataDir, seedScale, seedTessera, type FixtureCounts, type ScaleSize, type TesseraFixtures } from './seed.js';
import type { Alg, Workload } from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const cliBin = join(dirname(require.resolve('tessera-cli/package.json')), 'dist', 'bin.js');
const defaultOutDir = resolve(here, '..', 'results');
const benchmarksDoc = resolve(here, '..', '..', 'docs', 'benchmarks.md');
const SERVER_CORE = 0;
const LOADER_CORE = 1;

export interface Options {
  mode: 'quick' | 'full';
  /** Each cell is run this many times, alternating systems; the best peak run of each is reported. */
  rounds: number;
  seconds: number;
  warmup: number;
  pacedSeconds: number;
  connections: number;
  pacedConnections: number;
  /** Paced runs per Tessera cell; the one of median p99 is reported, with the spread. */
  latencyRepeats: number;
  algs: Alg[];
  only: RegExp | null;
  scale: ScaleSize | null;
  /** Scenarios run against the large store (null: every scenario that has a large-store cell). */
  scaleScenarios: string[] | null;
  profile: boolean;
  /** Re-render the Markdown (and docs/benchmarks.md for a full run) from a results JSON, without running anything. */
  render: string | null;
  outDir: string;
  /** Extra Tessera settings for every Tessera cell (e.g. TESSERA_LOG_REQUESTS=false). */
  tesseraEnv: Record<string, string>;
  /** Fresh-process samples of `startTessera()` → first answer → close (cell id startTessera:embedded; 0: none). */
  embeddedStarts: number;
}

const usage = `npm run bench -- [options]

  --quick                 short cells (0.5 s warm-up, 1 s peak, 1 s paced), a reduced large store (10,000 apps,
                          100,000 connections) for client_credentials and stable refresh only: < 2 minutes
  (default)               full run: 3 s warm-up, 10 s peak, 5 s paced, 100,000 apps / 1,000,000 connections: < 15 minutes
  --seconds N             peak run length per cell
  --rounds N              run every cell N times, alternating systems, and report the best peak run of each
                          (for a busy machine; the paced run is taken in the first round only)
  --warmup N              warm-up before each peak run
  --paced-seconds N       paced run (at half the peak rate) length per Tessera cell
  --latency-repeats N     repeat each paced run N times (same server, back to back); the table shows the median
                          p99 and its spread (min–max), and the latency target is judged on the median
  --connections N         autocannon connections for peak runs (default 20)
  --alg RS256,ES256       signing algorithms to run
  --only REGEX            only cells whose id matches (ids look like tessera:client_credentials:ES256:empty)
  --embedded-starts N     samples of startTessera() → first answer → close, one fresh process each
                          (cell id startTessera:embedded; default 15, --quick 5, 0 for none)
  --scale APPS,CONNS      size of the large store; --no-scale skips it
  --scale-scenarios A,B   scenarios run against the large store (default: all but jwks; --quick: two)
  --tessera-env K=V       extra TESSERA_* setting for every Tessera cell (repeatable), e.g. TESSERA_LOG_REQUESTS=false
  --profile               instead of the table: CPU profiles (node --cpu-prof) of Tessera's token paths, summarized
  --render FILE.json      re-render the Markdown of an earlier run (and docs/benchmarks.md for full.json)
  --out DIR               where results go (default bench/results)
`;

export function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const options: Options = {
    mode: quick ? 'quick' : 'full',
    rounds: 1,
    seconds: quick ? 1 : 10,
    warmup: quick ? 0.5 : 3,
    pacedSeconds: quick ? 1 : 5,
    connections: 20,
    pacedConnections: 64,
    latencyRepeats: 1,
    algs: ['RS256', 'ES256'],
    only: null,
    scale: quick ? { apps: 10_000, connections: 100_000 } : { apps: 100_000, connections: 1_000_000 },
    scaleScenarios: quick ? ['client_credentials', 'refresh_stable'] : null,
    profile: false,
    render: null,
    outDir: defaultOutDir,
    tesseraEnv: {},
    embeddedStarts: quick ? 5 : 15,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--quick': break;
      case '--seconds': options.seconds = Number(value()); break;
      case '--latency-repeats': options.latencyRepeats = Math.max(1, Math.floor(Number(value()))); break;
      case '--rounds': options.rounds = Math.max(1, Math.floor(Number(value()))); break;
      case '--warmup': options.warmup = Number(value()); break;
      case '--paced-seconds': options.pacedSeconds = Number(value()); break;
      case '--connections': options.connections = Number(value()); break;
      case '--alg': options.algs = value().split(',').map((a) => a.trim().toUpperCase()) as Alg[]; break;
      case '--only': options.only = new RegExp(value()); break;
      case '--no-scale': options.scale = null; break;
      case '--scale-scenarios': options.scaleScenarios = value().split(','); break;
      case '--scale': {
        const [apps, connections] = value().split(',').map(Number);
        options.scale = { apps: apps!, connections: connections! };
        break;
      }
      case '--tessera-env': {
        const [k, ...v] = value().split('=');
        if (!k?.startsWith('TESSERA_')) throw new Error('--tessera-env takes TESSERA_NAME=value');
        options.tesseraEnv[k] = v.join('=');
        break;
      }
      case '--embedded-starts': options.embeddedStarts = Math.max(0, Math.floor(Number(value()))); break;
      case '--profile': options.profile = true; break;
      case '--render': options.render = resolve(value()); break;
      case '--out': options.outDir = resolve(value()); break;
      case '--help': case '-h': process.stdout.write(usage); process.exit(0); break;
      default: throw new Error(`unknown option ${arg}\n\n${usage}`);
    }
  }
  for (const alg of options.algs) if (alg !== 'RS256' && alg !== 'ES256') throw new Error(`--alg: RS256 or ES256, not ${alg}`);
  if (!(options.rounds >= 1 && options.seconds > 0 && options.warmup >= 0 && options.pacedSeconds >= 0 && options.connections > 0)) throw new Error('durations and connections must be positive');
  return options;
}

/** Fixtures sized so a cell can never run out of request-token uses or refresh chains. */
function fixtureCounts(scenario: Scenario, alg: Alg, o: Options): FixtureCounts {
  // Generous upper bounds of what one core could do; a shortfall is reported by the loader.
  const ceiling = alg === 'RS256' ? 2_500 : 15_000;
  const seconds = o.warmup + o.seconds + o.pacedSeconds * o.latencyRepeats + 2;
  return {
    companies: scenario.id === 'authtoken' ? Math.ceil((ceiling * seconds) / 80) : 50,
    refreshTokens: scenario.id === 'refresh_stable' ? (o.mode === 'quick' ? 500 : 2000) : scenario.id === 'refresh_rotating' ? chainTokens(o.connections) : 0,
    accessTokens: scenario.id === 'me' ? 100 : 0,
  };
}

/** The environment of a server child: ours, minus any TESSERA_* of the caller's shell. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TESSERA_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, NODE_ENV: 'production', ...extra };
}

class Bench {
  readonly cells: CellResult[] = [];
  private readonly ceilings = new Map<string, CellResult>();
  private readonly templates = new Map<Alg, string>();
  /** 1-based; ceilings are measured once per round, the paced run only in round 1. */
  round = 1;
  private scaleDir: string | undefined;
  readonly workDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  private readonly logDir: string;

  constructor(readonly o: Options, readonly loader: Loader, readonly port: number) {
    this.logDir = join(this.workDir, 'logs');
    mkdirSync(this.logDir);
  }

  log(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  private async load(cell: string, server: Running, workload: Workload, expect: LoadJob['expect'], paced: boolean) {
    const job = { cell, port: this.port, workload, expect, mode: 'peak', connections: this.o.connections } as const;
    if (this.o.warmup > 0) {
      const warm = await this.loader.run({ ...job, seconds: this.o.warmup });
      if (!warm.ok) return { peak: warm, paced: undefined, peakRssMb: server.memory().peakRssMb };
    }
    const cpuBefore = server.cpuMs();
    const peak = await this.loader.run({ ...job, seconds: this.o.seconds });
    const served = peak.requests + peak.non2xx;
    peak.serverCpuUsPerRequest = served ? Math.round(((server.cpuMs() - cpuBefore) * 1000) / served) : Number.NaN;
    let pacedResult: LoadResult | undefined;
    let pacedP99s: number[] | undefined;
    if (paced && peak.ok && this.o.pacedSeconds > 0 && peak.rps > 0) {
      // Repeated so that one stall of the machine does not decide the figure: the median repeat is reported.
      const runs: LoadResult[] = [];
      for (let i = 0; i < this.o.latencyRepeats; i++) {
        runs.push(await this.loader.run({
          cell, port: this.port, workload, expect, mode: 'paced', seconds: this.o.pacedSeconds, connections: this.o.pacedConnections,
          rate: Math.max(1, Math.floor(peak.rps / 2)),
        }));
      }
      const byP99 = [...runs].sort((a, b) => a.latencyMs.p99 - b.latencyMs.p99);
      pacedResult = byP99[Math.floor((byP99.length - 1) / 2)];
      if (runs.length > 1) pacedP99s = runs.map((r) => r.latencyMs.p99);
    }
    const memory = server.memory();
    this.loader.drop(cell);
    return { peak, paced: pacedResult, pacedP99s, peakRssMb: memory.peakRssMb };
  }

  private record(cell: CellResult): CellResult {
    if (this.o.rounds > 1) cell.round = this.round;
    this.cells.push(cell);
    const p = cell.peak;
    const summary = cell.error
      ? `FAILED: ${cell.error.split('\n')[0]}`
      : `${p?.rps ?? '-'} req/s, p99 ${p?.latencyMs.p99 ?? '-'} ms at peak${cell.paced ? `, p99 ${cell.paced.latencyMs.p99} ms at ${cell.paced.rps} req/s` : ''}, peak RSS ${cell.peakRssMb} MB, start ${cell.startMs} ms${p && !p.ok ? ` (${[p.preflight, ...p.notes].filter(Boolean).join('; ')})` : ''}`;
    this.log(`  ${cell.id.padEnd(46)} ${summary}`);
    return cell;
  }

  async tessera(scenario: Scenario, alg: Alg, store: 'empty' | 'scale', profileDir?: string): Promise<CellResult> {
    const id = `tessera:${scenario.id}:${alg}:${store}`;
    const base = { id, system: 'tessera', scenario: scenario.id, alg, store } as const;
    const dataDir = store === 'scale' ? this.scaleDir! : await this.freshDataDir(alg);
    let server: Running | undefined;
    const seedStart = Date.now();
    try {
      const fixtures: TesseraFixtures = await seedTessera(dataDir, alg, this.port, fixtureCounts(scenario, alg, this.o));
      const seedMs = Date.now() - seedStart;
      const env = childEnv({
        TESSERA_SIGNING_ALG: alg, TESSERA_REFRESH_ROTATION: String(scenario.rotation), TESSERA_REQUEST_TOKEN_MAX_USES: '100',
        ...this.o.tesseraEnv,
      });
      const node = [process.execPath, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${scenario.id}-${alg}.cpuprofile`] : [])];
      server = await startServer({
        argv: [...node, cliBin, 'serve', '--no-seed', '--port', String(this.port), '--data-dir', dataDir],
        env, logFile: join(this.logDir, `${id.replaceAll(':', '_')}.log`), port: this.port, readyPath: '/readyz', ipc: false, core: SERVER_CORE,
      });
      const restRssMb = server.memory().rssMb;
      const { workload, expect } = scenario.tessera(fixtures, this.o.connections);
      const measured = await this.load(id, server, workload, expect, !profileDir && this.round === 1);
      return this.record({ ...base, startMs: server.startMs, restRssMb, seedMs, ...measured });
    } catch (error) {
      return this.record({ ...base, error: (error as Error).message });
    } finally {
      await server?.stop();
      if (store === 'empty') rmSync(dataDir, { recursive: true, force: true });
    }
  }

  /**
   * A new data dir holding only the server key and a signing key of `alg`, copied from a template
   * made once per run: generating an RSA key for every cell would cost seconds over a run.
   */
  private async freshDataDir(alg: Alg): Promise<string> {
    let template = this.templates.get(alg);
    if (!template) {
      template = mkdtempSync(join(this.workDir, `template-${alg}-`));
      await prepareDataDir(template, alg, this.port);
      this.templates.set(alg, template);
    }
    const dir = mkdtempSync(join(this.workDir, 'tessera-'));
    cpSync(template, dir, { recursive: true });
    return dir;
  }

  async peer(scenario: Scenario, alg: Alg): Promise<CellResult | undefined> {
    if (!scenario.peer) return undefined;
    const id = `oidc-provider:${scenario.id}:${alg}`;
    const base = { id, system: 'oidc-provider', scenario: scenario.id, alg, store: null } as const;
    let server: Running | undefined;
    try {
      server = await startServer({
        argv: [process.execPath, join(here, 'peers', 'oidc-provider.js')],
        env: childEnv({ BENCH_TARGET: JSON.stringify({ port: this.port, alg, rotate: scenario.peer.rotate, refreshTokens: scenario.peer.refreshTokens(this.o.connections) }) }),
        logFile: join(this.logDir, `${id.replaceAll(':', '_')}.log`), port: this.port, readyPath: '/jwks', ipc: true, core: SERVER_CORE,
      });
      const restRssMb = server.memory().rssMb;
      const measured = await this.load(id, server, scenario.peer.workload(server.fixtures as PeerFixtures, this.o.connections), scenario.peer.expect, false);
      return this.record({ ...base, startMs: server.startMs, restRssMb, ...measured });
    } catch (error) {
      return this.record({ ...base, error: (error as Error).message });
    } finally {
      await server?.stop();
    }
  }

  async ceiling(spec: CeilingSpec, alg: Alg): Promise<CellResult> {
    const name = spec.kind === 'json' ? 'json' : spec.kind === 'sign' ? `sign${spec.signatures}` : 'verify';
    const id = spec.kind === 'json' ? 'ceiling:json' : `ceiling:${name}:${alg}`;
    const cached = this.ceilings.get(`${this.round}:${id}`);
    if (cached) return cached;
    const base = { id, system: `ceiling-${name}`, scenario: name, alg: spec.kind === 'json' ? null : alg, store: null } as const;
    let server: Running | undefined;
    let cell: CellResult;
    try {
      server = await startServer({
        argv: [process.execPath, join(here, 'peers', 'ceiling.js')],
        env: childEnv({ BENCH_TARGET: JSON.stringify({ port: this.port, kind: spec.kind, alg, signatures: spec.kind === 'sign' ? spec.signatures : 0 }) }),
        logFile: join(this.logDir, `${id.replaceAll(':', '_')}.log`), port: this.port, readyPath: '/healthz', ipc: true, core: SERVER_CORE,
      });
      const restRssMb = server.memory().rssMb;
      const tokens = (server.fixtures as { tokens: string[] }).tokens;
      const workload: Workload = spec.kind === 'verify'
        ? { kind: 'bearer', path: '/me', tokens }
        : spec.kind === 'json' ? { kind: 'static', method: 'GET', path: '/jwks' }
          : { kind: 'static', method: 'POST', path: '/token', form: { grant_type: 'client_credentials', client_id: 'c', client_secret: 's' } };
      const expect = spec.kind === 'sign' ? { jwtField: 'access_token' as const, alg } : {};
      const measured = await this.load(id, server, workload, expect, false);
      cell = this.record({ ...base, startMs: server.startMs, restRssMb, ...measured });
    } catch (error) {
      cell = this.record({ ...base, error: (error as Error).message });
    } finally {
      await server?.stop();
    }
    this.ceilings.set(`${this.round}:${id}`, cell);
    return cell;
  }

  async prepareScale(alg: Alg): Promise<number> {
    this.scaleDir = mkdtempSync(join(this.workDir, 'scale-'));
    const size = this.o.scale!;
    this.log(`seeding the large store: ${size.apps} apps, ${size.connections} connections (once, before the cells)`);
    return seedScale(this.scaleDir, alg, this.port, size, (line) => this.log(line));
  }

  selected(id: string): boolean {
    return !this.o.only || this.o.only.test(id);
  }

  close(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

async function runTable(o: Options, bench: Bench): Promise<Report> {
  const startedAt = new Date();
  const load: { before: number[]; after?: number[] } = { before: loadavg() };
  let scaleSeedSeconds: number | null = null;
  const onScale = (s: Scenario, alg: Alg) => o.scale !== null && s.scale && (!o.scaleScenarios || o.scaleScenarios.includes(s.id))
    && bench.selected(`tessera:${s.id}:${alg}:scale`);
  const wantsScale = o.algs.some((alg) => scenarios(alg).some((s) => onScale(s, alg)));
  if (wantsScale) scaleSeedSeconds = await bench.prepareScale(o.algs[0]!);

  const rounds: Row[][] = [];
  for (let round = 1; round <= o.rounds; round++) {
    bench.round = round;
    const rows: Row[] = [];
    for (const alg of o.algs) {
      for (const scenario of scenarios(alg)) {
        const ceilingId = scenario.ceiling.kind === 'json' ? 'ceiling:json' : `ceiling:${scenario.ceiling.kind === 'sign' ? `sign${scenario.ceiling.signatures}` : 'verify'}:${alg}`;
        const want = {
          tessera: bench.selected(`tessera:${scenario.id}:${alg}:empty`), peer: !!scenario.peer && bench.selected(`oidc-provider:${scenario.id}:${alg}`),
          ceiling: bench.selected(ceilingId), scale: onScale(scenario, alg),
        };
        if (!Object.values(want).some(Boolean)) continue;
        bench.log(`${scenario.label} ${alg}${o.rounds > 1 ? ` (round ${round} of ${o.rounds})` : ''}`);
        const row: Row = { scenario: scenario.id, label: scenario.label, alg, noPeer: scenario.noPeer ?? null };
        if (want.tessera) row.tessera = await bench.tessera(scenario, alg, 'empty');
        if (want.peer) row.peer = await bench.peer(scenario, alg);
        if (want.ceiling) row.ceiling = await bench.ceiling(scenario.ceiling, alg);
        if (want.scale) row.scale = await bench.tessera(scenario, alg, 'scale');
        if (row.tessera || row.peer || row.ceiling || row.scale) rows.push(row);
      }
    }
    rounds.push(rows);
  }
  if (o.embeddedStarts > 0 && bench.selected('startTessera:embedded')) {
    bench.log(`startTessera() → first answer → close, ${o.embeddedStarts} fresh processes`);
    bench.cells.push(...await measureEmbeddedStarts(o.embeddedStarts, canPin ? SERVER_CORE : null));
  }
  const rows = mergeRounds(rounds);
  load.after = loadavg();
  return {
    mode: o.mode, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(),
    machine: machineInfo(load, canPin), settings: {
      rounds: o.rounds, seconds: o.seconds, warmup: o.warmup, pacedSeconds: o.pacedSeconds, latencyRepeats: o.latencyRepeats, connections: o.connections, pacedConnections: o.pacedConnections,
      algs: o.algs, scale: o.scale, scaleSeedSeconds, tesseraEnv: o.tesseraEnv, only: o.only?.source ?? null,
      pinning: canPin ? `server on core ${SERVER_CORE}, load generator on core ${LOADER_CORE} (taskset)` : 'not pinned (taskset missing or one core)',
    },
    rows, cells: bench.cells,
  };
}

/** The best peak run of each cell over the rounds, with the first round's paced run and the highest peak RSS. */
function mergeRounds(rounds: Row[][]): Row[] {
  if (rounds.length === 1) return rounds[0]!;
  const best = (cells: Array<CellResult | undefined>): CellResult | undefined => {
    const present = cells.filter((c): c is CellResult => !!c);
    if (!present.length) return undefined;
    const ok = present.filter((c) => !c.error && c.peak?.ok);
    if (!ok.length) return present[0];
    const winner = ok.reduce((a, b) => (b.peak!.rps > a.peak!.rps ? b : a));
    const withPaced = present.find((c) => c.paced);
    return { ...winner, paced: withPaced?.paced, pacedP99s: withPaced?.pacedP99s, peakRssMb: Math.max(...present.map((c) => c.peakRssMb ?? 0)) };
  };
  return rounds[0]!.map((row, i) => ({
    ...row,
    tessera: best(rounds.map((r) => r[i]?.tessera)),
    peer: best(rounds.map((r) => r[i]?.peer)),
    ceiling: best(rounds.map((r) => r[i]?.ceiling)),
    scale: best(rounds.map((r) => r[i]?.scale)),
  }));
}

async function runProfile(o: Options, bench: Bench): Promise<void> {
  const dir = join(o.outDir, 'profiles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const wanted = new Set(['client_credentials', 'refresh_stable', 'refresh_rotating', 'authtoken', 'me']);
  for (const alg of o.algs) {
    for (const scenario of scenarios(alg)) {
      if (!wanted.has(scenario.id) || !bench.selected(`tessera:${scenario.id}:${alg}:empty`)) continue;
      bench.log(`profiling ${scenario.label} ${alg}`);
      await bench.tessera(scenario, alg, 'empty', dir);
    }
  }
  const markdown = summarizeProfiles(dir, bench.cells);
  writeFileSync(join(o.outDir, 'profile.md'), markdown);
  process.stdout.write(markdown);
  bench.log(`\nprofiles: ${dir}/*.cpuprofile (open in Chrome DevTools or speedscope); summary: ${join(o.outDir, 'profile.md')}`);
}

/**
 * A complete full run replaces the results section of docs/benchmarks.md (between its markers),
 * so the document always shows the latest full table; the prose around it is left alone.
 */
function updateBenchmarksDoc(markdown: string): void {
  const start = '<!-- bench:full:start -->';
  const end = '<!-- bench:full:end -->';
  let doc: string;
  try {
    doc = readFileSync(benchmarksDoc, 'utf8');
  } catch {
    return;
  }
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) return;
  const body = markdown.replace(/^# .*\n/, '').replace(/^## /gm, '### ');
  writeFileSync(benchmarksDoc, `${doc.slice(0, from + start.length)}\n${body}\n${doc.slice(to)}`);
  process.stderr.write(`updated ${benchmarksDoc}\n`);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  mkdirSync(o.outDir, { recursive: true });
  if (o.render) {
    const report = JSON.parse(readFileSync(o.render, 'utf8')) as Report;
    const markdown = renderMarkdown(report);
    writeFileSync(o.render.replace(/\.json$/, '.md'), markdown);
    if (o.render === join(defaultOutDir, 'full.json')) updateBenchmarksDoc(markdown);
    process.stdout.write(`${renderConsole(report)}\n`);
    return;
  }
  if (!canPin) process.stderr.write('warning: taskset or a second core is missing; server and load generator share the CPU\n');
  // The orchestrator shares the load generator's core: while a server starts, the 2 ms polling of
  // its readiness would otherwise compete with it for its core and count in its start time.
  else pinSelf(LOADER_CORE);
  const loader = await Loader.start(join(here, 'loader.js'), LOADER_CORE);
  const bench = new Bench(o, loader, await freePort());
  const started = Date.now();
  try {
    if (o.profile) {
      await runProfile(o, bench);
    } else {
      const report = await runTable(o, bench);
      const name = o.only || o.algs.length < 2 || Object.keys(o.tesseraEnv).length ? `${o.mode}-partial` : o.mode;
      writeFileSync(join(o.outDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(join(o.outDir, `${name}.md`), renderMarkdown(report));
      if (name === 'full' && o.outDir === defaultOutDir) updateBenchmarksDoc(renderMarkdown(report));
      process.stdout.write(`\n${renderConsole(report)}\n`);
      bench.log(`results: ${join(o.outDir, `${name}.json`)} and ${name}.md (${Math.round((Date.now() - started) / 1000)} s)`);
    }
  } finally {
    loader.stop();
    bench.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
