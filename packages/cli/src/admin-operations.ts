/**
 * The operations of `tessera admin …`, each answering what the admin API answers, in two ways:
 * with `--server` through the admin API as the signed-in administrator, or on the local store
 * by calling the very core function the admin API calls, as the operator of the store within
 * the company `--company` names (else the demo company). The rules and the audit trail are the
 * core's either way: this file only chooses the path, the commands only parse and print.
 */
import type { AdminContext, AppCenterView, AppView, Connected, Core, Disconnected, OutboxMessageView, Paged, SecretView, UserView } from 'tessera-server';
import type { adminApi } from './admin-remote.js';
import { ExitCode } from './exit-codes.js';
import { CommandError } from './output.js';

type Bundle = typeof import('tessera-server');
type Api = Awaited<ReturnType<typeof adminApi>>;

/** A Company Request Token as the admin API answers it. */
type RequestTokenView = Awaited<ReturnType<Bundle['generateRequestTokenFor']>>;

/** What `tessera admin` can do within one company. */
export interface AdminOperations {
  /** The company acted within. */
  readonly companyUUID: string;
  readonly companyName: string;
  listApps(query: Record<string, string | number>): Promise<Paged<AppView>>;
  createApp(input: Record<string, unknown>): Promise<{ app: AppView; clientSecret: string }>;
  updateApp(appId: string, changes: Record<string, unknown>): Promise<AppView>;
  listSecrets(appId: string): Promise<SecretView[]>;
  createSecret(appId: string): Promise<SecretView & { secret: string }>;
  changeSecret(appId: string, secretId: string, change: { status: string }): Promise<SecretView>;
  deleteSecret(appId: string, secretId: string): Promise<void>;
  generateRequestToken(input: { appId: string }): Promise<RequestTokenView>;
  /** The App Center: the listed apps of other companies. */
  listAppCenter(query: Record<string, string | number>): Promise<Paged<AppCenterView>>;
  /** Connect: the Connect URL with the company's new request token (`loginId`: whom the operator connects as). */
  connectApp(appId: string, input: { loginId?: string }): Promise<Connected>;
  /** Withdraws another company's app from the company. */
  disconnectApp(appId: string): Promise<Disconnected>;
  listUsers(): Promise<UserView[]>;
  /** The user with this login id in the company (matched by the server as sign-in matches it), if any. */
  findUser(loginId: string): Promise<UserView | undefined>;
  createUser(input: Record<string, unknown>): Promise<UserView>;
  changeUser(userId: string, change: { status: string }): Promise<UserView>;
  unlockUser(userId: string): Promise<UserView>;
  resetPassword(userId: string, input: { password: string }): Promise<UserView>;
  /** The company's outbox (mail kept when no SMTP server is configured), newest first. */
  listOutbox(): Promise<OutboxMessageView[]>;
}

const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/');

/** Through the admin API of a server, as the administrator signed in there. */
export function remoteOperations(api: Api): AdminOperations {
  return {
    companyUUID: api.session.companyUUID,
    companyName: api.session.companyName,
    listApps: (query) => api.get(`/apps?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`),
    createApp: (input) => api.post('/apps', input),
    updateApp: (appId, changes) => api.patch(`/apps/${path(appId)}`, changes),
    listSecrets: (appId) => api.get(`/apps/${path(appId)}/secrets`),
    createSecret: (appId) => api.post(`/apps/${path(appId)}/secrets`),
    changeSecret: (appId, secretId, change) => api.patch(`/apps/${path(appId, 'secrets', secretId)}`, change),
    deleteSecret: (appId, secretId) => api.delete(`/apps/${path(appId, 'secrets', secretId)}`),
    generateRequestToken: (input) => api.post('/request-tokens', input),
    listAppCenter: (query) => api.get(`/app-center?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`),
    connectApp: (appId, input) => api.post(`/app-center/${path(appId)}/connect`, input),
    disconnectApp: (appId) => api.delete(`/app-center/${path(appId)}/connection`),
    listUsers: async () => (await api.get<{ items: UserView[] }>('/users')).items,
    findUser: async (loginId) => (await api.get<{ items: UserView[] }>(`/users?${new URLSearchParams({ loginId })}`)).items[0],
    createUser: (input) => api.post('/users', input),
    changeUser: (userId, change) => api.patch(`/users/${path(userId)}`, change),
    unlockUser: (userId) => api.post(`/users/${path(userId)}/unlock`),
    resetPassword: (userId, input) => api.post(`/users/${path(userId)}/password`, input),
    listOutbox: () => api.get('/outbox'),
  };
}

/** On the local store, through the admin API's own core functions, as the operator within `ctx.company`. */
export function localOperations(server: Bundle, core: Core, ctx: AdminContext): AdminOperations {
  return {
    companyUUID: ctx.company.id,
    companyName: ctx.company.name,
    listApps: (query) => server.listApps(core, ctx, query),
    createApp: (input) => server.createAppFor(core, ctx, input),
    updateApp: (appId, changes) => server.updateAppFor(core, ctx, appId, changes),
    listSecrets: (appId) => server.listSecretsFor(core, ctx, appId),
    createSecret: (appId) => server.createSecretFor(core, ctx, appId),
    changeSecret: (appId, secretId, change) => server.changeSecretFor(core, ctx, appId, secretId, change),
    deleteSecret: (appId, secretId) => server.deleteSecretFor(core, ctx, appId, secretId),
    generateRequestToken: (input) => server.generateRequestTokenFor(core, ctx, input),
    listAppCenter: (query) => server.listAppCenterFor(core, ctx, query),
    connectApp: (appId, input) => server.connectAppFor(core, ctx, appId, input),
    disconnectApp: (appId) => server.disconnectAppFor(core, ctx, appId),
    listUsers: () => server.listUsersFor(core, ctx),
    findUser: async (loginId) => (await server.listUsersFor(core, ctx, { loginId }))[0],
    createUser: (input) => server.createUserFor(core, ctx, input),
    changeUser: (userId, change) => server.changeUserFor(core, ctx, userId, change),
    unlockUser: (userId) => server.unlockUserFor(core, ctx, userId),
    resetPassword: (userId, input) => server.resetUserPasswordFor(core, ctx, userId, input),
    listOutbox: () => server.listOutboxFor(core, ctx),
  };
}

/** The user with `loginId` (case folded, as sign-in folds it) in the company acted within; a usage error otherwise. */
export async function userByLoginId(ops: AdminOperations, loginId: string): Promise<UserView> {
  const user = await ops.findUser(loginId.trim());
  // A server without the lookup would answer every user: only the one asked for will do.
  if (!user || user.loginId.toLowerCase() !== loginId.trim().toLowerCase()) throw new CommandError(`no user ${loginId} in ${ops.companyName} (${ops.companyUUID})`, ExitCode.Usage);
  return user;
}
