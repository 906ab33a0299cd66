/**
 * The one error class of the core: a Concur numeric code, from which the `error`,
 * `error_description` and HTTP status follow (PROTOCOL.md §3, Decision 2). The public
 * description may be made more precise; private detail goes to the log only.
 */
import { describeErrorCode, type ConcurErrorBody } from 'tessera-protocol';

export interface ConcurErrorOptions {
  /** A more precise public description than the table's. */
  description?: string;
  geolocation?: string;
  headers?: Record<string, string>;
  /** For the log and the audit trail; never sent to the client. */
  detail?: string;
}

export class ConcurError extends Error {
  readonly code: number;
  readonly status: number;
  readonly error: string;
  readonly description: string;
  readonly geolocation: string | undefined;
  readonly headers: Record<string, string>;
  readonly detail: string | undefined;

  constructor(code: number, options: ConcurErrorOptions = {}) {
    const info = describeErrorCode(code);
    if (!info) throw new TypeError(`unknown Concur error code ${code}`);
    const description = options.description ?? info.description;
    super(`${code} ${info.error}: ${description}`);
    this.name = 'ConcurError';
    this.code = code;
    this.status = info.status;
    this.error = info.error;
    this.description = description;
    this.geolocation = options.geolocation;
    this.headers = options.headers ?? {};
    this.detail = options.detail;
    if (info.error === 'invalid_client' && this.status === 401 && !this.headers['www-authenticate']) {
      this.headers['www-authenticate'] = 'Basic realm="tessera", charset="UTF-8"';
    }
  }

  toBody(): ConcurErrorBody {
    const body: ConcurErrorBody = { code: this.code, error: this.error, error_description: this.description };
    if (this.geolocation) body.geolocation = this.geolocation;
    return body;
  }
}
