/** The results: one table (console and Markdown), the raw cells (JSON), and the targets checked. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { cpus, release, totalmem } from 'node:os';
import { embeddedStartCheck } from './embedded-start.js';
import type { LoadResult } from './loader.js';
import type { ScenarioId } from './scenarios.js';
import type { Alg } from './workload.js';

export interface CellResult {
  id: string;
  system: string;
  scenario: string;
  alg: Alg | null;
  store: 'empty' | 'scale' | null;
  startMs?: number;
  /** startTessera cells: importing `tessera-server/testing` before the start, and `close()` after the first answer. */
  importMs?: number;
  closeMs?: number;
  /** Tessera: writing the cell's fixtures into the store before the server starts. */
  seedMs?: number;
  restRssMb?: number;
  peakRssMb?: number;
  peak?: LoadResult;
  /** Tessera only: open-loop run at half the peak rate (with --latency-repeats, the repeat of median p99). */
  paced?: LoadResult | undefined;
  /** With --latency-repeats N > 1: the p99 (ms) of each repeat of the paced run, in order. */
  pacedP99s?: number[] | undefined;
  error?: string;
  /** With --rounds: which round this measurement is from. */
  round?: number;
}

export interface Row {
  scenario: ScenarioId;
  label: string;
  alg: Alg;
  noPeer: string | null;
  tessera?: CellResult;
  peer?: CellResult | undefined;
  ceiling?: CellResult;
  scale?: CellResult;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  kernel: string;
  node: string;
  loadAverage: { before: number[]; after?: number[] };
  pinned: boolean;
  versions: Record<string, string>;
}

export interface Report {
  mode: string;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  settings: Record<string, unknown>;
  rows: Row[];
  cells: CellResult[];
}

const require = createRequire(import.meta.url);

function versionOf(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    // A package whose exports map hides package.json: walk up from its entry point.
    try {
      for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
        const file = join(dir, 'package.json');
        if (!existsSync(file)) continue;
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
        if (pkg.name === name) return pkg.version;
      }
    } catch {
      // not installed
    }
    return 'unknown';
  }
}

