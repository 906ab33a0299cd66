/**
 * Type-level check (run by `tsc -p packages/server/test`, so by `npm test`): the self-contained
 * declarations the CLI tarball publishes as `tessera-cli/testing` (packages/cli/testing.d.ts)
 * describe the real `startTessera` (src/testing.ts). Each line fails to compile when they drift.
 */
import type * as Published from '../../cli/testing.js';
import type { SettingsInput } from '../src/config.js';
import type { NewApp } from '../src/core/apps.js';
import type * as Real from '../src/testing.js';
import { startTessera } from '../src/testing.js';

/** Compiles only when A and B are the same type. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const same = <A, B>(check: Same<A, B>) => check;
/** Compiles only when each of A and B is assignable to the other (the same shape, written differently). */
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const mutual = <A, B>(check: Mutual<A, B>) => check;

// What the published types let a caller pass, the real function takes; what it answers, they describe.
export const published: typeof Published.startTessera = startTessera;

// Nothing the real function takes or answers is missing from the published types.
export const checks = [
  same<keyof Published.TesseraSettings, keyof SettingsInput>(true),
  same<keyof Published.TesseraAppInput, keyof NewApp>(true),
  same<keyof Published.StartTesseraOptions, keyof Real.StartTesseraOptions>(true),
  same<keyof Published.RunningTessera, keyof Real.RunningTessera>(true),
  mutual<Published.FaultInput, Real.FaultInput>(true),
  mutual<Published.FaultRule, Real.FaultRule>(true),
  same<Published.TesseraClock, Real.TesseraClock>(true),
  same<Published.TesseraUser, Real.TesseraUser>(true),
  same<Published.TesseraUserInput, Real.TesseraUserInput>(true),
  same<Published.IssuedRequestToken, Awaited<ReturnType<Real.RunningTessera['requestToken']>>>(true),
] as const;
