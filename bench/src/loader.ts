/**
 * The load generator: a separate process (pinned to its own core by the orchestrator) that takes
 * jobs over IPC and answers measurements. Two kinds of run:
 *
 * - `peak`: autocannon, a fixed number of keep-alive connections sending back to back for a
 *   bounded time (closed loop). Gives the highest rate the server sustains.
 * - `paced`: an open-loop client that sends at a fixed rate, evenly spaced, and measures each
 *   latency from the moment the request was *due* (so a stall is not hidden by the client
 *   waiting: no coordinated omission). autocannon's own rate limit sends each second's quota in
 *   a burst, which would measure queueing at peak, not latency at a given rate.
 *
 * Only 127.0.0.1 is ever targeted; every run is bounded in time.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { checkAnswer, createSource, type Expectation, type RequestSource, type Workload } from './workload.js';

export interface LoadJob {
  /** Sources persist per cell, so a refresh chain carries on from one run to the next. */
  cell: string;
  port: number;
  workload: Workload;
  expect: Expectation;
  mode: 'peak' | 'paced';
  seconds: number;
  /** peak: connections; paced: most requests in flight at once. */
  connections: number;
  warmupSeconds?: number;
  /** paced: requests per second. */
  rate?: number;
}

export interface LoadResult {
  ok: boolean;
  preflight?: string;
  seconds: number;
  requests: number;
  rps: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Share of one core the loader itself used: near 1.0 means the loader, not the server, was the limit. */
  loaderCpu: number;
  /**
   * Peak runs: CPU time the server process used (all threads) per request answered, µs. Far less
   * sensitive than req/s to other work on the machine, so the figure to compare on a busy one.
   */
  serverCpuUsPerRequest?: number;
  notes: string[];
}

const sources = new Map<string, RequestSource>();

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

class Latencies {
  private values = new Float64Array(1 << 16);
  private count = 0;
  add(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }
  summary(): LoadResult['latencyMs'] {
    const sorted = this.values.slice(0, this.count).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    const round = (v: number) => Math.round(v * 1000) / 1000;
    return {
      p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)),
      max: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN), mean: round(sorted.length ? sum / sorted.length : Number.NaN),
    };
  }
}

function send(port: number, agent: http.Agent | false, source: RequestSource): Promise<{ status: number; body: string }> {
  const request = source.next();
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method: request.method, path: request.path, agent,
      headers: { ...request.headers, ...(request.body !== undefined ? { 'content-length': Buffer.byteLength(request.body) } : {}) },
      timeout: 10_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        source.onResponse(res.statusCode ?? 0, body);
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 10 s')));
    req.on('error', reject);
    req.end(request.body);
  });
}

async function peak(job: LoadJob, source: RequestSource): Promise<Omit<LoadResult, 'ok' | 'preflight' | 'loaderCpu' | 'notes'>> {
  const latencies = new Latencies();
  const requests: autocannon.Request[] = [{
    setupRequest: (req) => {
      const next = source.next();
      return { ...req, method: next.method, path: next.path, headers: next.headers, body: next.body };
    },
    ...(source.wantsBody ? { onResponse: (status: number, body: string) => source.onResponse(status, body) } : {}),
  }];
  const options: autocannon.Options = {
    url: `http://127.0.0.1:${job.port}`,
    connections: job.connections,
    pipelining: 1,
    duration: job.seconds,
    timeout: 10,
    requests,
    ...(job.warmupSeconds ? { warmup: { connections: job.connections, duration: job.warmupSeconds } } : {}),
  } as autocannon.Options;
  // Promise mode (no callback): the only one in which autocannon honours `warmup`; the
  // instance's 'response' events are those of the measured run only.
  const instance = autocannon(options) as unknown as autocannon.Instance;
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.add(responseTime);
  });
  const result = await (instance as unknown as Promise<autocannon.Result>);
  const ok2xx = result['2xx'];
  const codes: Record<string, number> = {};
  for (const [code, stat] of Object.entries((result as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats ?? {})) {
    codes[code] = stat.count;
  }
  return {
    seconds: result.duration, requests: ok2xx, rps: Math.round(ok2xx / result.duration), non2xx: result.non2xx,
    errors: result.errors + result.timeouts, statusCodes: codes, latencyMs: latencies.summary(),
  };
}

async function paced(job: LoadJob, source: RequestSource): Promise<Omit<LoadResult, 'ok' | 'preflight' | 'loaderCpu' | 'notes'>> {
  const rate = job.rate!;
  const total = Math.max(1, Math.round(rate * job.seconds));
  const interval = 1000 / rate;
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const latencies = new Latencies();
  const codes: Record<string, number> = {};
  let errors = 0;
  let ok = 0;
  let done = 0;
  const start = performance.now() + 5;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const finish = () => {
      if (++done === total) resolve();
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const due = start + sent * interval;
        sent++;
        send(job.port, agent, source).then(({ status }) => {
          codes[status] = (codes[status] ?? 0) + 1;
          if (status >= 200 && status < 300) {
            ok++;
            latencies.add(performance.now() - due);
          }
        }, () => {
          errors++;
        }).finally(finish);
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
  agent.destroy();
  const seconds = (performance.now() - start) / 1000;
  return {
    seconds: Math.round(seconds * 100) / 100, requests: ok, rps: Math.round(ok / seconds), non2xx: total - ok - errors,
    errors, statusCodes: codes, latencyMs: latencies.summary(),
  };
}

async function run(job: LoadJob): Promise<LoadResult> {
  let source = sources.get(job.cell);
  if (!source) {
    source = createSource(job.workload);
    sources.set(job.cell, source);
  }
  const preflightAnswer = await send(job.port, false, source).catch((error: Error) => ({ status: 0, body: error.message }));
  const problem = checkAnswer(job.expect, preflightAnswer.status, preflightAnswer.body);
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const measured = problem
    ? { seconds: 0, requests: 0, rps: 0, non2xx: 0, errors: 0, statusCodes: {}, latencyMs: { p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN } }
    : job.mode === 'peak' ? await peak(job, source) : await paced(job, source);
  const cpu = process.cpuUsage(cpuBefore);
  const wall = performance.now() - wallBefore;
  const notes = source.notes();
  if (measured.non2xx || measured.errors) notes.push(`${measured.non2xx} non-2xx, ${measured.errors} errors/timeouts: ${JSON.stringify(measured.statusCodes)}`);
  return {
    ok: !problem && measured.non2xx === 0 && measured.errors === 0,
    ...(problem ? { preflight: problem } : {}),
    ...measured,
    loaderCpu: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 100) / 100,
    notes,
  };
}

process.on('message', (message: { job: LoadJob; id: number } | { drop: string }) => {
  if ('drop' in message) {
    sources.delete(message.drop);
    return;
  }
  run(message.job).then(
    (result) => process.send!({ id: message.id, result }),
    (error: Error) => process.send!({ id: message.id, error: error.stack ?? error.message }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