function gitDescription(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${commit} + uncommitted changes` : commit;
  } catch {
    return 'unknown';
  }
}

export function machineInfo(loadAverage: Machine['loadAverage'], pinned: boolean): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), kernel: release(),
    node: process.version, loadAverage, pinned,
    versions: {
      tessera: `${versionOf('tessera-server')} (${gitDescription()})`, 'oidc-provider': versionOf('oidc-provider'),
      autocannon: versionOf('autocannon'), fastify: versionOf('fastify'), 'better-sqlite3': versionOf('better-sqlite3'),
      jose: versionOf('jose'), koa: versionOf('koa'), pino: versionOf('pino'),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Targets: checked from the cells, each with what was measured.

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
}

const good = (c: CellResult | undefined): c is CellResult & { peak: LoadResult } => !!c && !c.error && !!c.peak && c.peak.ok;
const pct = (x: number) => `${Math.round(x * 100)}%`;
const times = (x: number) => `${x.toFixed(2)}×`;

/** What the ceiling allows: even a server that cost nothing but the ceiling's work would reach this ratio to the peer. */
function bound(row: Row): string {
  return good(row.ceiling) && good(row.peer) ? ` (ceiling ÷ peer: ${times(row.ceiling.peak.rps / row.peer.peak.rps)})` : '';
}

export function checkTargets(report: Report): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const row of report.rows) {
    const t = row.tessera;
    if (!good(t)) continue;
    if (row.scenario === 'client_credentials') {
      if (good(row.peer)) {
        const r = t.peak.rps / row.peer.peak.rps;
        checks.push({ target: `client_credentials ${row.alg} ≥ 3× oidc-provider`, measured: `${times(r)}${bound(row)}`, met: r >= 3 });
      }
      if (good(row.ceiling)) {
        const r = t.peak.rps / row.ceiling.peak.rps;
        checks.push({ target: `client_credentials ${row.alg} ≥ 70% of node:http + 1 signature`, measured: pct(r), met: r >= 0.7 });
      }
    }
    if ((row.scenario === 'refresh_stable' || row.scenario === 'refresh_rotating') && good(row.peer)) {
      const r = t.peak.rps / row.peer.peak.rps;
      checks.push({ target: `${row.label} ${row.alg} (durable in SQLite) ≥ 3× oidc-provider (in memory)`, measured: `${times(r)}${bound(row)}`, met: r >= 3 });
    }
    if ((row.scenario === 'refresh_stable' || row.scenario === 'refresh_rotating' || row.scenario === 'authtoken') && good(row.ceiling)) {
      const r = t.peak.rps / row.ceiling.peak.rps;
      const floor = row.scenario === 'authtoken' ? 0.5 : 0.6;
      checks.push({ target: `${row.label} ${row.alg} ≥ ${pct(floor)} of node:http + 2 signatures`, measured: pct(r), met: r >= floor });
    }
    if (row.scale && good(row.scale)) {
      const change = row.scale.peak.rps / t.peak.rps - 1;
      checks.push({ target: `${row.label} ${row.alg}: large store within 10% of the empty store`, measured: `${change >= 0 ? '+' : ''}${pct(change)}`, met: change >= -0.1 });
    }
  }
  const tessera = report.cells.filter((c) => c.system === 'tessera' && !c.error);
  // The JWKS cell is reported, not judged: there the load generator is the limit.
  const paced = tessera.filter((c) => c.paced && c.paced.requests > 0 && c.scenario !== 'jwks');
  for (const alg of [...new Set(paced.map((c) => c.alg))]) {
    const cells = paced.filter((c) => c.alg === alg);
    const worst = cells.reduce((a, b) => (b.paced!.latencyMs.p99 > a.paced!.latencyMs.p99 ? b : a));
    const repeats = worst.pacedP99s && worst.pacedP99s.length > 1 ? `median of ${worst.pacedP99s.length} repeats ${spread(worst.pacedP99s)}` : 'one run';
    checks.push({
      target: `p99 < 10 ms at half the peak rate (every Tessera ${alg} cell but JWKS)`,
      measured: `worst ${worst.paced!.latencyMs.p99} ms (${worst.id}; ${repeats})`, met: worst.paced!.latencyMs.p99 < 10,
    });
  }
  if (tessera.length) {
    const worst = tessera.reduce((a, b) => ((b.peakRssMb ?? 0) > (a.peakRssMb ?? 0) ? b : a));
    checks.push({ target: 'peak RSS < 150 MB (every Tessera cell)', measured: `worst ${worst.peakRssMb} MB (${worst.id})`, met: (worst.peakRssMb ?? 0) < 150 });
    for (const store of ['empty', 'scale'] as const) {
      const cells = tessera.filter((c) => c.store === store && c.startMs !== undefined);
      if (!cells.length) continue;
      const worstStart = cells.reduce((a, b) => (b.startMs! > a.startMs! ? b : a));
      checks.push({
        target: `start to first answered request < 300 ms, median (${store === 'empty' ? 'small' : 'large'} store)`,
        measured: `median ${median(cells.map((c) => c.startMs!))} ms, worst ${worstStart.startMs} ms`, met: median(cells.map((c) => c.startMs!)) < 300,
      });
    }
  }
  const embedded = embeddedStartCheck(report.cells);
  if (embedded) checks.push(embedded);
  return checks;
}

/** The spread of repeated figures, as "(min–max)". */
function spread(values: number[]): string {
  return `(${Math.min(...values)}–${Math.max(...values)})`;
}

/** A paced p99, with the spread of its repeats when there were several. */
function p99AtHalf(c: CellResult | undefined): string {
  const value = ms(c?.paced?.latencyMs.p99);
  return c?.pacedP99s && c.pacedP99s.length > 1 ? `${value} ${spread(c.pacedP99s)}` : value;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// ---------------------------------------------------------------------------------------------
// Rendering.

const num = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US'));
const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n < 10 ? n.toFixed(2) : n.toFixed(1));

function rps(c: CellResult | undefined): string {
  if (!c) return '–';
  if (c.error) return 'failed';
  if (!c.peak) return '–';
  if (c.peak.preflight) return 'wrong answer';
  return `${num(c.peak.rps)}${c.peak.ok ? '' : ' !'}${c.peak.loaderCpu >= 0.9 ? ' ^' : ''}`;
}

function ratio(a: CellResult | undefined, b: CellResult | undefined, asPercent: boolean): string {
  if (!good(a) || !good(b) || !b.peak.rps) return '–';
  const r = a.peak.rps / b.peak.rps;
  return asPercent ? pct(r) : times(r);
}

function ceilingName(row: Row): string {
  if (!row.ceiling) return '–';
  return row.ceiling.system === 'ceiling-json' ? 'http fixed JSON'
    : row.ceiling.system === 'ceiling-verify' ? 'http + 1 verify'
      : `http + ${row.ceiling.system.slice(-1)} sig`;
}

const headers = ['Scenario', 'Alg', 'Tessera req/s', 'Peer', 'Peer req/s', 'Tessera/peer', 'Ceiling', 'Ceiling req/s', '% of ceiling',
  'p50 @½ ms', 'p99 @½ ms', 'p99 @peak ms', 'Peak RSS MB', 'CPU µs/req T / peer / ceil'];

const cpu = (c: CellResult | undefined) => (good(c) && c.peak.serverCpuUsPerRequest !== undefined ? num(c.peak.serverCpuUsPerRequest) : '–');

function mainRows(report: Report): string[][] {
  return report.rows.map((row) => [
    row.label, row.alg, rps(row.tessera), row.peer ? 'oidc-provider' : row.noPeer ? 'none (see note)' : '–', rps(row.peer),
    ratio(row.tessera, row.peer, false), ceilingName(row), rps(row.ceiling), ratio(row.tessera, row.ceiling, true),
    ms(row.tessera?.paced?.latencyMs.p50), p99AtHalf(row.tessera), ms(row.tessera?.peak?.latencyMs.p99),
    num(row.tessera?.peakRssMb), `${cpu(row.tessera)} / ${cpu(row.peer)} / ${cpu(row.ceiling)}`,
  ]);
}

const scaleHeaders = ['Scenario', 'Alg', 'Empty store req/s', 'Large store req/s', 'Change', 'p99 @½ ms (large)', 'Start ms (large)', 'RSS at rest MB (large)', 'Peak RSS MB (large)'];

function scaleRows(report: Report): string[][] {
  return report.rows.filter((r) => r.scale).map((row) => {
    const change = good(row.tessera) && good(row.scale) ? row.scale.peak.rps / row.tessera.peak.rps - 1 : Number.NaN;
    return [row.label, row.alg, rps(row.tessera), rps(row.scale), Number.isNaN(change) ? '–' : `${change >= 0 ? '+' : ''}${pct(change)}`,
      p99AtHalf(row.scale), num(row.scale?.startMs), num(row.scale?.restRssMb), num(row.scale?.peakRssMb)];
  });
}

const startHeaders = ['System', 'Store', 'Cells', 'Start to first answer ms (median / worst)', 'RSS at rest MB (median)', 'Peak RSS MB (worst)'];

function startRows(report: Report): string[][] {
  const groups = new Map<string, CellResult[]>();
  for (const c of report.cells) {
    if (c.error || c.startMs === undefined) continue;
    const key = `${c.system}|${c.store ?? '–'}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups].map(([key, cells]) => {
    const [system, store] = key.split('|');
    return [system!, store === 'scale' ? 'large' : store === 'empty' ? 'small' : '–', String(cells.length),
      `${median(cells.map((c) => c.startMs!))} / ${Math.max(...cells.map((c) => c.startMs!))}`,
      num(median(cells.map((c) => c.restRssMb ?? Number.NaN))), num(Math.max(...cells.map((c) => c.peakRssMb ?? Number.NaN)))];
  });
}

