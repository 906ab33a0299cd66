/**
 * Errors of the client commands in plain words: what happened, the Concur code and what it
 * means (from tessera-protocol), what to do next, and the correlation id to quote to support.
 */
import { ConcurError } from 'tessera-client';
import { describeErrorCode } from 'tessera-protocol';
import { CommandError } from './output.js';
import { ExitCode } from './exit-codes.js';
import { tlsAdvice } from './trust.js';

interface Advice {
  headline: string;
  next: string;
}

/** Per Concur code: a headline and the next step with the tessera command that takes it. */
function adviceFor(code: number, env: string): Advice | undefined {
  const convert = `tessera token convert --env ${env}`;
  switch (code) {
    case 136:
      return {
        headline: 'request token expired, used up, or issued for another app or company',
        next: `generate a new one in Company Request Token (Authentication Admin → Company Request Token, App ID = this client id), then run \`${convert}\` within 24 hours`,
      };
    case 108:
      return {
        headline: 'refresh token expired or revoked (unused for 6 months, revoked, or disconnected)',
        next: `the connection is gone: generate a new request token in Company Request Token and run \`${convert} --force\`; afterwards keep it alive with a daily \`tessera keep-alive\``,
      };
    case 64:
      return { headline: 'client secret rejected', next: `check the secret in App Details → Client Secrets and store it again: \`tessera env add ${env} --force …\`` };
    case 61:
      return { headline: 'client id unknown to this datacenter', next: `check the client id and the datacenter: \`tessera env show ${env}\`` };
    case 53:
      return { headline: 'the company has not enabled this app', next: 'a company administrator must connect the app (a new Company Request Token does that)' };
    case 59:
      return { headline: 'the app is disabled', next: 'an administrator must enable it in OAuth 2.0 Application Management' };
    case 107:
      return { headline: 'the app may not refresh tokens', next: 'add refresh_token to the Allowed Grants of the app' };
    case 60:
      return { headline: 'the app may not use this grant', next: "add the grant to the app's Allowed Grants" };
    case 123:
      return { headline: 'the user or company is disabled', next: 'ask the company administrator' };
    case 103:
      return { headline: 'the sign-in code was refused (expired, used already, or its PKCE verifier does not match)', next: `sign in again: \`tessera token login --env ${env}\`` };
    case 104:
      return { headline: 'the redirect URI does not match the one of the sign-in', next: 'register exactly the redirect URI `tessera token login` printed on the app (Redirect URIs)' };
    case 82:
      return { headline: 'too many one-time passwords are open for this email address', next: 'use one of the passwords already mailed, or wait until they expire (15 minutes)' };
    case 83:
    case 85:
      return { headline: 'the one-time password was refused (wrong, expired, used, or the parameters differ from the request)', next: `request a new one: \`tessera token otp --env ${env} --email …\`, then pass it with --code and the same --param values` };
    case 16:
      return { headline: 'the principal lives in another datacenter', next: `set the environment's datacenter to the one named in the answer: \`tessera env add ${env} --force --datacenter …\`` };
    default:
      return undefined;
  }
}

/** The `CommandError` to end with for `error`, thrown while working on environment `env`. */
export function explainError(error: unknown, env: string): unknown {
  if (!(error instanceof ConcurError)) return error;
  const lines: string[] = [];
  let exitCode: number = ExitCode.Failure;
  switch (error.code) {
    case 'ERR_TOKEN_REFUSED':
    case 'ERR_HTTP': {
      exitCode = error.code === 'ERR_HTTP' ? ExitCode.Http : ExitCode.Refused;
      const advice = error.concurCode === undefined ? undefined : adviceFor(error.concurCode, env);
      const what = [error.concurCode !== undefined ? `code ${error.concurCode}` : `HTTP ${error.status}`, error.error].filter(Boolean).join(' ');
      const description = error.errorDescription ? `: ${error.errorDescription}` : '';
      lines.push(advice
        ? `${advice.headline} (${what}${description})`
        : `${error.code === 'ERR_HTTP' ? 'the API' : 'the token service'} refused (${what}${description})`);
      const meaning = error.concurCode === undefined ? undefined : describeErrorCode(error.concurCode)?.meaning;
      if (meaning) lines.push(`  meaning: ${meaning}`);
      if (advice) lines.push(`  next: ${advice.next}`);
      break;
    }
    case 'ERR_NOT_CONNECTED':
      exitCode = ExitCode.Refused;
      lines.push(`environment ${env} is not connected: it holds no refresh token`,
        `  next: convert a company request token once: \`tessera token convert --env ${env}\`, or connect a user: \`tessera token login --env ${env}\``);
      break;
    case 'ERR_AUTHORIZATION_DENIED':
      exitCode = ExitCode.Refused;
      lines.push(`not connected: ${error.message}`, `  next: run \`tessera token login --env ${env}\` again and choose Allow`);
      break;
    case 'ERR_STATE_MISMATCH':
      lines.push(error.message);
      break;
    case 'ERR_NETWORK':
      lines.push(error.message, `  next: check the datacenter of the environment (\`tessera env show ${env}\`) and the network`);
      break;
    case 'ERR_TLS':
      lines.push(...(tlsAdvice(error.cause, error.url ?? '') ?? [error.message]));
      break;
    case 'ERR_LOCK_TIMEOUT':
      lines.push(error.message, '  next: another tessera process is refreshing this environment; if none runs, delete the .lock file');
      break;
    case 'ERR_INVALID_RESPONSE':
      lines.push(error.message, `  next: check that the datacenter of ${env} is a Concur (or Tessera) token service`);
      break;
    case 'ERR_FOREIGN_URL':
      exitCode = ExitCode.Usage;
      lines.push(error.message);
      break;
    default:
      lines.push(error.message);
  }
  if (error.correlationId) lines.push(`  correlation id: ${error.correlationId}`);
  return new CommandError(lines.join('\n'), exitCode);
}

/** Runs `work` for environment `env`, turning a `ConcurError` into an explained `CommandError`. */
export async function explained<T>(env: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw explainError(error, env);
  }
}
