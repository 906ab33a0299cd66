/**
 * `tessera-client`: the integrator's side of SAP Concur-style OAuth 2.0 (docs/protocol.md §13),
 * for SAP Concur and Tessera alike. Zero runtime dependencies; Node 20+.
 */
export {
  TokenManager, type TokenManagerOptions, type GrantOptions, type ConvertOptions, type ExchangeCodeOptions,
  type OtpParams, type RequestOtpOptions, type ExchangeOtpOptions,
} from './token-manager.js';
export {
  readAuthorizationResponse, browserBase, type AuthorizationUrlOptions, type AuthorizationRequest, type AuthorizationResponse,
} from './authorization.js';
export { codeChallengeS256 } from './pkce.js';
export { ConcurError, isConcurError, type ConcurErrorCode, type ConcurErrorDetails } from './errors.js';
export { type TokenStore, type ConnectionState, isRefreshTokenLive } from './token-store.js';
export { MemoryTokenStore } from './memory-store.js';
export { FileTokenStore, type FileTokenStoreOptions } from './file-store.js';
export { withFileLock, type FileLockOptions } from './file-lock.js';
export { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.js';
export { type AccessToken, type Principal, parseExpiresIn, parseRefreshExpiresIn } from './token-response.js';
export { tlsProblem, type FetchLike, type RetryOptions, type RetryEvent } from './http.js';
export { resolveAtGeolocation, normalizeGeolocation } from './geolocation.js';
export { decodeJwtClaims } from './jwt.js';
export { ConcurCodes, describeErrorCode, isConcurCode, type ConcurCode, type ErrorCodeInfo } from 'tessera-protocol';
