/**
 * Several datacenters in one deployment (docs/protocol.md §10, Decision 18): each datacenter is a
 * name and a base URL with a listener of its own, all on one store. Which datacenter a request
 * came in on is carried by an AsyncLocalStorage scope entered when that datacenter's listener
 * starts listening, so every connection it accepts (and everything a request does, body parsing
 * included) runs in that scope and `core.geolocation()` answers that datacenter's URL without
 * threading it through every call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Datacenter {
  /** A short name such as `us2` or `eu2`. */
  readonly name: string;
  /** Its base URL without a trailing slash: the `iss` of its tokens and the `geolocation` of its companies. */
  url: string;
}

const namePattern = /^[a-z][a-z0-9-]{0,31}$/;

/** `us2=https://127.0.0.1:8443,eu2=https://127.0.0.1:8444` (or one entry per array item) → datacenters; throws a readable error. */
export function parseDatacenters(value: string | readonly string[]): Datacenter[] {
  const entries = (typeof value === 'string' ? value.split(/[\s,]+/) : value.flatMap((item) => item.split(/[\s,]+/))).filter(Boolean);
  const datacenters: Datacenter[] = [];
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const name = at > 0 ? entry.slice(0, at).trim().toLowerCase() : '';
    const rawUrl = at > 0 ? entry.slice(at + 1).trim() : '';
    if (!namePattern.test(name)) throw new Error(`datacenter "${entry}" must be NAME=URL with a lower-case NAME such as us2`);
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new Error(`datacenter ${name}: "${rawUrl}" is not a URL`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash) {
      throw new Error(`datacenter ${name}: the URL must be a bare http(s)://host:port base URL`);
    }
    if (datacenters.some((dc) => dc.name === name)) throw new Error(`datacenter ${name} is named twice`);
    const base = url.origin;
    if (url.port !== '0' && datacenters.some((dc) => dc.url === base)) throw new Error(`datacenter ${name}: ${base} is already another datacenter's URL`);
    datacenters.push({ name, url: base });
  }
  return datacenters;
}

/** The datacenter a request came in on (undefined outside a datacenter listener's scope). */
export const currentDatacenter = new AsyncLocalStorage<Datacenter>();
