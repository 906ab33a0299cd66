/**
 * Input validation for the admin API: zod schemas in, Concur-format 400s out. The answer names
 * every field that is wrong, so the console can show each error next to its field.
 */
import { Refusals, type FieldError } from 'tessera-protocol';
import type { z } from 'zod';
import { ConcurError } from './errors.js';

/** A 400 `invalid_request` whose body also lists the fields at fault (`fields`). */
export const invalidInput = (fields: readonly FieldError[]): ConcurError => new ConcurError(Refusals.invalidFields(fields));

/** A 400 about one field. */
export const invalidField = (field: string, message: string): ConcurError => invalidInput([{ field, message }]);

/** Parses `value` with `schema`; throws a 400 naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw invalidInput(fields);
}
