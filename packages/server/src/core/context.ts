/** The bound capabilities every core service and grant handler works with. */
import type { Datacenter } from './datacenters.js';
import type { Logger } from 'pino';
import type { Settings } from '../config.js';
import type { Store } from '../storage/types.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import type { CoreEvents } from './events.js';
import type { HashingGate } from './hashing-gate.js';
import type { KeyManager } from './keys.js';
import type { Mailer } from './mail.js';
import type { Protection } from './protection.js';
import type { ServerKeys } from './secrets.js';
import type { TokenStandings } from './token-standing.js';
import type { TokenIssuer } from './tokens.js';

export interface Core {
  readonly settings: Settings;
  /** The grant types an app may be allowed: the protocol's, and the server's extra grants. */
  readonly grantTypes: readonly string[];
  readonly clock: Clock;
  readonly store: Store;
  readonly serverKeys: ServerKeys;
  readonly keys: KeyManager;
  readonly tokens: TokenIssuer;
  /** Whether a token's app, secret, connection, user and company still stand (token-standing.ts). */
  readonly standings: TokenStandings;
  readonly audit: AuditLog;
  /** What observers (metrics) hear from core: tokens issued and refused, limits tripping. */
  readonly events: CoreEvents;
  /** Rate limits and failure budgets (in Redis when `redisUrl` is set, else in process). */
  readonly protection: Protection;
  /** The process-wide bound on concurrent password hashing (scrypt). */
  readonly passwordHashing: HashingGate;
  readonly log: Logger;
  /** Where mail goes: the SMTP server of `smtpUrl`, or the store's outbox (core/mail.ts). */
  readonly mailer: Mailer;
  /**
   * The base URL of the datacenter serving this request (docs/protocol.md §10): the `iss` of its
   * tokens. Outside a request, this node's first datacenter. Known once the server listens.
   */
  geolocation(): string;
  /**
   * Every datacenter of the `datacenters` setting, by name and URL (a port 0 URL gets its real port
   * once its listener listens); empty without the setting.
   */
  datacenters(): readonly Datacenter[];
}

/** Who is asking, for errors, audit events and logs. */
export interface RequestMeta {
  correlationId: string;
  ip: string;
}
