/**
 * The OpenAPI 3.1 document of the admin API and the Concur app-secret API, served at
 * `GET /admin/api/openapi.json`. Request bodies are generated from the very zod schemas that
 * validate them, so the document cannot drift from what the server accepts.
 */
import { z } from 'zod';
import { AppChangesSchema, NewAppSchema } from '../core/apps.js';
import {
  NewUserSchema, PasswordResetSchema, RequestTokenInputSchema, SecretChangeSchema, UserChangeSchema,
} from '../core/admin.js';
import { ConnectInputSchema } from '../core/app-center.js';
import { HomeDatacenterSchema } from '../core/companies.js';
import type { Core } from '../core/context.js';
import { CredentialsSchema } from '../core/sessions.js';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const inputSchema = (schema: z.ZodType): Json => {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
};
const jsonContent = (schema: Json) => ({ 'application/json': { schema } });
const body = (schema: Json) => ({ required: true, content: jsonContent(schema) });
const ok = (description: string, schema?: Json) => (schema ? { description, content: jsonContent(schema) } : { description });
const errors = (...statuses: number[]): Json =>
  Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/E${status}` }]));

const pathParam = (name: string, description: string): Json => ({ name, in: 'path', required: true, description, schema: { type: 'string', format: 'uuid' } });
const queryParam = (name: string, description: string, schema: Json = { type: 'string' }): Json => ({ name, in: 'query', required: false, description, schema });
const pagingParams = (defaultLimit: number) => [
  queryParam('offset', 'Rows to skip.', { type: 'integer', minimum: 0, default: 0 }),
  queryParam('limit', 'Rows per page.', { type: 'integer', minimum: 1, maximum: 200, default: defaultLimit }),
];
const page = (item: string): Json => ({
  type: 'object', required: ['items', 'total', 'offset', 'limit'],
  properties: { items: { type: 'array', items: ref(item) }, total: { type: 'integer' }, offset: { type: 'integer' }, limit: { type: 'integer' } },
});
const time = { type: ['string', 'null'], format: 'date-time' };

const adminAuth = [{ session: [], csrf: [] }, { bearer: [] }];
const appId = pathParam('appId', 'The Client ID.');
const secretId = pathParam('secretId', 'The secret id.');

/** Builds the document (the server URL is this node's geolocation). */
export function adminOpenApi(core: Core): Json {
  let server: string | undefined;
  try {
    server = core.geolocation();
  } catch {
    server = undefined;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tessera admin API',
      version: '1',
      description: 'Everything the admin console (Authentication Admin) does, within the administrator\'s own company, '
        + 'plus the SAP Concur app-secret API. Errors are `{code, error, error_description}`; invalid input also lists `fields`. '
        + 'Another company\'s ids answer 404.',
    },
    ...(server ? { servers: [{ url: server }] } : {}),
    security: adminAuth,
    tags: [
      { name: 'Session' }, { name: 'OAuth 2.0 Application Management' }, { name: 'Client Secrets' },
      { name: 'Company Request Token' }, { name: 'Connections' },
      { name: 'App Center', description: 'docs/protocol.md §12 "App Center": connect the listed apps of other companies (the company-auth flow).' }, { name: 'Users' }, { name: 'Audit Log' },
      { name: 'Concur app-secret API', description: 'docs/protocol.md §7: authorized by an application token (client_credentials) of the same app.' },
    ],
    paths: {
      '/admin/api/session': {
        get: {
          tags: ['Session'], summary: 'Who is signed in; a CSRF token for the next request', security: [],
          description: 'Signed in: the user, company and session CSRF token. Not signed in: `{signedIn:false, csrfToken}` for the '
            + 'sign-in form, bound to the `tessera_sign_in` cookie set here.',
          responses: { 200: ok('The session, or the sign-in CSRF token', ref('Session')) },
        },
        post: {
          tags: ['Session'], summary: 'Sign in (console)', security: [{ signInCsrf: [] }],
          description: 'Sets the HttpOnly, SameSite=Strict session cookie `tessera_admin`. Failed attempts lock the login id for '
            + 'the console (code 14), count toward the lock over every client, and spend the address\'s sign-in budget (429).',
          requestBody: body(inputSchema(CredentialsSchema)),
          responses: { 200: ok('Signed in', ref('Session')), ...errors(400, 403, 429) },
        },
        delete: {
          tags: ['Session'], summary: 'Sign out',
          description: 'Ends the session the request came with: the console session, or the session an admin token is bound to (the token answers 401 from then on).',
          responses: { 204: ok('Signed out'), ...errors(401, 403) },
        },
      },
      '/admin/api/token': {
        post: {
          tags: ['Session'], summary: 'A short-lived Bearer admin token for scripts and `tessera admin --server`', security: [],
          description: 'A JWT with the audience `tessera-admin`, bound to a server-side session: it ends after `TESSERA_ACCESS_TOKEN_TTL`, '
            + 'when unused for `TESSERA_SESSION_IDLE_SECONDS`, at `DELETE /admin/api/session`, or when the user may no longer administer. '
            + 'The admin API takes no other token: access tokens of apps (any grant) answer 401. Budgeted and locked like the console sign-in.',
          requestBody: body(inputSchema(CredentialsSchema)),
          responses: { 200: ok('The token', ref('AdminToken')), ...errors(400, 403, 429) },
        },
      },
      '/admin/api/catalog': {
        get: {
          tags: ['OAuth 2.0 Application Management'], summary: 'Grant types and the grouped scope catalog',
          responses: { 200: ok('The catalog', ref('Catalog')), ...errors(401) },
        },
      },
      '/admin/api/apps': {
        get: {
          tags: ['OAuth 2.0 Application Management'], summary: 'Application List',
          parameters: [
            queryParam('filter', 'Part of a Client ID or App Name.'),
            queryParam('sort', 'Column.', { enum: ['clientId', 'name', 'description', 'createdAt', 'updatedAt', 'lastUsedAt'], default: 'createdAt' }),
            queryParam('order', 'Order.', { enum: ['asc', 'desc'], default: 'desc' }),
            ...pagingParams(25),
          ],
          responses: { 200: ok('One page of apps', page('App')), ...errors(400, 401) },
        },
        post: {
          tags: ['OAuth 2.0 Application Management'], summary: 'Create New App',
          description: 'Nothing is saved unless every field is valid. The answer holds the client secret, shown this once.',
          requestBody: body(inputSchema(NewAppSchema)),
          responses: { 201: ok('App Credentials', ref('CreatedApp')), ...errors(400, 401, 403) },
        },
      },
      '/admin/api/apps/{appId}': {
        parameters: [appId],
        get: { tags: ['OAuth 2.0 Application Management'], summary: 'App Details', responses: { 200: ok('The app and its secrets', ref('AppDetails')), ...errors(401, 404) } },
        patch: {
          tags: ['OAuth 2.0 Application Management'], summary: 'Edit, or set Enabled yes/no', description: 'Only the given fields change.',
          requestBody: body(inputSchema(AppChangesSchema)),
          responses: { 200: ok('The app', ref('App')), ...errors(400, 401, 403, 404) },
        },
      },
      '/admin/api/apps/{appId}/secrets': {
        parameters: [appId],
        get: { tags: ['Client Secrets'], summary: 'List secrets (never their values)', responses: { 200: ok('Secrets', { type: 'array', items: ref('Secret') }), ...errors(401, 404) } },
        post: {
          tags: ['Client Secrets'], summary: 'Generate a new secret (Inactive; the value is shown this once)',
          description: 'At most 5 secrets per app (Decision 5).',
          responses: { 201: ok('The new secret with its value', ref('NewSecret')), ...errors(400, 401, 403, 404) },
        },
      },
      '/admin/api/apps/{appId}/secrets/{secretId}': {
        parameters: [appId, secretId],
        patch: {
          tags: ['Client Secrets'], summary: 'Activate or deactivate', description: 'At most 2 active secrets (Decision 5).',
          requestBody: body(inputSchema(SecretChangeSchema)),
          responses: { 200: ok('The secret', ref('Secret')), ...errors(400, 401, 403, 404) },
        },
        delete: { tags: ['Client Secrets'], summary: 'Delete an inactive secret', responses: { 204: ok('Deleted'), ...errors(400, 401, 403, 404) } },
      },
      '/admin/api/apps/{appId}/connections': {
        parameters: [appId],
        get: {
          tags: ['Connections'], summary: 'Companies and users connected to the app',
          parameters: [queryParam('status', 'Which connections.', { enum: ['all', 'active', 'revoked', 'expired'], default: 'all' }), ...pagingParams(50)],
          responses: { 200: ok('One page of connections', page('Connection')), ...errors(400, 401, 404) },
        },
      },
      '/admin/api/apps/{appId}/connections/{connectionId}': {
        parameters: [appId, pathParam('connectionId', 'The connection id.')],
        delete: { tags: ['Connections'], summary: 'Revoke a connection (its refresh tokens stop working)', responses: { 204: ok('Revoked'), ...errors(401, 403, 404) } },
      },
      '/admin/api/request-tokens': {
        post: {
          tags: ['Company Request Token'], summary: 'Generate (or regenerate) the company request token for an app',
          description: 'Replaces the previous token of the company for that app at once.',
          requestBody: body(inputSchema(RequestTokenInputSchema)),
          responses: { 201: ok('The token', ref('RequestToken')), ...errors(400, 401, 403, 404) },
        },
      },
      '/admin/api/app-center': {
        get: {
          tags: ['App Center'], summary: 'The listed apps of other companies (and those your company connected), by name, with your company\'s connection of each',
          parameters: pagingParams(50),
          responses: { 200: ok('One page of listed apps', page('AppCenterApp')), ...errors(400, 401) },
        },
      },
      '/admin/api/app-center/{appId}/connect': {
        parameters: [appId],
        post: {
          tags: ['App Center'], summary: 'Connect: a request token for your company, and the Connect URL to send the browser to',
          description: 'Generates (replacing) your company\'s request token for the listed app, which enables the app for your company, '
            + 'and answers its Connect URL with `id` (your Company UUID), `requestToken` and `userID` (yours) set in the query. '
            + 'The partner converts the token with the password grant (credtype=authtoken). An app that is not listed, is disabled, '
            + 'or is your own answers 404. The body may be empty; `loginId` is for the operator only.',
          requestBody: { required: false, content: jsonContent(inputSchema(ConnectInputSchema)) },
          responses: { 200: ok('Where to send the browser', ref('AppCenterConnect')), ...errors(400, 401, 403, 404) },
        },
      },
      '/admin/api/app-center/{appId}/connection': {
        parameters: [appId],
        delete: {
          tags: ['App Center'], summary: 'Withdraw another company\'s app from your company',
          description: 'Disables the app for your company (its token requests for your company answer 53, its tokens stop working) '
            + 'and revokes every connection of it within your company. Connect again to restore. 404 when your company never connected it.',
          responses: { 200: ok('Withdrawn', ref('AppCenterDisconnect')), ...errors(401, 403, 404) },
        },
      },
      '/admin/api/users': {
        get: {
          tags: ['Users'], summary: 'Users of the company',
          parameters: [queryParam('loginId', 'Only the user with this login id (matched case-insensitively, as sign-in does), or none.')],
          responses: { 200: ok('Users', { type: 'object', properties: { items: { type: 'array', items: ref('User') } } }), ...errors(400, 401) },
        },
        post: {
          tags: ['Users'], summary: 'Create a user', requestBody: body(inputSchema(NewUserSchema)),
          description: 'Login ids are unique over every company; a company hears "taken" a few times per window, then 429.',
          responses: { 201: ok('The user', ref('User')), ...errors(400, 401, 403, 429) },
        },
      },
      '/admin/api/users/{userId}': {
        parameters: [pathParam('userId', 'The user id.')],
        patch: {
          tags: ['Users'], summary: 'Enable or disable a user', requestBody: body(inputSchema(UserChangeSchema)),
          responses: { 200: ok('The user', ref('User')), ...errors(400, 401, 403, 404) },
        },
      },
      '/admin/api/users/{userId}/unlock': {
        parameters: [pathParam('userId', 'The user id.')],
        post: { tags: ['Users'], summary: 'Unlock a user locked by failed sign-ins', responses: { 200: ok('The user', ref('User')), ...errors(401, 403, 404) } },
      },
      '/admin/api/users/{userId}/password': {
        parameters: [pathParam('userId', 'The user id.')],
        post: {
          tags: ['Users'], summary: 'Set a new password; the lockout lifts and the user\'s console sessions end',
          requestBody: body(inputSchema(PasswordResetSchema)),
          responses: { 200: ok('The user', ref('User')), ...errors(400, 401, 403, 404) },
        },
      },
      '/admin/api/audit': {
        get: {
          tags: ['Audit Log'], summary: 'Who did what and when, newest first',
          parameters: [
            queryParam('appId', 'Only events of this app.', { type: 'string', format: 'uuid' }),
            queryParam('principalId', 'Only events about this principal (user, company or app id).'),
            queryParam('action', 'Only this action, e.g. token.issued, app.created, secret.activated.'),
            queryParam('since', 'From this time (ISO 8601 or epoch ms), inclusive.'),
            queryParam('until', 'Before this time (ISO 8601 or epoch ms).'),
            ...pagingParams(50),
          ],
          responses: { 200: ok('One page of events', page('AuditEvent')), ...errors(400, 401) },
        },
      },
      '/admin/api/company': {
        get: {
          tags: ['Company'], summary: 'Your company and its home datacenter (docs/protocol.md §10), with the datacenters of this deployment',
          responses: { 200: ok('The company', ref('CompanyDatacenter')), ...errors(401) },
        },
        patch: {
          tags: ['Company'], summary: 'Move your company to another home datacenter: a name of this deployment, a base URL, or null (any datacenter)',
          description: 'From then on its users sign in, get one-time passwords and refresh only there; elsewhere they get code 16 with the home geolocation.',
          requestBody: body(inputSchema(HomeDatacenterSchema)),
          responses: { 200: ok('The company', ref('CompanyDatacenter')), ...errors(400, 401, 403) },
        },
      },
      '/admin/api/outbox': {
        get: {
          tags: ['Outbox'], summary: 'Mail kept for your company\'s users when no SMTP server is configured (one-time passwords), newest first, at most 100; each read is audited',
          responses: { 200: ok('The messages', { type: 'array', items: ref('OutboxMessage') }), ...errors(401, 403) },
        },
      },
      '/app-mgmt/v4/{appId}/secrets': {
        parameters: [appId],
        get: {
          tags: ['Concur app-secret API'], summary: 'List the app\'s secrets', security: [{ appToken: [] }],
          responses: { 200: ok('Secrets', { type: 'array', items: ref('Secret') }), ...errors(401, 404) },
        },
        post: {
          tags: ['Concur app-secret API'], summary: 'Create a secret (Inactive; the value is shown this once)', security: [{ appToken: [] }],
          responses: { 200: ok('The new secret with its value', ref('NewSecret')), ...errors(400, 401, 404) },
        },
      },
      '/app-mgmt/v4/{appId}/secrets/{secretId}': {
        parameters: [appId, secretId],
        patch: {
          tags: ['Concur app-secret API'], summary: 'Activate or deactivate (SCIM PatchOp)', security: [{ appToken: [] }],
          requestBody: body(ref('PatchOp')),
          responses: { 200: ok('The secret', ref('Secret')), ...errors(400, 401, 404) },
        },
        delete: {
          tags: ['Concur app-secret API'], summary: 'Delete an inactive secret', security: [{ appToken: [] }],
          responses: { 204: ok('Deleted'), ...errors(400, 401, 404) },
        },
      },
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'tessera_admin', description: 'The console session (sign in with POST /admin/api/session).' },
        csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: 'The session\'s CSRF token (from GET /admin/api/session), on every POST, PATCH and DELETE.' },
        signInCsrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: 'The sign-in CSRF token from GET /admin/api/session, with its tessera_sign_in cookie.' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An admin token of a Web Services Administrator from POST /admin/api/token (audience `tessera-admin`); access tokens of apps are refused.' },
        appToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An application token (client_credentials) of the app in the path, obtained with a secret that is still active, while the app is enabled.' },
      },
      responses: Object.fromEntries([400, 401, 403, 404, 429].map((status) => [`E${status}`, {
        description: {
          400: 'Invalid input; nothing was changed', 401: 'Not signed in, or the token is missing or invalid',
          403: 'Not a Web Services Administrator, or a missing or wrong CSRF token', 404: 'Not found (or another company\'s)',
          429: 'Too many attempts from this address (or, creating users, too many taken login ids): retry after `Retry-After` seconds',
        }[status],
        ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
        content: jsonContent(ref('Error')),
      }])),
      schemas: {
        CompanyDatacenter: {
          type: 'object', required: ['id', 'name', 'geolocation', 'datacenter', 'datacenters'],
          properties: {
            id: { type: 'string', format: 'uuid' }, name: { type: 'string' },
            geolocation: { type: ['string', 'null'], description: 'The home datacenter\'s base URL; null: whichever datacenter serves the request.' },
            datacenter: { type: ['string', 'null'], description: 'The name this deployment gives the home datacenter, if it serves it.' },
            datacenters: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, url: { type: 'string' } } } },
          },
        },
        Error: {
          type: 'object', required: ['code', 'error', 'error_description'],
          properties: {
            code: { type: 'integer' }, error: { type: 'string' }, error_description: { type: 'string' },
            fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
        Session: {
          type: 'object', required: ['signedIn', 'csrfToken'],
          properties: {
            signedIn: { type: 'boolean' }, csrfToken: { type: 'string' },
            user: { type: 'object', properties: { id: { type: 'string' }, loginId: { type: 'string' }, displayName: { type: ['string', 'null'] } } },
            company: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
            idleTimeoutSeconds: { type: 'integer' }, expiresAt: { type: 'string', format: 'date-time' },
          },
        },
        AdminToken: {
          type: 'object',
          properties: {
            accessToken: { type: 'string' }, tokenType: { const: 'Bearer' }, expiresIn: { type: 'integer' },
            expiresAt: { type: 'string', format: 'date-time' }, loginId: { type: 'string' }, companyUUID: { type: 'string' }, companyName: { type: 'string' },
          },
        },
        Catalog: {
          type: 'object',
          properties: {
            grants: { type: 'array', items: { type: 'string' } },
            scopeGroups: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } } } } },
          },
        },
        App: {
          type: 'object',
          properties: {
            clientId: { type: 'string', format: 'uuid' }, companyUUID: { type: 'string', format: 'uuid' }, name: { type: 'string' },
            description: { type: 'string' }, stage: { enum: ['development', 'test', 'production'] }, appType: { enum: ['ws-client', 'ics-client'] },
            clientType: { enum: ['confidential', 'public'], description: 'docs/protocol.md Decision 14: a public app must use PKCE and redeems codes and refresh tokens with its client id alone.' },
            grants: { type: 'array', items: { type: 'string' } }, scopes: { type: 'array', items: { type: 'string' } },
            redirectUris: { type: 'array', items: { type: 'string' } }, enabled: { type: 'boolean' },
            listed: { type: 'boolean', description: 'Shown in other companies\' App Center.' },
            connectUrl: { type: ['string', 'null'], description: 'Where Connect sends the browser (required when listed).' },
            createdAt: time, updatedAt: time, lastUsedAt: time,
            inactivity: { type: 'object', properties: { days: { type: 'integer' }, deactivatesAt: time }, description: 'Decision 7: deactivation after this many days unused.' },
          },
        },
        AppDetails: {
          allOf: [ref('App'), {
            type: 'object',
            properties: {
              secrets: { type: 'array', items: ref('Secret') },
              connectedCompanies: { type: 'integer', description: 'Other companies that have the app connected now (App Center).' },
            },
          }],
        },
        AppCenterApp: {
          type: 'object',
          properties: {
            clientId: { type: 'string', format: 'uuid' }, name: { type: 'string' }, description: { type: 'string' },
            companyName: { type: 'string', description: 'The company that offers the app.' },
            connectable: { type: 'boolean', description: 'Listed and enabled: Connect accepts it. False for an app your company connected that is no longer offered.' },
            connectUrl: { type: ['string', 'null'], description: 'Where Connect sends the browser; null when not connectable.' },
            scopes: { type: 'array', items: { type: 'string' } },
            connected: { type: 'boolean', description: 'The app is enabled for your company.' },
            activeConnections: { type: 'integer', description: 'Your company\'s live connections of the app.' },
          },
        },
        AppCenterConnect: {
          type: 'object', required: ['redirectUrl', 'clientId', 'name', 'expiresAt'],
          properties: {
            redirectUrl: { type: 'string', description: 'The Connect URL with id, requestToken and userID: send the browser here.' },
            clientId: { type: 'string', format: 'uuid' }, name: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' },
          },
        },
        AppCenterDisconnect: {
          type: 'object',
          properties: {
            clientId: { type: 'string', format: 'uuid' }, connected: { const: false }, revokedConnections: { type: 'integer' },
            disconnectedAt: { type: 'string', format: 'date-time' },
          },
        },
        CreatedApp: { type: 'object', properties: { app: ref('App'), clientSecret: { type: 'string', description: 'Shown this once.' } } },
        Secret: {
          type: 'object', required: ['id', 'status', 'createdAt', 'updatedAt'],
          properties: { id: { type: 'string', format: 'uuid' }, status: { enum: ['Active', 'Inactive'] }, createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' } },
        },
        NewSecret: { allOf: [ref('Secret'), { type: 'object', required: ['secret'], properties: { secret: { type: 'string', description: 'Shown this once.' } } }] },
        PatchOp: {
          type: 'object', required: ['schemas', 'Operations'],
          properties: {
            schemas: { type: 'array', items: { const: 'urn:ietf:params:scim:api:messages:2.0:PatchOp' } },
            Operations: { type: 'array', minItems: 1, items: { type: 'object', properties: { op: { const: 'replace' }, path: { const: '/status' }, value: { enum: ['active', 'inactive'] } } } },
          },
        },
        Connection: {
          type: 'object',
          properties: {
            id: { type: 'string' }, principalType: { enum: ['company', 'user'] }, principalId: { type: 'string' }, principalName: { type: ['string', 'null'] },
            scopes: { type: 'array', items: { type: 'string' } }, status: { enum: ['active', 'revoked', 'expired'] },
            createdAt: time, lastUsedAt: time, refreshExpiresAt: time, revokedAt: time,
          },
        },
        RequestToken: {
          type: 'object',
          properties: {
            companyUUID: { type: 'string' }, requestToken: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' },
            appId: { type: 'string' }, appName: { type: 'string' }, maxUses: { type: 'integer' }, tokenUrl: { type: 'string' },
            curl: { type: 'string', description: 'The password grant (credtype=authtoken), every value filled in but the client secret.' },
            warnings: { type: 'array', items: { type: 'string' } },
          },
        },
        User: {
          type: 'object',
          properties: {
            id: { type: 'string' }, loginId: { type: 'string' }, email: { type: ['string', 'null'] }, displayName: { type: ['string', 'null'] },
            roles: { type: 'array', items: { type: 'string' } }, administrator: { type: 'boolean' }, status: { enum: ['active', 'disabled', 'locked'] },
            locked: { type: 'boolean' }, lockedUntil: time, failedLogins: { type: 'integer' }, createdAt: time, updatedAt: time,
          },
        },
        OutboxMessage: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' }, to: { type: 'string' }, subject: { type: 'string' }, text: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
        AuditEvent: {
          type: 'object',
          properties: {
            id: { type: 'integer' }, at: { type: 'string', format: 'date-time' }, action: { type: 'string' }, outcome: { enum: ['success', 'failure'] },
            correlationId: { type: ['string', 'null'] },
            actor: {
              type: 'object', description: 'Who: a user (name = login id), a company, an application, or the system.',
              properties: { type: { type: ['string', 'null'] }, id: { type: ['string', 'null'] }, name: { type: ['string', 'null'] } },
            },
            appId: { type: ['string', 'null'] }, appName: { type: ['string', 'null'] },
            principalId: { type: ['string', 'null'] }, principalName: { type: ['string', 'null'] },
            code: { type: ['integer', 'null'] }, detail: { type: ['object', 'null'] },
          },
        },
      },
    },
  };
}
