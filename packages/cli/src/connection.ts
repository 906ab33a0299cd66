/**
 * The token manager of an environment: tessera-client over the environment's file store, with
 * progress on a terminal (network retries, waiting for another process) and silence in pipes.
 */
import { TokenManager, type RetryEvent } from 'tessera-client';
import type { Environment, TesseraHome } from './home.js';
import { caFileFor, fetchTrusting } from './trust.js';

const interactive = () => Boolean(process.stderr.isTTY);

function showRetry(event: RetryEvent): void {
  if (!interactive()) return;
  const seconds = (event.delayMs / 1000).toFixed(event.delayMs < 1000 ? 1 : 0);
  const host = new URL(event.url).host;
  const what = event.reason.startsWith('HTTP ') ? `${host} answered ${event.reason}` : `no answer from ${host} (${event.reason})`;
  process.stderr.write(`tessera: ${what}; retrying in ${seconds} s (attempt ${event.attempt + 1} of ${event.attempts})…\n`);
}

export function managerFor(home: TesseraHome, environment: Environment): TokenManager {
  const store = home.connectionStore(environment.name, {
    onWait: () => {
      if (interactive()) process.stderr.write(`tessera: waiting for another tessera process using environment ${environment.name}…\n`);
    },
  });
  return new TokenManager({
    clientId: environment.clientId,
    clientSecret: environment.clientSecret,
    datacenter: environment.datacenter,
    store,
    fetch: fetchTrusting(caFileFor(environment.ca)),
    retry: { retries: 3, onRetry: showRetry },
  });
}

/** Whole days from now until `iso` (negative once past). */
export function daysUntil(iso: string | undefined, now = Date.now()): number | undefined {
  if (!iso) return undefined;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : Math.floor((at - now) / 86_400_000);
}

/** Masks a secret for display: its last four characters only. */
export function mask(value: string | undefined): string {
  if (!value) return '';
  return value.length <= 8 ? '****' : `****${value.slice(-4)}`;
}
