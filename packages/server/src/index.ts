export { createServer, createCore, openStore, type CoreHandle, type ServerOptions, type TesseraServer } from './server.js';
export { loadSettings, SettingsSchema, SettingEnvironmentNames, type Settings, type SettingsInput } from './config.js';
export { ManualClock, MovableClock, systemClock, type Clock } from './core/clock.js';
export { Emulator } from './core/emulator/emulator.js';
export { parseDuration, type ClockView } from './core/emulator/clock-commands.js';
export { faultMatches, FaultRules, MaxFaultDelayMs, type FaultRule, type FaultMatch, type FaultEffect, type NewFault, type RequestFacts } from './core/emulator/faults.js';
export { ConcurError } from './core/errors.js';
export { createApp, addSecret, setSecretStatus, updateApp, enableAppForCompany, describeSecret, type NewApp } from './core/apps.js';
export { createCompany, createCompanyFor, listCompaniesFor, type CompanyView } from './core/companies.js';
export { operatorActor, type Actor, type ActorType } from './core/actor.js';
export {
  operatorContext, listApps, createAppFor, updateAppFor, appDetails, listSecretsFor, createSecretFor, changeSecretFor, deleteSecretFor,
  generateRequestTokenFor, listUsersFor, createUserFor, changeUserFor, unlockUserFor, resetUserPasswordFor,
  type AdminContext, type AppView, type Paged, type UserView,
} from './core/admin.js';
export type { SecretView } from './core/app-secrets.js';
export { listOutboxFor, type OutboxMessageView } from './core/outbox.js';
export { listAppCenterFor, connectAppFor, disconnectAppFor, type AppCenterView, type Connected, type Disconnected } from './core/app-center.js';
export { createUser, resetUserPassword, WebServicesAdministrator } from './core/users.js';
export { generateRequestToken } from './core/request-tokens.js';
export { seedDemoData, type DemoSeed } from './core/seed.js';
export { openSqliteStore } from './storage/sqlite/store.js';
export { LoginIdTakenError } from './storage/errors.js';
export { openPostgresStore, type PostgresStoreOptions } from './storage/postgres/store.js';
export type * from './storage/types.js';
export type { Core, RequestMeta } from './core/context.js';
export type {
  Grant, GrantParameter, GrantParams, GrantContext, GrantTokens, GrantConnections, GrantRequestTokens, GrantUsers, GrantCompanies,
  GrantSettings, HeldConnection, ScopeChoice, SignedInUser, ConcurCode,
} from './core/grants/grant.js';
export { GrantRegistry, grantedScopes } from './core/grants/registry.js';
export { rotateSigningKey, listKeys, type KeyView, type KeyStatus, type Rotation, type RotateOptions } from './core/key-rotation.js';
export { sweep, type SweepReport } from './core/sweeper.js';
export { startMaintenance, type Maintenance } from './core/maintenance.js';
export { CountersFull, MemoryRateLimiter, type RateLimiter, type CounterUpdate, type CounterState } from './core/rate-limiter.js';
export { openRedisRateLimiter } from './storage/redis/rate-limiter.js';
export type { Protection, Attempt } from './core/protection.js';
export type { HashingGate } from './core/hashing-gate.js';
export type { SigningAlg } from './core/keys.js';
export { backupStore, restoreStore, backupKeyFile, StoreFileError, type BackupReport, type RestoreReport } from './store-backup.js';
export { migrateToPostgres, type MigrationReport } from './store-migration.js';
