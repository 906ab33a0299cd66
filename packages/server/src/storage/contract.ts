/**
 * The storage contract suite (docs/architecture.md "Storage": "sqlite … │ postgres … — one contract test
 * suite"): every backend runs these same tests against its own fresh store. They check what a
 * caller can observe through the repository interfaces of `types.ts`, including the atomicity
 * of single-use and rotating operations under concurrent callers.
 *
 * Imported only from tests (it needs vitest); it is not exported from the package entry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appCenterContract } from './contract/app-center.js';
import { appsContract } from './contract/apps.js';
import { authorizationContract } from './contract/authorization.js';
import { connectionsContract } from './contract/connections.js';
import { datacentersContract } from './contract/datacenters.js';
import { companiesContract, usersContract } from './contract/directory.js';
import { auditContract, keysContract } from './contract/keys-audit.js';
import { outboxOtpContract } from './contract/outbox-otp.js';
import { refreshLookupContract } from './contract/refresh-lookup.js';
import { requestTokensContract } from './contract/request-tokens.js';
import { sessionsContract } from './contract/sessions.js';
import { sweepingContract } from './contract/sweeping.js';
import type { Store } from './types.js';

/** An open, empty store, and how to close and remove it again. */
export interface OpenedStore {
  store: Store;
  cleanup(): Promise<void>;
}

/** Opens a fresh, empty store; called once per test. */
export type StoreFactory = () => Promise<OpenedStore>;

/**
 * Declares the contract suite for one backend as a vitest `describe(name)` block. Each test gets
 * a store of its own from `factory` and cleans it up afterwards.
 */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(name, () => {
    let opened: OpenedStore | undefined;
    beforeEach(async () => {
      opened = await factory();
    });
    afterEach(async () => {
      const done = opened;
      opened = undefined;
      await done?.cleanup();
    });
    const store = (): Store => {
      if (!opened) throw new Error('the store is open only inside a test');
      return opened.store;
    };

    it('names its kind', () => {
      expect(['sqlite', 'postgres']).toContain(store().kind);
    });

    companiesContract(store);
    usersContract(store);
    appsContract(store);
    appCenterContract(store);
    requestTokensContract(store);
    connectionsContract(store);
    refreshLookupContract(store);
    datacentersContract(store);
    keysContract(store);
    auditContract(store);
    sessionsContract(store);
    sweepingContract(store);
    authorizationContract(store);
    outboxOtpContract(store);
  });
}
