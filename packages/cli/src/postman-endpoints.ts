/**
 * Every Tessera endpoint as one request of the Postman collection `tessera postman export` writes,
 * in the order the collection runs them as one flow: the four steps first, then the grants, keys,
 * protected APIs and the app-secret API, then the cleanup that revokes what the run made (so it
 * can run again), and last the emulator routes, which exist only in emulator mode.
 * Requests use only variables; `postman-collection.ts` turns this table into collection v2.1.
 */

export type JsonType = 'string' | 'number' | 'boolean' | 'array' | 'object';

export interface EndpointRequest {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** After `{{baseUrl}}`, with `{{variables}}`. */
  path: string;
  description: string;
  /** The variable holding the Bearer token sent, if any. */
  bearer?: string;
  /** A form body (`application/x-www-form-urlencoded`). */
  form?: Record<string, string>;
  /** Form fields left out when their value is empty (e.g. `code_verifier` for a code issued without PKCE). */
  optionalFields?: string[];
  /** A JSON body. */
  json?: unknown;
  /** The status the request must answer. */
  status: number;
  /** Fields the JSON answer must have, by type (`a.b` reaches into objects). */
  shape?: Record<string, JsonType>;
  /** Variables set from the JSON answer: variable → field (`a.b`, `0.id` for the first element). */
  capture?: Record<string, string>;
  /** Further checks: `[test name, JavaScript with \`body\` (the parsed answer) and \`pm\`]`. */
  checks?: [string, string][];
  /** Variables that must be set for the request to make sense; when one is empty the request is skipped (see its description). */
  needs?: string[];
  /** JavaScript run before the request (after the `needs` check). */
  prerequest?: string;
  /** JavaScript run after the tests (e.g. clearing a used one-time value). */
  after?: string;
}

export interface EndpointFolder {
  name: string;
  description: string;
  requests: EndpointRequest[];
}

/** Variables of the exported environment, in order; `secret` ones are typed `secret` in Postman. */
export interface VariableSpec {
  key: string;
  secret: boolean;
  description: string;
}

export const EmulatorFolder = 'Emulator (emulator mode only)';

const client = { client_id: '{{clientId}}', client_secret: '{{clientSecret}}' };

const tokenShape: Record<string, JsonType> = {
  access_token: 'string', token_type: 'string', expires_in: 'string', scope: 'string',
};
const refreshableShape: Record<string, JsonType> = {
  ...tokenShape, refresh_token: 'string', refresh_expires_in: 'number', id_token: 'string', geolocation: 'string',
};
const jwtCheck = (field: string): [string, string] =>
  [`${field} is a JWT`, `pm.expect(String(body.${field}).split('.')).to.have.lengthOf(3);`];
const concurError = (code: number): [string, string][] => [
  [`Concur error ${code}`, `pm.expect(body.code).to.eql(${code}); pm.expect(body.error).to.be.a('string'); pm.expect(body.error_description).to.be.a('string');`],
];

const scimPatch = (value: 'active' | 'inactive') => ({
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [{ op: 'replace', path: '/status', value }],
});

