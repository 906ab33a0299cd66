/**
 * Exit codes of the client commands, stable for scripts:
 * 0 success; 1 failure (network, store, keep-alive found a problem); 2 usage (bad input, no such
 * environment, a refusal that `--force` overrides); 3 the token service refused (a Concur code:
 * expired request or refresh token, wrong secret, a refused code or one-time password), the user
 * chose Deny at `token login`, or the environment is not connected;
 * 4 an API answered an HTTP error (`tessera call`).
 */
export const ExitCode = Object.freeze({
  Failure: 1,
  Usage: 2,
  Refused: 3,
  Http: 4,
});
