/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`): self time per function and per area
 * (Tessera's own code, each dependency, Node internals, native code, GC), idle excluded.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { join } from 'node:path';
import type { CellResult } from './report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, name: string): string {
  if (!url) {
    if (name === '(garbage collector)') return 'GC';
    if (name === '(program)') return 'native (V8, libuv, OpenSSL, SQLite)';
    return 'native';
  }
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  const own = /packages\/([^/]+)\/(?:dist|src)\/(.+)$/.exec(url);
  if (own) return `tessera ${own[1]}`;
  return url;
}

/**
 * The CLI loads the server as one bundle (packages/server/scripts/bundle.mjs); its source map
 * gives each frame back its original file (Fastify, pino, Tessera's own), so time is charged there.
 */
const bundleMaps = new Map<string, SourceMap | null>();
function unbundled(frame: ProfileNode['callFrame']): { url: string; lineNumber: number } {
  if (!frame.url.endsWith('/dist/bundle/index.js')) return frame;
  let map = bundleMaps.get(frame.url);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(new URL(`${frame.url}.map`), 'utf8')) as SourceMapPayload);
    } catch {
      map = null;
    }
    bundleMaps.set(frame.url, map);
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
  if (!entry?.originalSource) return frame;
  return { url: new URL(entry.originalSource, frame.url).href, lineNumber: entry.originalLine ?? 0 };
}

function location(url: string, line: number): string {
  const short = url.replace(/^file:\/\/.*?(node_modules|packages)\//, '$1/');
  return short ? `${short}:${line + 1}` : '';
}

/** Self time per function from `skipMs` after the profile started (so start-up is left out). */
export function summarizeProfile(file: string, skipMs = 0, top = 20): { lines: string[]; totalMs: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let elapsedUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    elapsedUs += profile.timeDeltas[i] ?? 0;
    if (elapsedUs < skipMs * 1000) continue;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** The nearest frame of JavaScript that is not Node's own: who asked for the native or internal work. */
  const owner = (id: number): ProfileNode | undefined => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur)!.callFrame.url;
      if (url && !url.startsWith('node:')) return byId.get(cur);
    }
    return undefined;
  };
  const functions = new Map<string, { ms: number; area: string }>();
  const owners = new Map<string, { ms: number; area: string }>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const { functionName } = node.callFrame;
    const { url, lineNumber } = unbundled(node.callFrame);
    if (functionName === '(idle)') continue;
    const name = functionName || '(anonymous)';
    const key = `${name} ${location(url, lineNumber)}`.trim();
    const a = area(url, name);
    const entry = functions.get(key) ?? { ms: 0, area: a };
    entry.ms += us / 1000;
    functions.set(key, entry);
    areas.set(a, (areas.get(a) ?? 0) + us / 1000);
    total += us / 1000;
    const o = owner(id);
    const of = o && unbundled(o.callFrame);
    const ownerKey = o && of ? `${o.callFrame.functionName || '(anonymous)'} ${location(of.url, of.lineNumber)}` : name;
    const ownerEntry = owners.get(ownerKey) ?? { ms: 0, area: of ? area(of.url, '') : a };
    ownerEntry.ms += us / 1000;
    owners.set(ownerKey, ownerEntry);
  }
  const share = (x: number) => `${((100 * x) / total).toFixed(1)}%`;
  const lines = [
    '| Self time | Area |', '| ---: | --- |',
    ...[...areas].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([a, t]) => `| ${share(t)} | ${a} |`),
    '',
    '| Self time | Function | Area |', '| ---: | --- | --- |',
    ...[...functions].sort((a, b) => b[1].ms - a[1].ms).slice(0, top).map(([k, v]) => `| ${share(v.ms)} | \`${k}\` | ${v.area} |`),
    '',
    'The same time charged to the nearest function outside Node itself (what asked for the native or internal work):',
    '',
    '| Time | Function | Area |', '| ---: | --- | --- |',
    ...[...owners].sort((a, b) => b[1].ms - a[1].ms).slice(0, top).map(([k, v]) => `| ${share(v.ms)} | \`${k}\` | ${v.area} |`),
  ];
  return { lines, totalMs: total };
}

export function summarizeProfiles(dir: string, cells: CellResult[]): string {
  const out = ['# Tessera CPU profiles', '', 'Self time of the server process (node --cpu-prof) over a warm-up and a peak run of each scenario; start-up and idle time excluded. Profiling slows the server; the rates below are for orientation only.', ''];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    const name = file.replace(/\.cpuprofile$/, '');
    const cell = cells.find((c) => `${c.scenario}-${c.alg}` === name);
    const { lines, totalMs } = summarizeProfile(join(dir, file), (cell?.startMs ?? 0) + 100);
    out.push(`## ${name}`, '', `${cell?.peak ? `${cell.peak.rps} req/s under the profiler; ` : ''}${(totalMs / 1000).toFixed(1)} s of CPU sampled.`, '', ...lines, '');
  }
  return out.join('\n');
}
