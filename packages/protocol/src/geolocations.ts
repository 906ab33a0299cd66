/**
 * SAP Concur datacenters and their base URIs (docs/protocol.md §10). A geolocation is the base URL
 * of a datacenter, with no path: tokens are refreshed and APIs called there.
 */
export interface Datacenter {
  readonly id: string;
  readonly name: string;
  /** Server host (may ask for a client certificate). */
  readonly host: string;
  /** Browser/client-side host. */
  readonly wwwHost: string;
  readonly current: boolean;
}

const dc = (id: string, name: string, host: string, current = true): Datacenter =>
  Object.freeze({ id, name, host, wwwHost: `www-${host}`, current });

export const Datacenters: readonly Datacenter[] = Object.freeze([
  dc('us2', 'US2', 'us2.api.concursolutions.com'),
  dc('eu2', 'EU2', 'eu2.api.concursolutions.com'),
  dc('apj1', 'APJ1', 'apj1.api.concursolutions.com'),
  dc('usg', 'CCPS (PSCC)', 'usg.api.concursolutions.com'),
  dc('glz', 'Global Landing Zone', 'glz.api.concursolutions.com'),
  dc('us', 'US (legacy)', 'us.api.concursolutions.com', false),
  dc('emea', 'EMEA (legacy)', 'emea.api.concursolutions.com', false),
  dc('eu', 'EU (legacy)', 'eu.api.concursolutions.com', false),
  dc('us-impl', 'US implementation', 'us-impl.api.concursolutions.com'),
  dc('emea-impl', 'EMEA implementation', 'emea-impl.api.concursolutions.com'),
  dc('integration', 'Integration', 'integration.api.concursolutions.com'),
  dc('cn', 'China (legacy)', 'cn.api.concurcdc.cn', false),
]);

/**
 * Turns what a person types for a datacenter (`us2`, `us2.api.concursolutions.com`,
 * `https://us2.api.concursolutions.com/`, `localhost:8443`) into a geolocation base URL.
 * Hosts without a scheme get `https://`, as every Concur host is HTTPS-only.
 */
export function normalizeGeolocation(input: string): string {
  const trimmed = input.trim();
  if (!trimmed) throw new TypeError('a datacenter or URL is required');
  const known = Datacenters.find((d) => d.id === trimmed.toLowerCase());
  const candidate = known ? `https://${known.host}` : /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  const url = new URL(candidate);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`not an http(s) URL: ${input}`);
  return `${url.protocol}//${url.host}`;
}