function problems(report: Report): string[] {
  const lines: string[] = [];
  for (const c of report.cells) {
    if (c.error) lines.push(`${c.id}: failed: ${c.error.split('\n')[0]}`);
    for (const run of [c.peak, c.paced]) {
      if (!run) continue;
      if (run.preflight) lines.push(`${c.id}: the check request got a wrong answer: ${run.preflight}`);
      for (const note of run.notes) lines.push(`${c.id}: ${note}`);
      if (run.loaderCpu >= 0.9) lines.push(`${c.id}: the load generator used ${pct(run.loaderCpu)} of its core (${run === c.paced ? 'paced' : 'peak'} run): the figure may be the loader's limit (^)`);
    }
  }
  return lines;
}

function markdownTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function textTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderConsole(report: Report): string {
  const parts = [textTable(headers, mainRows(report))];
  const scale = scaleRows(report);
  if (scale.length) parts.push(`Large store (${describeScale(report)}):\n${textTable(scaleHeaders, scale)}`);
  parts.push(textTable(startHeaders, startRows(report)));
  const checks = checkTargets(report);
  if (checks.length) parts.push(textTable(['Target', 'Measured', 'Met'], checks.map((c) => [c.target, c.measured, c.met ? 'yes' : 'NO'])));
  const issues = problems(report);
  if (issues.length) parts.push(`Problems:\n${issues.map((l) => `  - ${l}`).join('\n')}`);
  return parts.join('\n\n');
}

