/**
 * Input validation for the admin API: zod schemas in, Concur-format 400s out. The answer names
 * every field that is wrong, so the console can show each error next to its field.
 */
import type { ConcurErrorBody } from 'tessera-protocol';
import { TesseraCodes } from 'tessera-protocol';
import type { z } from 'zod';
import { ConcurError } from './errors.js';

/** One problem with one field: `field` is the dotted path of the input (`scopes`, `name`). */
export interface FieldError {
  field: string;
  message: string;
}

/** A 400 `invalid_request` whose body also lists the fields at fault (`fields`). */
export class InvalidInput extends ConcurError {
  readonly fields: FieldError[];

  constructor(fields: FieldError[], description?: string) {
    super(TesseraCodes.invalidInput, {
      description: description ?? fields.map((f) => (f.field ? `${f.field}: ${f.message}` : f.message)).join('; '),
    });
    this.name = 'InvalidInput';
    this.fields = fields;
  }

  override toBody(): ConcurErrorBody & { fields: FieldError[] } {
    return { ...super.toBody(), fields: this.fields };
  }
}

/** A 400 about one field. */
export const invalidField = (field: string, message: string): InvalidInput => new InvalidInput([{ field, message }]);

/** Parses `value` with `schema`; throws `InvalidInput` naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw new InvalidInput(fields);
}
