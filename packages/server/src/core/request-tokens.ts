/**
 * Company request tokens (PROTOCOL.md §1, Decision 3): 24 hours, a few uses so a client can
 * retry after a network failure, replaced at once when a new one is generated.
 */
import type { Core } from './context.js';
import { enableAppForCompany } from './apps.js';
import { newRequestToken } from './secrets.js';

export interface IssuedRequestToken {
  companyUUID: string;
  requestToken: string;
  expiresAt: string;
}

/** Generates (or regenerates) the request token of `companyId` for `appId`, enabling the app for it. */
export async function generateRequestToken(core: Core, appId: string, companyId: string): Promise<IssuedRequestToken> {
  const app = await core.store.apps.get(appId);
  if (!app) throw new RangeError(`no app ${appId}`);
  if (!(await core.store.companies.get(companyId))) throw new RangeError(`no company ${companyId}`);
  await enableAppForCompany(core, appId, companyId);
  const value = newRequestToken();
  const now = core.clock.now();
  const expiresAt = now + core.settings.requestTokenTtl * 1000;
  await core.store.requestTokens.replace({
    digest: core.serverKeys.digest(value), appId, companyId, uses: 0, maxUses: core.settings.requestTokenMaxUses,
    expiresAt, createdAt: now, connectionId: null,
  });
  return { companyUUID: companyId, requestToken: value, expiresAt: new Date(expiresAt).toISOString() };
}
