/**
 * What follows a move of the emulator's clock (docs/protocol.md Decision 19): the sweeper turn
 * a timer would otherwise run much later, and a signing key for the new time.
 */
import type { Core } from '../context.js';
import { KeysLock } from '../keys.js';
import type { Maintenance } from '../maintenance.js';

export async function afterClockMove(core: Core, maintenance: Maintenance | undefined): Promise<void> {
  await maintenance?.runSweeperTurn();
  await core.keys.reload();
  await keepSigning(core);
}

/**
 * A move back in time can land before the activation of the key a rotation made while the clock
 * was ahead, with the keys it retired already retired: nothing would sign. Then a key of the
 * configured algorithm that signs from now on is made (audited), as the first start would.
 */
async function keepSigning(core: Core): Promise<void> {
  if (core.keys.signingKey()) return;
  const created = await core.store.locks.withLock(KeysLock, async () => {
    await core.keys.reload();
    if (core.keys.signingKey()) return undefined;
    return core.keys.createKey(core.keys.alg, core.clock.now());
  });
  await core.keys.reload();
  if (created) {
    core.audit.record({
      action: 'key.created', outcome: 'success', actorType: 'emulator',
      detail: { kid: created.kid, alg: created.alg, reason: 'the emulator clock moved to before the signing keys' },
    });
  }
}