function describeScale(report: Report): string {
  const scale = report.settings.scale as { apps: number; connections: number } | null;
  return scale ? `${num(scale.apps)} apps, ${num(scale.connections)} connections` : 'none';
}

export function renderMarkdown(report: Report): string {
  const m = report.machine;
  const s = report.settings;
  const out = [
    `# Tessera benchmark: ${report.mode} run`,
    '',
    `${report.startedAt} → ${report.finishedAt}. Generated by \`npm run bench${report.mode === 'quick' ? ' -- --quick' : ''}\`; raw figures in the JSON file beside this one.`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Linux ${m.kernel}, Node ${m.node}; load average before ${m.loadAverage.before.map((x) => x.toFixed(2)).join(' ')}, after ${(m.loadAverage.after ?? []).map((x) => x.toFixed(2)).join(' ')}`,
    `- Versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- Settings: ${Number(s.rounds) > 1 ? `best of ${String(s.rounds)} rounds; ` : ''}${s.warmup} s warm-up + ${s.seconds} s peak per cell with ${s.connections} connections (autocannon); Tessera cells then ${s.pacedSeconds} s paced at half the peak rate${Number(s.latencyRepeats) > 1 ? ` × ${String(s.latencyRepeats)} (median p99 reported, spread in brackets)` : ''} (open loop, at most ${s.pacedConnections} in flight); ${String(s.pinning)}; large store ${describeScale(report)}${s.scaleSeedSeconds ? ` (seeded in ${Number(s.scaleSeedSeconds).toFixed(0)} s)` : ''}${Object.keys(s.tesseraEnv as object).length ? `; Tessera settings ${JSON.stringify(s.tesseraEnv)}` : ''}${s.only ? `; only cells matching /${String(s.only)}/` : ''}`,
    '',
    markdownTable(headers, mainRows(report)),
    '',
    '`!` = some requests failed (see Problems); `^` = the load generator was near its own limit. Latency `@½` is measured open-loop at half of Tessera\'s peak rate, from when each request was due.',
  ];
  const notes = report.rows.filter((r) => r.noPeer).map((r) => `- ${r.label}: ${r.noPeer}`);
  if (notes.length) out.push('', ...[...new Set(notes)]);
  const scale = scaleRows(report);
  if (scale.length) out.push('', `## Large store: ${describeScale(report)}`, '', markdownTable(scaleHeaders, scale));
  out.push('', '## Start and memory', '', markdownTable(startHeaders, startRows(report)));
  const checks = checkTargets(report);
  if (checks.length) out.push('', '## Targets', '', markdownTable(['Target', 'Measured', 'Met'], checks.map((c) => [c.target, c.measured, c.met ? 'yes' : '**no**'])));
  const issues = problems(report);
  out.push('', '## Problems', '', issues.length ? issues.map((l) => `- ${l}`).join('\n') : 'None: every request of every cell was answered 2xx.');
  return `${out.join('\n')}\n`;
}
