/**
 * Faults on demand (docs/emulator.md, docs/protocol.md Decision 19): rules that make the next
 * matching requests fail the way a real deployment sometimes does. The rules live in this node's
 * memory only; counting is synchronous, so two concurrent requests never both take the last one.
 */
import { randomUUID } from 'node:crypto';
import { isConcurCode } from 'tessera-protocol';
import { z } from 'zod';
import { invalidField, parseInput } from '../validation.js';

/** The longest delay a rule may ask for: a test waits, a node does not hang. */
export const MaxFaultDelayMs = 60_000;
/** Rules held at once (bounded memory; these routes are unauthenticated). */
export const MaxFaultRules = 100;

const text = z.string().min(1).max(2048);

export const FaultMatchSchema = z.object({
  /** Exact path (no query; a trailing slash is ignored), or a prefix ending in `*`. */
  path: text.optional(),
  grantType: text.optional(),
  clientId: text.optional(),
  /** A login id or company UUID sent as `username`, an OTP's `channel_handle`, or the `sub` of the Bearer token. */
  principal: text.optional(),
  /** The datacenter answering: its name or its base URL (geolocation). */
  datacenter: text.optional(),
}).strict();

export const FaultEffectSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('concur-error'), code: z.number().int().refine(isConcurCode, 'not a Concur error code of docs/protocol.md §3') }).strict(),
  z.object({ type: z.literal('http-status'), status: z.number().int().min(500).max(599) }).strict(),
  z.object({ type: z.literal('delay'), ms: z.number().int().min(0).max(MaxFaultDelayMs) }).strict(),
  z.object({ type: z.literal('drop') }).strict(),
  z.object({ type: z.literal('truncate') }).strict(),
]);

export const NewFaultSchema = z.object({
  match: FaultMatchSchema.default({}),
  effect: FaultEffectSchema,
  /** Fire for the next N matching requests, then the rule is gone. Without it: until cleared. */
  times: z.number().int().min(1).max(1_000_000).optional(),
  /** Fire for this share of the matching requests (default 1). */
  probability: z.number().min(0).max(1).optional(),
}).strict();

export type FaultMatch = z.output<typeof FaultMatchSchema>;
export type FaultEffect = z.output<typeof FaultEffectSchema>;
export type NewFault = z.output<typeof NewFaultSchema>;

export interface FaultRule {
  id: string;
  match: FaultMatch;
  effect: FaultEffect;
  /** How many more times it fires; null: until cleared. */
  remaining: number | null;
  probability: number;
  /** How many times it has fired. */
  fired: number;
  createdAt: string;
}

/** What a request offers to be matched on. */
export interface RequestFacts {
  path: string;
  grantType?: string | undefined;
  clientId?: string | undefined;
  /** Every principal the request names (its `username` or `channel_handle`, its Bearer token's `sub`). */
  principals: readonly string[];
  /** The names the answering datacenter goes by (its name, its base URL). */
  datacenters: readonly string[];
}

const trimSlash = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function pathMatches(pattern: string, path: string): boolean {
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return trimSlash(pattern) === trimSlash(path);
}

/** Whether every criterion a rule names holds for the request (a rule without criteria matches every request). */
export function faultMatches(match: FaultMatch, facts: RequestFacts): boolean {
  if (match.path !== undefined && !pathMatches(match.path, facts.path)) return false;
  if (match.grantType !== undefined && match.grantType !== facts.grantType) return false;
  if (match.clientId !== undefined && !(facts.clientId && same(match.clientId, facts.clientId))) return false;
  if (match.principal !== undefined && !facts.principals.some((p) => same(p, match.principal!))) return false;
  if (match.datacenter !== undefined) {
    const wanted = trimSlash(match.datacenter);
    if (!facts.datacenters.some((d) => same(trimSlash(d), wanted))) return false;
  }
  return true;
}

export class FaultRules {
  private rules: FaultRule[] = [];

  constructor(private readonly now: () => number, private readonly random: () => number = Math.random) {}

  /** Validates `input` (a 400 naming the bad fields) and adds the rule; it is tried after the older ones. */
  add(input: unknown): FaultRule {
    const fault = parseInput(NewFaultSchema, input);
    if (this.rules.length >= MaxFaultRules) throw invalidField('faults', `at most ${MaxFaultRules} rules at once; clear some first`);
    const rule: FaultRule = {
      id: randomUUID(), match: fault.match, effect: fault.effect, remaining: fault.times ?? null,
      probability: fault.probability ?? 1, fired: 0, createdAt: new Date(this.now()).toISOString(),
    };
    this.rules.push(rule);
    return { ...rule };
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** Removes one rule (answers whether it existed), or all of them (answers true). */
  clear(id?: string): boolean {
    if (id === undefined) {
      this.rules = [];
      return true;
    }
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }

  /**
   * The first rule that matches and, by its probability, fires; counts it down (a rule that has
   * run out is gone). Synchronous from test to decrement: no other request can take the same turn.
   */
  take(facts: RequestFacts): FaultRule | undefined {
    for (const rule of this.rules) {
      if (!faultMatches(rule.match, facts)) continue;
      if (rule.probability < 1 && this.random() >= rule.probability) continue;
      rule.fired++;
      if (rule.remaining !== null) {
        rule.remaining--;
        if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
      }
      return { ...rule };
    }
    return undefined;
  }
}