export const CollectionVariables: VariableSpec[] = [
  { key: 'baseUrl', secret: false, description: 'the Tessera (or the datacenter) every request goes to' },
  { key: 'clientId', secret: false, description: 'the app: Client ID' },
  { key: 'clientSecret', secret: true, description: 'the app: client secret' },
  { key: 'companyUUID', secret: false, description: 'Company UUID of the request token' },
  { key: 'requestToken', secret: true, description: 'a company request token (24 h, up to 5 conversions); empty: the conversion is skipped and refreshToken is used' },
  { key: 'refreshToken', secret: true, description: "the company connection's refresh token (set by the conversion)" },
  { key: 'accessToken', secret: true, description: 'company access token (set by the run)' },
  { key: 'geolocation', secret: false, description: "the token's geolocation (set by the run)" },
  { key: 'appToken', secret: true, description: 'application token, client_credentials (set by the run)' },
  { key: 'username', secret: false, description: 'a user of the company, for the password grant (skipped when empty)' },
  { key: 'password', secret: true, description: "that user's password" },
  { key: 'userAccessToken', secret: true, description: 'user access token (set by the run)' },
  { key: 'userRefreshToken', secret: true, description: 'user refresh token (set by the run)' },
  { key: 'userId', secret: false, description: "the user's UUID (set by the run)" },
  { key: 'redirectUri', secret: false, description: 'a registered Redirect URI of the app, for the authorization_code grant' },
  { key: 'code', secret: true, description: 'an authorization code from /oauth2/v0/authorize in a browser (10 min, single use; skipped when empty)' },
  { key: 'codeVerifier', secret: true, description: 'the PKCE verifier of that code, if it was requested with a code_challenge' },
  { key: 'otpEmail', secret: false, description: "a user's email address, for the OTP calls (skipped when empty)" },
  { key: 'otp', secret: true, description: 'the one-time password mailed by /oauth2/v0/otp (or read from the outbox with adminToken)' },
  { key: 'adminToken', secret: true, description: "optional: a Tessera admin token (POST /admin/api/token); with it the OTP is read from the company's outbox" },
  { key: 'secretId', secret: false, description: 'the secret created by the app-secret API (set by the run)' },
  { key: 'faultId', secret: false, description: 'the fault rule created in emulator mode (set by the run)' },
];

/** The OTP grant's pre-request script: without `otp`, read it from Tessera's outbox (no SMTP) when `adminToken` is set. */
const otpFromOutbox = `
if (!pm.environment.get('otp') && pm.environment.get('adminToken')) {
  pm.sendRequest({
    url: pm.environment.get('baseUrl') + '/admin/api/outbox', method: 'GET',
    header: { Authorization: 'Bearer ' + pm.environment.get('adminToken') },
  }, function (error, response) {
    if (error) { console.error('outbox: ' + error); return; }
    var handle = String(pm.environment.get('otpEmail')).toLowerCase();
    var messages = response.json().filter(function (m) { return String(m.to).toLowerCase() === handle; });
    messages.sort(function (a, b) { return a.createdAt < b.createdAt ? 1 : -1; });
    var found = messages.length ? /\\bdd-[a-z0-9]{30}\\b/.exec(messages[0].text) : null;
    if (found) pm.environment.set('otp', found[0]);
  });
}`;

