/**
 * The embedded server's start (docs/benchmarks.md "Start"): `startTessera()` → first answered
 * request → `close()`, as an integrator's test file does it, in a fresh Node process per sample
 * (a test worker loads the module cold). Reported as a median against a ceiling, never asserted
 * in a test: timings belong here, where the machine is known and quiet.
 *
 * `node bench/dist/embedded-start.js [N]` measures alone; `npm run bench` adds the cells.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CellResult } from './report.js';

/** What a test suite can afford per file for a whole Tessera: the target the median is held to. */
export const EmbeddedStartCeilingMs = 1000;

interface Sample {
  importMs: number;
  startMs: number;
  closeMs: number;
}

/** One sample, in this (fresh) process: prints its timings as one JSON line. */
async function child(): Promise<void> {
  const began = performance.now();
  const { startTessera } = await import('tessera-server/testing');
  const imported = performance.now();
  const tessera = await startTessera();
  const answer = await fetch(`${tessera.url}/readyz`);
  if (answer.status !== 200) throw new Error(`/readyz answered ${answer.status}`);
  await answer.arrayBuffer();
  const answered = performance.now();
  await tessera.close();
  const closed = performance.now();
  const sample: Sample = { importMs: imported - began, startMs: answered - imported, closeMs: closed - answered };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

function runChild(core: number | null): Promise<Sample> {
  const argv = [process.execPath, fileURLToPath(import.meta.url), '--child'];
  const [command, args] = core === null ? [argv[0]!, argv.slice(1)] : ['taskset', ['-c', String(core), ...argv]];
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`the embedded start sample exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Sample);
    });
  });
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** `samples` starts, one fresh process each (pinned to `core` when given): one cell per sample. */
export async function measureEmbeddedStarts(samples: number, core: number | null): Promise<CellResult[]> {
  const cells: CellResult[] = [];
  for (let i = 0; i < samples; i++) {
    const id = 'startTessera:embedded';
    try {
      const sample = await runChild(core);
      cells.push({
        id, system: 'startTessera', scenario: 'embedded', alg: null, store: null,
        startMs: round1(sample.startMs), importMs: round1(sample.importMs), closeMs: round1(sample.closeMs),
      });
    } catch (error) {
      cells.push({ id, system: 'startTessera', scenario: 'embedded', alg: null, store: null, error: (error as Error).message });
    }
  }
  return cells;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The target line: the median start (and its close) as a ratio of the ceiling. */
export function embeddedStartCheck(cells: CellResult[]): { target: string; measured: string; met: boolean } | undefined {
  const good = cells.filter((c) => c.system === 'startTessera' && !c.error && c.startMs !== undefined);
  if (!good.length) return undefined;
  const start = median(good.map((c) => c.startMs!));
  const close = median(good.map((c) => c.closeMs ?? 0));
  const imported = median(good.map((c) => c.importMs ?? 0));
  return {
    target: `startTessera() to first answered request < ${EmbeddedStartCeilingMs} ms (median of ${good.length} fresh processes)`,
    measured: `median ${round1(start)} ms = ${(start / EmbeddedStartCeilingMs).toFixed(2)} of the ceiling (worst ${Math.max(...good.map((c) => c.startMs!))} ms; `
      + `then close ${round1(close)} ms; importing the module before it ${round1(imported)} ms)`,
    met: start < EmbeddedStartCeilingMs,
  };
}

if (process.argv.includes('--child')) {
  child().catch((error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  });
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const samples = Number(process.argv[2] ?? 9);
  measureEmbeddedStarts(samples, null).then((cells) => {
    for (const cell of cells) process.stdout.write(`${cell.error ?? `start ${cell.startMs} ms, close ${cell.closeMs} ms, import ${cell.importMs} ms`}\n`);
    const check = embeddedStartCheck(cells);
    process.stdout.write(`${check ? `${check.target}: ${check.measured} → ${check.met ? 'met' : 'NOT met'}` : 'no sample succeeded'}\n`);
  }, (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  });
}
