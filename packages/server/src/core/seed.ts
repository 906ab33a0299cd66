/**
 * Demo data for an empty store: "Demo Company", its Web Services Administrator, and (for the
 * quick start) a demo app with a request token. Credentials are answered once, to be shown to
 * the operator on the console, never logged.
 */
import { randomBytes } from 'node:crypto';
import type { Core } from './context.js';
import { createApp } from './apps.js';
import { createCompany } from './companies.js';
import { generateRequestToken, type IssuedRequestToken } from './request-tokens.js';
import { createUser, WebServicesAdministrator } from './users.js';

export interface DemoSeed {
  companyId: string;
  companyName: string;
  adminLoginId: string;
  /** Present only when the password was generated (not given in TESSERA_ADMIN_PASSWORD). */
  generatedAdminPassword?: string;
  app: { clientId: string; clientSecret: string; name: string };
  requestToken: IssuedRequestToken;
}

export const DemoScopes = ['openid', 'user.read', 'company.read', 'identity.user.core.read', 'expense.report.read'];

/**
 * Seeds the demo data when the store has no company; answers undefined when it has one. Nodes
 * starting together on one empty database take turns, so only the first seeds.
 */
export async function seedDemoData(core: Core, admin: { loginId: string; password?: string | undefined }): Promise<DemoSeed | undefined> {
  return core.store.locks.withLock('seed', () => seedUnlocked(core, admin));
}

async function seedUnlocked(core: Core, admin: { loginId: string; password?: string | undefined }): Promise<DemoSeed | undefined> {
  if ((await core.store.companies.count()) > 0) return undefined;
  const company = await createCompany(core, { name: 'Demo Company', domain: 'demo.example' });
  const password = admin.password ?? randomBytes(12).toString('base64url');
  await createUser(core, {
    companyId: company.id, loginId: admin.loginId, password, displayName: 'Web Services Administrator',
    roles: [WebServicesAdministrator],
  });
  const { app, clientSecret } = await createApp(core, company.id, {
    name: 'Demo Integration', description: 'Created on first start for the quick start; delete it when done.',
    grants: ['password', 'refresh_token', 'client_credentials'], scopes: DemoScopes,
  });
  const requestToken = await generateRequestToken(core, app.id, company.id);
  return {
    companyId: company.id, companyName: company.name, adminLoginId: admin.loginId,
    ...(admin.password ? {} : { generatedAdminPassword: password }),
    app: { clientId: app.id, clientSecret, name: app.name },
    requestToken,
  };
}