export const EndpointTable: EndpointFolder[] = [
  {
    name: 'The four steps',
    description: 'Steps 1 and 2 happen in the administration (create the app, generate a company request token). '
      + 'Step 3 converts the request token once into a refresh token; step 4 trades it for an access token and calls an API.',
    requests: [
      {
        name: 'Step 3: convert the request token (password grant, credtype=authtoken)',
        method: 'POST', path: '/oauth2/v0/token',
        description: 'The one-time conversion (docs/protocol.md §2). On success the request token is cleared and later runs use refreshToken; '
          + 'skipped when requestToken is empty.',
        form: { grant_type: 'password', credtype: 'authtoken', ...client, username: '{{companyUUID}}', password: '{{requestToken}}' },
        needs: ['requestToken', 'companyUUID'],
        status: 200, shape: refreshableShape,
        checks: [jwtCheck('access_token'), jwtCheck('id_token'), ['company token', "pm.expect(JSON.parse(atob(body.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))['concur.type']).to.eql('company');"]],
        capture: { accessToken: 'access_token', refreshToken: 'refresh_token', geolocation: 'geolocation' },
        // Converted once: later runs use the refresh token (a revoked connection's request token cannot connect again).
        after: "if (pm.response.code === 200) pm.environment.set('requestToken', '');",
      },
      {
        name: 'Step 4: obtain an access token (refresh_token grant)',
        method: 'POST', path: '/oauth2/v0/token',
        description: 'Trades the refresh token for a 60-minute access token; the refresh token it answers replaces the stored one.',
        form: { grant_type: 'refresh_token', ...client, refresh_token: '{{refreshToken}}' },
        needs: ['refreshToken'],
        status: 200, shape: refreshableShape, checks: [jwtCheck('access_token')],
        capture: { accessToken: 'access_token', refreshToken: 'refresh_token', geolocation: 'geolocation' },
      },
      {
        name: 'Step 4: call an API (GET /profile/v1/me as the company)',
        method: 'GET', path: '/profile/v1/me', bearer: 'accessToken',
        description: 'The company behind the token (scope company.read).',
        status: 200, shape: { id: 'string', name: 'string', 'meta.principalType': 'string' },
        checks: [['it is the company', "pm.expect(body.id).to.eql(pm.environment.get('companyUUID') || body.id); pm.expect(body.meta.principalType).to.eql('company');"]],
      },
    ],
  },
  {
    name: 'Token grants',
    description: 'The other grants of POST /oauth2/v0/token (docs/protocol.md §2) and the OTP call (§5). The app needs each grant among its Allowed Grants.',
    requests: [
      {
        name: 'client_credentials: an application token',
        method: 'POST', path: '/oauth2/v0/token',
        description: 'An application token: no refresh token, no id token. The app-secret API needs it.',
        form: { grant_type: 'client_credentials', ...client },
        status: 200, shape: tokenShape,
        checks: [jwtCheck('access_token'), ['no refresh token', 'pm.expect(body.refresh_token).to.be.undefined;']],
        capture: { appToken: 'access_token' },
      },
      {
        name: 'password: a user token (credtype=password)',
        method: 'POST', path: '/oauth2/v0/token',
        description: 'A user signs in with login id and password; must reach the user\'s home datacenter (else code 16). Skipped when username is empty.',
        form: { grant_type: 'password', credtype: 'password', ...client, username: '{{username}}', password: '{{password}}' },
        needs: ['username', 'password'],
        status: 200, shape: refreshableShape, checks: [jwtCheck('access_token'), jwtCheck('id_token')],
        capture: { userAccessToken: 'access_token', userRefreshToken: 'refresh_token' },
      },
      {
        name: 'refresh_token: refresh the user token',
        method: 'POST', path: '/oauth2/v0/token',
        description: 'The user connection\'s refresh (6 months, sliding).',
        form: { grant_type: 'refresh_token', ...client, refresh_token: '{{userRefreshToken}}' },
        needs: ['userRefreshToken'],
        status: 200, shape: refreshableShape,
        capture: { userAccessToken: 'access_token', userRefreshToken: 'refresh_token' },
      },
      {
        name: 'authorization_code: exchange a code',
        method: 'POST', path: '/oauth2/v0/token',
        description: 'The code comes from GET /oauth2/v0/authorize, where a person signs in and allows the app in a browser: '
          + 'newman cannot drive those pages. Open {{baseUrl}}/oauth2/v0/authorize?client_id={{clientId}}&redirect_uri={{redirectUri}}'
          + '&response_type=code&scope=openid%20user.read&nonce=n&state=s, sign in, Allow, and copy `code` from the redirect into the `code` '
          + 'variable (10 minutes, single use; with PKCE also codeVerifier). Skipped when code is empty; the used code is cleared.',
        form: { grant_type: 'authorization_code', ...client, code: '{{code}}', redirect_uri: '{{redirectUri}}', code_verifier: '{{codeVerifier}}' },
        optionalFields: ['code_verifier'],
        needs: ['code', 'redirectUri'],
        status: 200, shape: refreshableShape, checks: [jwtCheck('id_token')],
        after: "pm.environment.set('code', '');",
      },
      {
        name: 'OTP: send a one-time password (POST /oauth2/v0/otp)',
        method: 'POST', path: '/oauth2/v0/otp',
        description: 'Mails a one-time password to the user with this address (15 min, single use, at most 5 open). '
          + 'Unknown addresses get the same answer. Skipped when otpEmail is empty.',
        form: { ...client, channel_type: 'email', channel_handle: '{{otpEmail}}', company: 'Postman' },
        needs: ['otpEmail'],
        status: 200, shape: { message: 'string' },
        checks: [['otp sent', "pm.expect(body.message).to.eql('otp sent');"]],
      },
      {
        name: 'otp: exchange the one-time password',
        method: 'POST', path: '/oauth2/v0/token',
        description: 'grant_type=otp with the mailed password and every field sent to /otp unchanged. Set `otp` from the mail; '
          + 'with adminToken set and no SMTP, the pre-request script reads it from the company\'s outbox. The used OTP is cleared.',
        form: { grant_type: 'otp', ...client, channel_type: 'email', channel_handle: '{{otpEmail}}', company: 'Postman', otp: '{{otp}}' },
        prerequest: otpFromOutbox,
        needs: ['otpEmail', 'otp'],
        status: 200, shape: refreshableShape,
        after: "pm.environment.set('otp', '');",
      },
    ],
  },
  {
    name: 'Keys, discovery and health',
    description: 'Public endpoints: the key set tokens are verified with, the OpenID discovery document (a Tessera extension, docs/protocol.md §6), liveness and readiness.',
    requests: [
      {
        name: 'JWKS', method: 'GET', path: '/oauth2/v0/jwks',
        description: 'RFC 7517 key set; tokens name their key with `kid`.',
        status: 200, shape: { keys: 'array' },
        checks: [['keys have kid and kty', "pm.expect(body.keys.length).to.be.above(0); body.keys.forEach(function (k) { pm.expect(k.kid).to.be.a('string'); pm.expect(k.kty).to.be.a('string'); });"]],
      },
      {
        name: 'OpenID discovery', method: 'GET', path: '/.well-known/openid-configuration',
        description: 'Where the token, authorize, JWKS, userinfo and introspection endpoints are.',
        status: 200,
        shape: { issuer: 'string', token_endpoint: 'string', jwks_uri: 'string', authorization_endpoint: 'string', grant_types_supported: 'array' },
      },
      {
        name: 'health', method: 'GET', path: '/healthz',
        description: 'Liveness.', status: 200, shape: { status: 'string' },
      },
      {
        name: 'ready', method: 'GET', path: '/readyz',
        description: 'Readiness: the store answers.', status: 200, shape: { status: 'string' },
        checks: [['ready', "pm.expect(body.status).to.eql('ready');"]],
      },
    ],
  },
  {
    name: 'Who am I: profile, identity, userinfo, introspection',
    description: 'Protected APIs that prove a token works and its scopes are enforced (docs/protocol.md §8). '
      + 'The app needs openid, user.read, company.read and identity.user.core.read; the user requests need the password grant.',
    requests: [
      {
        name: 'Profile: GET /profile/v1/me as the user', method: 'GET', path: '/profile/v1/me', bearer: 'userAccessToken',
        description: 'The user behind the token (scope user.read).', needs: ['userAccessToken'],
        status: 200, shape: { id: 'string', userName: 'string', 'meta.principalType': 'string' },
        capture: { userId: 'id' },
      },
      {
        name: 'Profile: GET /profile/v1/principals/{id}', method: 'GET', path: '/profile/v1/principals/{{companyUUID}}', bearer: 'accessToken',
        description: 'A principal of the token\'s own company by UUID.', needs: ['companyUUID'],
        status: 200, shape: { id: 'string', meta: 'object' },
      },
      {
        name: 'UserInfo', method: 'GET', path: '/oauth2/v0/userinfo', bearer: 'userAccessToken',
        description: 'OpenID Connect UserInfo (a Tessera extension).', needs: ['userAccessToken'],
        status: 200, shape: { sub: 'string' },
        checks: [['sub is the user', "pm.expect(body.sub).to.eql(pm.environment.get('userId'));"]],
      },
      {
        name: 'Introspection', method: 'POST', path: '/oauth2/v0/introspect',
        description: 'RFC 7662 (a Tessera extension): the app asks whether a token is active.',
        form: { ...client, token: '{{accessToken}}' },
        status: 200, shape: { active: 'boolean', sub: 'string', client_id: 'string', exp: 'number' },
        checks: [['active', 'pm.expect(body.active).to.eql(true);']],
      },
      ...(['v4', 'v4.1'] as const).flatMap((version): EndpointRequest[] => [
        {
          name: `Identity ${version}: list Users`, method: 'GET', path: `/profile/identity/${version}/Users`, bearer: 'accessToken',
          description: 'SCIM 2.0 list of the company\'s users (scope identity.user.core.read).',
          status: 200, shape: { schemas: 'array', totalResults: 'number', Resources: 'array' },
        },
        {
          name: `Identity ${version}: one User`, method: 'GET', path: `/profile/identity/${version}/Users/{{userId}}`, bearer: 'accessToken',
          description: 'One user by UUID.', needs: ['userId'],
          status: 200, shape: { id: 'string', userName: 'string', schemas: 'array' },
        },
      ]),
    ],
  },
  {
    name: 'App secrets',
    description: 'The app-secret API (docs/protocol.md §7), authorized by an application token of the same app. '
      + 'Rotation is create → activate new → deactivate old → delete old; here a new secret is created, activated, deactivated and deleted, leaving the app as it was.',
    requests: [
      {
        name: 'list secrets', method: 'GET', path: '/app-mgmt/v4/{{clientId}}/secrets', bearer: 'appToken',
        description: 'Every secret with its status, never a value.', needs: ['appToken'],
        status: 200,
        checks: [['an array of secrets', "pm.expect(body).to.be.an('array'); body.forEach(function (s) { pm.expect(s.id).to.be.a('string'); pm.expect(s.status).to.be.oneOf(['Active', 'Inactive']); pm.expect(s.secret).to.be.undefined; });"]],
      },
      {
        name: 'create a secret', method: 'POST', path: '/app-mgmt/v4/{{clientId}}/secrets', bearer: 'appToken',
        description: 'A new, inactive secret; its value is shown only here.', needs: ['appToken'],
        status: 200, shape: { id: 'string', status: 'string', secret: 'string' },
        checks: [['inactive', "pm.expect(body.status).to.eql('Inactive');"]],
        capture: { secretId: 'id' },
      },
      {
        name: 'activate it (PATCH, SCIM PatchOp)', method: 'PATCH', path: '/app-mgmt/v4/{{clientId}}/secrets/{{secretId}}', bearer: 'appToken',
        description: 'Replaces /status by active.', needs: ['appToken', 'secretId'], json: scimPatch('active'),
        status: 200, shape: { id: 'string', status: 'string' }, checks: [['active', "pm.expect(body.status).to.eql('Active');"]],
      },
      {
        name: 'deactivate it (PATCH, SCIM PatchOp)', method: 'PATCH', path: '/app-mgmt/v4/{{clientId}}/secrets/{{secretId}}', bearer: 'appToken',
        description: 'Replaces /status by inactive.', needs: ['appToken', 'secretId'], json: scimPatch('inactive'),
        status: 200, shape: { id: 'string', status: 'string' }, checks: [['inactive', "pm.expect(body.status).to.eql('Inactive');"]],
      },
      {
        name: 'delete it', method: 'DELETE', path: '/app-mgmt/v4/{{clientId}}/secrets/{{secretId}}', bearer: 'appToken',
        description: 'Only an inactive secret can be deleted.', needs: ['appToken', 'secretId'],
        status: 204, after: "pm.environment.set('secretId', '');",
      },
    ],
  },
  {
    name: 'Cleanup: revoke the connections',
    description: 'DELETE /app-mgmt/v0/connections (docs/protocol.md §7) revokes every refresh token of the principal for the app: '
      + 'here the user connections the run opened (password, authorization code, OTP), so the collection can run again and again. '
      + 'The company connection is kept: its refresh token stays in the environment for the next run (revoking it would need a new '
      + 'request token, since a revoked connection\'s request token cannot connect again; `tessera token revoke` does that).',
    requests: [
      {
        name: 'revoke the user connections', method: 'DELETE', path: '/app-mgmt/v0/connections', bearer: 'userAccessToken',
        description: 'With the user\'s access token: every connection of that user with this app.', needs: ['userAccessToken'], status: 200,
      },
      {
        name: 'the revoked refresh token is refused (108)', method: 'POST', path: '/oauth2/v0/token',
        description: 'Proves the revocation: the user\'s refresh token no longer works.',
        form: { grant_type: 'refresh_token', ...client, refresh_token: '{{userRefreshToken}}' }, needs: ['userRefreshToken'],
        status: 400, shape: { code: 'number', error: 'string', error_description: 'string' }, checks: concurError(108),
        after: "pm.environment.set('userRefreshToken', ''); pm.environment.set('userAccessToken', '');",
      },
    ],
  },
  {
    name: EmulatorFolder,
    description: 'The emulator API (`tessera serve --emulator`): a movable clock and injected faults. Without emulator mode these routes do not exist (404).',
    requests: [
      {
        name: 'read the clock', method: 'GET', path: '/emulator/v0/clock', description: 'The emulated now and its offset.',
        status: 200, shape: { now: 'string', offsetSeconds: 'number' },
      },
      {
        name: 'advance the clock', method: 'POST', path: '/emulator/v0/clock', description: 'Durations: <n>s|m|h|d or ISO-8601 (P181D).',
        json: { advance: '1h' }, status: 200, shape: { now: 'string', offsetSeconds: 'number' },
        checks: [['moved an hour', 'pm.expect(body.offsetSeconds).to.be.at.least(3600);']],
      },
      {
        name: 'reset the clock', method: 'POST', path: '/emulator/v0/clock', description: 'Back to the real time.',
        json: { reset: true }, status: 200, shape: { now: 'string', offsetSeconds: 'number' },
        checks: [['no offset', 'pm.expect(body.offsetSeconds).to.eql(0);']],
      },
      {
        name: 'add a fault', method: 'POST', path: '/emulator/v0/faults',
        description: 'The next 2 client_credentials token requests of this app answer Concur error 134 (company under maintenance).',
        json: { match: { path: '/oauth2/v0/token', grantType: 'client_credentials', clientId: '{{clientId}}' }, effect: { type: 'concur-error', code: 134 }, times: 2 },
        status: 201, shape: { id: 'string' }, capture: { faultId: 'id' },
      },
      {
        name: 'the fault answers', method: 'POST', path: '/oauth2/v0/token', description: 'The injected error with its status (503) and Concur body.',
        form: { grant_type: 'client_credentials', ...client }, status: 503, shape: { code: 'number', error: 'string' }, checks: concurError(134),
      },
      {
        name: 'list the faults', method: 'GET', path: '/emulator/v0/faults', description: 'Active rules with their remaining counts.',
        status: 200, shape: { faults: 'array' },
        checks: [['the rule is listed', "pm.expect(body.faults.map(function (f) { return f.id; })).to.include(pm.environment.get('faultId'));"]],
      },
      {
        name: 'delete the fault', method: 'DELETE', path: '/emulator/v0/faults/{{faultId}}', description: 'Removes one rule.',
        needs: ['faultId'], status: 204, after: "pm.environment.set('faultId', '');",
      },
      {
        name: 'clear every fault', method: 'DELETE', path: '/emulator/v0/faults', description: 'Removes all rules.', status: 204,
      },
    ],
  },
];
