/**
 * Trusting a server certificate outside the public roots (`tessera serve --https` makes a
 * self-signed one): `--ca FILE` (global; `tessera env add … --ca FILE` keeps it for the
 * environment), and
 * NODE_EXTRA_CA_CERTS, which Node reads at start. Node 20's global `fetch` takes no CA per request,
 * so with a CA the commands use a small `fetch` over `node:https` with that CA added to Node's
 * roots; the SDK takes it through its injectable `fetch`.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { tlsProblem, type FetchLike } from 'tessera-client';
import { ExitCode } from './exit-codes.js';
import { CommandError } from './output.js';

let globalCaFile: string | undefined;

/** Sets the CA file of the global `--ca` option (it wins over an environment's). */
export function setGlobalCaFile(file: string | undefined): void {
  globalCaFile = file ? resolve(file) : undefined;
}

/** The CA file in force: `--ca`, else the environment's. */
export const caFileFor = (environmentCa?: string): string | undefined => globalCaFile ?? environmentCa;

/** Reads a PEM CA file; a usage error when it is missing or holds no certificate. */
export function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CommandError(`--ca ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, ExitCode.Usage);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new CommandError(`--ca ${file} holds no PEM certificate`, ExitCode.Usage);
  return pem;
}

const fetches = new Map<string, FetchLike>();

/** The `fetch` for the commands: the global one, or one trusting `caFile` in addition to Node's roots. */
export function fetchTrusting(caFile: string | undefined): FetchLike {
  if (!caFile) return (input, init) => globalThis.fetch(input, init);
  let made = fetches.get(caFile);
  if (!made) {
    made = httpsFetch(new Agent({ ca: [...rootCertificates, readCaFile(caFile)], keepAlive: true }));
    fetches.set(caFile, made);
  }
  return made;
}

/** `fetch` over `node:https` with `agent` (plain http goes to the global fetch). */
function httpsFetch(agent: Agent): FetchLike {
  return async (input, init) => {
    const outgoing = new Request(input, init);
    if (new URL(outgoing.url).protocol !== 'https:') return globalThis.fetch(outgoing);
    const body = outgoing.body ? Buffer.from(await outgoing.arrayBuffer()) : undefined;
    const headers = Object.fromEntries(outgoing.headers);
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolvePromise, reject) => {
      const sent = request(outgoing.url, { method: outgoing.method, headers, agent, signal: init?.signal ?? undefined }, (incoming) => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const one of [value ?? []].flat()) answerHeaders.append(name, one);
        }
        const status = incoming.statusCode ?? 502;
        const empty = status === 204 || status === 304 || outgoing.method === 'HEAD';
        if (empty) incoming.resume();
        const response = new Response(empty ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>), {
          status, statusText: incoming.statusMessage ?? '', headers: answerHeaders,
        });
        Object.defineProperty(response, 'url', { value: outgoing.url });
        resolvePromise(response);
      });
      sent.on('error', reject);
      sent.end(body);
    });
  };
}

/**
 * The lines that explain an untrusted certificate of `url` (`error` from fetch or the SDK) and
 * how to trust it; undefined when `error` is something else.
 */
export function tlsAdvice(error: unknown, url: string): string[] | undefined {
  const problem = tlsProblem(error) ?? tlsProblem((error as { cause?: unknown } | undefined)?.cause);
  if (!problem) return undefined;
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  const hostname = problem.code === 'ERR_TLS_CERT_ALTNAME_INVALID';
  const expired = problem.code === 'CERT_HAS_EXPIRED' || problem.code === 'CERT_NOT_YET_VALID';
  return [
    `TLS: ${problem.what} (${problem.code}) at ${host}; nothing was sent, and tessera does not retry this`,
    hostname ? '  next: use the host name the certificate was issued for (see the server\'s certificate), or a certificate for this name'
      : expired ? '  next: the server needs a valid certificate (check the clocks, renew it)'
        : '  next: trust the server\'s certificate: `tessera --ca FILE …` (or keep it for the environment: `tessera env add NAME --force --ca FILE …`), '
          + 'or NODE_EXTRA_CA_CERTS=FILE; `tessera serve --https` prints where its certificate is',
  ];
}
