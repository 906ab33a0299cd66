/**
 * What core tells observers as it works (docs/architecture.md "Metrics"): tokens issued and refused, rate
 * limits tripping. Core calls these on the token path, so a sink must be cheap and must not
 * throw; `http/metrics.ts` turns them into Prometheus series, and core never imports a metrics
 * library. Without a sink, an emit is one loop over an empty array.
 */

/** One observer; every method is optional. */
export interface CoreEventSink {
  /** A token response was answered (`credtype` for the password grant). */
  tokenIssued?(grantType: string, credtype: string | undefined): void;
  /** A token request was refused with a Concur code (429s included); `grantType` as the caller sent it, unchecked. */
  tokenRefused?(grantType: string | undefined, code: number): void;
  /**
   * A request limit, failure budget or lock was reached (once per window and key), at the token
   * endpoint or at the console's sign-in.
   */
  rateLimitTripped?(limit: string, door: 'token' | 'admin-sign-in'): void;
}

/** The sinks of one core, called in the order they were added. */
export class CoreEvents {
  private sinks: CoreEventSink[] = [];

  add(sink: CoreEventSink): void {
    this.sinks.push(sink);
  }

  tokenIssued(grantType: string, credtype: string | undefined): void {
    for (const sink of this.sinks) sink.tokenIssued?.(grantType, credtype);
  }

  tokenRefused(grantType: string | undefined, code: number): void {
    for (const sink of this.sinks) sink.tokenRefused?.(grantType, code);
  }

  rateLimitTripped(limit: string, door: 'token' | 'admin-sign-in'): void {
    for (const sink of this.sinks) sink.rateLimitTripped?.(limit, door);
  }
}
