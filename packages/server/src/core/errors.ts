/**
 * The one error class of the core: a Concur code of the table in `tessera-protocol`, from which
 * the `error`, `error_description` and HTTP status follow (docs/protocol.md §3, Decision 2). A code
 * outside the table does not compile. A more precise public description is one of the table's
 * `Refusals`, never text written here; private detail goes to the log only.
 */
import { describeErrorCode, type ConcurCode, type ConcurErrorBody, type ConcurRefusal, type FieldError } from 'tessera-protocol';

export interface ConcurErrorOptions {
  geolocation?: string;
  headers?: Record<string, string>;
  /** For the log and the audit trail; never sent to the client. */
  detail?: string;
}

export class ConcurError extends Error {
  readonly code: ConcurCode;
  readonly status: number;
  readonly error: string;
  readonly description: string;
  /** The fields at fault of a 400 `invalid_request` (answered as `fields`), else empty. */
  readonly fields: readonly FieldError[];
  readonly geolocation: string | undefined;
  readonly headers: Record<string, string>;
  readonly detail: string | undefined;

  /** `code` answers the table's description; a `ConcurRefusal` (from `Refusals`) its own. */
  constructor(code: ConcurCode | ConcurRefusal, options: ConcurErrorOptions = {}) {
    const refusal = typeof code === 'number' ? undefined : code;
    const number: number = refusal?.code ?? (code as number);
    // The type closes the codes; this guards callers the compiler does not see.
    const info = describeErrorCode(number);
    if (!info) throw new TypeError(`unknown Concur error code ${number}`);
    const description = refusal?.description ?? info.description;
    super(`${info.code} ${info.error}: ${description}`);
    this.name = 'ConcurError';
    this.code = info.code;
    this.status = info.status;
    this.error = info.error;
    this.description = description;
    this.fields = refusal?.fields ?? [];
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
    if (this.fields.length > 0) body.fields = this.fields.map((f) => ({ ...f }));
    return body;
  }
}
