/**
 * Tessera validates with zod inside its handlers and declares no Fastify route schemas, so it
 * hands Fastify compilers that refuse instead of letting it load Ajv and fast-json-stringify
 * at start (a tenth of the time to the first answer, docs/benchmarks.md "Start"). A route that
 * declares a schema fails loudly when the server starts (test/no-route-schemas.test.ts).
 */
const refuse = (kind: string) => () => () => {
  throw new Error(`Tessera declares no Fastify ${kind} schemas (validate with zod in the handler); see http/no-route-schemas.ts`);
};

export const noRouteSchemas = {
  compilersFactory: { buildValidator: refuse('validation'), buildSerializer: refuse('response') },
};
