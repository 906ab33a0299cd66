/**
 * Concur codes are a closed type generated from the table in `tessera-protocol`: a code outside
 * the table does not compile (`tsc -p packages/server/test`, part of `npm test`, checks the
 * `@ts-expect-error` lines below) and, for callers the compiler does not see, throws. Every
 * precise description is a `Refusals` entry of the table; the wire body follows from it.
 */
import { describe, expect, it } from 'vitest';
import { ConcurCodes, describeErrorCode, ErrorCodes, Refusals, type ConcurCode } from 'tessera-protocol';
import { ConcurError } from '../src/core/errors.js';

describe('Concur codes', () => {
  it('refuses a code outside the table at compile time and at run time', () => {
    // @ts-expect-error 801 is not a ConcurCode
    expect(() => new ConcurError(801)).toThrow(/unknown Concur error code 801/);
    // @ts-expect-error nor is a plain number
    expect(() => new ConcurError(Number('801'))).toThrow(TypeError);
    // @ts-expect-error a description is never written at the call site, only in the table
    expect(new ConcurError(135, { description: 'made up' }).description).toBe('unsupported request format');
    // @ts-expect-error a refusal is made only by Refusals, not by hand
    expect(() => new ConcurError({ code: 404, description: 'made up' })).not.toThrow();
  });

  it('names every code of the table, and the names are the codes', () => {
    const code: 64 = ConcurCodes.WrongClientSecret;
    expect(code).toBe(64);
    expect(ConcurCodes.RateLimited).toBe(429);
    expect(Object.keys(ConcurCodes)).toHaveLength(ErrorCodes.size);
    for (const [name, number] of Object.entries(ConcurCodes)) expect(describeErrorCode(number as ConcurCode).name).toBe(name);
  });

  it('answers a refusal with the code, error and status of its row and the description of the table', () => {
    const error = new ConcurError(Refusals.csrfTokenRejected);
    expect(error.toBody()).toEqual({
      code: 403, error: 'insufficient_scope', error_description: 'missing or wrong CSRF token (X-CSRF-Token); reload the page',
    });
    expect(error.status).toBe(403);
    expect(new ConcurError(Refusals.notFound('app')).toBody().error_description).toBe('app not found');
  });

  it('answers a refusal about a field with the field listed, as a 400 about fields', () => {
    expect(new ConcurError(Refusals.tooManySecrets(5)).toBody()).toEqual({
      code: 400, error: 'invalid_request', error_description: 'secrets: an app holds at most 5 secrets; delete an inactive one first',
      fields: [{ field: 'secrets', message: 'an app holds at most 5 secrets; delete an inactive one first' }],
    });
    expect(new ConcurError(Refusals.invalidFields([{ field: 'name', message: 'is required' }, { field: 'scopes', message: 'unknown' }])).toBody())
      .toMatchObject({ code: 400, error_description: 'name: is required; scopes: unknown' });
  });
});
