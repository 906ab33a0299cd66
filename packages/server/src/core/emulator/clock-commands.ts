/**
 * Moving the emulator's clock (docs/emulator.md): `{"advance":"181d"}`, `{"set":"<ISO>"}` or
 * `{"reset":true}`, exactly one of them.
 */
import { z } from 'zod';
import type { MovableClock } from '../clock.js';
import { invalidField, parseInput } from '../validation.js';

const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The furthest one move may go: a century (beyond it dates stop being useful, and ms lose precision). */
const maxMoveMs = 100 * 366 * unitMs.d;

/**
 * Milliseconds in `181d`, `25h`, `90m`, `30s` or ISO-8601 `P181D`, `PT25H`, `P1DT2H30M`
 * (days, hours, minutes, seconds: months and years have no fixed length). Undefined when it is none of these.
 */
export function parseDuration(text: string): number | undefined {
  const short = /^(\d{1,9})([smhd])$/.exec(text.trim());
  if (short) return Number(short[1]) * unitMs[short[2] as keyof typeof unitMs];
  const iso = /^P(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9})S)?)?$/i.exec(text.trim());
  if (!iso || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const [, d = '0', h = '0', m = '0', s = '0'] = iso;
  return Number(d) * unitMs.d + Number(h) * unitMs.h + Number(m) * unitMs.m + Number(s) * unitMs.s;
}

const ClockMoveSchema = z.object({
  advance: z.string().max(64).optional(),
  set: z.string().max(64).optional(),
  reset: z.literal(true).optional(),
}).strict();

export interface ClockView {
  now: string;
  offsetSeconds: number;
}

export const clockView = (clock: MovableClock): ClockView => ({
  now: new Date(clock.now()).toISOString(), offsetSeconds: Math.round(clock.offset() / 1000),
});

/** What a move did, for the audit trail. */
export interface ClockMove {
  kind: 'advance' | 'set' | 'reset';
  fromMs: number;
  toMs: number;
}

/** Validates one move (a 400 naming the field) and makes it. */
export function moveClock(clock: MovableClock, input: unknown): ClockMove {
  const move = parseInput(ClockMoveSchema, input);
  const given = [move.advance, move.set, move.reset].filter((v) => v !== undefined).length;
  if (given !== 1) throw invalidField('', 'send exactly one of advance, set, reset');
  const fromMs = clock.now();
  if (move.advance !== undefined) {
    const ms = parseDuration(move.advance);
    if (ms === undefined || ms > maxMoveMs) throw invalidField('advance', 'must be a duration like 181d, 25h, 90m, 30s or P181D (at most a century)');
    clock.advance(ms);
    return { kind: 'advance', fromMs, toMs: clock.now() };
  }
  if (move.set !== undefined) {
    const ms = /^\d{4}-\d{2}-\d{2}T/.test(move.set) ? Date.parse(move.set) : Number.NaN;
    if (!Number.isFinite(ms) || Math.abs(ms - Date.now()) > maxMoveMs) {
      throw invalidField('set', 'must be an ISO-8601 date and time like 2027-06-01T00:00:00Z (within a century of now)');
    }
    clock.set(ms);
    return { kind: 'set', fromMs, toMs: clock.now() };
  }
  clock.reset();
  return { kind: 'reset', fromMs, toMs: clock.now() };
}
