/**
 * TESSERA_HOME: the client half's own files (default `$XDG_CONFIG_HOME/tessera`, else
 * `~/.config/tessera`), every one mode 0600 in a 0700 directory.
 *
 * ```
 * config.json                          { "current": "prod" }
 * environments/<name>.json             the app and datacenter (client id and secret, company UUID, request token)
 * environments/<name>.connection.json  the connection state of tessera-client's FileTokenStore
 * ```
 * Environments are like Postman environments: several apps and datacenters, one of them current.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FileTokenStore, writeFileAtomic, type ConnectionState, type FileLockOptions } from 'tessera-client';
import { CommandError } from './output.js';
import { ExitCode } from './exit-codes.js';

/** One environment: what `tessera env add` or `env import` recorded. */
export interface Environment {
  name: string;
  /** Base URL where first tokens are obtained (request-token conversion). */
  datacenter: string;
  clientId: string;
  /** Absent for a public app (`env add --public`): it connects users by the code flow with PKCE. */
  clientSecret?: string | undefined;
  companyUUID?: string | undefined;
  /** A company request token not yet converted (from `env import`); removed once converted. */
  requestToken?: string | undefined;
  /**
   * Set when the connection was revoked on the service (`tessera token revoke` of this or of an
   * environment sharing the connection); cleared by the next conversion.
   */
  revoked?: { at: string; by: string } | undefined;
  /** A PEM file of certificates to trust for this environment's servers (`env add --ca`). */
  ca?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

interface HomeConfig {
  current?: string | undefined;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks an environment name (it becomes a file name). */
export function assertEnvironmentName(name: string): string {
  if (!namePattern.test(name)) {
    throw new CommandError(`"${name}" is not a usable environment name: use letters, digits, ".", "_" and "-" (at most 64)`, ExitCode.Usage);
  }
  return name;
}

/** The TESSERA_HOME directory for `env`. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TESSERA_HOME) return env.TESSERA_HOME;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'tessera');
}

export class TesseraHome {
  readonly environmentsDir: string;
  private readonly configPath: string;

  constructor(readonly dir: string = resolveHome()) {
    this.environmentsDir = join(dir, 'environments');
    this.configPath = join(dir, 'config.json');
  }

  async list(): Promise<Environment[]> {
    let names: string[];
    try {
      names = await readdir(this.environmentsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const environments: Environment[] = [];
    for (const file of names.filter((n) => n.endsWith('.json') && !n.endsWith('.connection.json')).sort()) {
      const environment = await this.get(file.slice(0, -'.json'.length));
      if (environment) environments.push(environment);
    }
    return environments;
  }

  async get(name: string): Promise<Environment | undefined> {
    if (!namePattern.test(name)) return undefined;
    const config = await readJson<Environment>(this.environmentPath(name));
    return config ? { ...config, name } : undefined;
  }

  async save(environment: Environment): Promise<void> {
    assertEnvironmentName(environment.name);
    await this.ensureDir();
    await writeFileAtomic(this.environmentPath(environment.name), `${JSON.stringify(environment, null, 2)}\n`, { mode: 0o600 });
  }

  /** Deletes the environment and its connection state. */
  async remove(name: string): Promise<void> {
    await rm(this.environmentPath(name), { force: true });
    await rm(this.connectionPath(name), { force: true });
    await rm(`${this.connectionPath(name)}.lock`, { force: true });
    if ((await this.current()) === name) await this.setCurrent(undefined);
  }

  async current(): Promise<string | undefined> {
    return (await readJson<HomeConfig>(this.configPath))?.current;
  }

  async setCurrent(name: string | undefined): Promise<void> {
    await this.ensureDir();
    await writeFileAtomic(this.configPath, `${JSON.stringify({ current: name }, null, 2)}\n`, { mode: 0o600 });
  }

  /**
   * The environment to work on: `--env`, else `TESSERA_ENV`, else the current one, else the only
   * one there is.
   */
  async resolve(name: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Environment> {
    const wanted = name ?? (env.TESSERA_ENV || undefined) ?? (await this.current());
    if (wanted) {
      const environment = await this.get(wanted);
      if (!environment) {
        throw new CommandError(`no environment "${wanted}" in ${this.dir}: see \`tessera env list\`, or add it with \`tessera env add ${wanted} …\``, ExitCode.Usage);
      }
      return environment;
    }
    const all = await this.list();
    if (all.length === 1) return all[0]!;
    throw new CommandError(all.length === 0
      ? 'no environment yet: add one with `tessera env add NAME --datacenter us2 --client-id ID`, or `tessera env import FILE` for a Postman environment'
      : 'no current environment: pick one with `tessera env use NAME` or pass --env NAME', ExitCode.Usage);
  }

  /** The store of the environment's connection (refresh token, expiry, geolocation). */
  connectionStore(name: string, lock: FileLockOptions = {}): FileTokenStore {
    return new FileTokenStore(this.connectionPath(name), lock);
  }

  /** The connection state, or undefined (not connected, or unreadable). */
  async connection(name: string): Promise<ConnectionState | undefined> {
    return this.connectionStore(name).load();
  }

  connectionPath(name: string): string {
    return join(this.environmentsDir, `${assertEnvironmentName(name)}.connection.json`);
  }

  private environmentPath(name: string): string {
    return join(this.environmentsDir, `${assertEnvironmentName(name)}.json`);
  }

  private async ensureDir(): Promise<void> {
    await mkdir(this.environmentsDir, { recursive: true, mode: 0o700 });
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CommandError(`${path} is not valid JSON: fix or remove it`, ExitCode.Failure);
  }
}
