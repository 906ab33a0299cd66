/**
 * App inactivity (docs/protocol.md Decision 7): an app neither used at the token endpoint nor changed
 * by an administrator for `appInactivityDays` is deactivated, and answers code 59 until an
 * administrator enables it again (which counts as a change, so the clock starts over).
 */
import type { Settings } from '../config.js';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import type { App } from './model.js';

const day = 24 * 3600 * 1000;

/** When the app will be deactivated for inactivity (ms), or null when the setting is off. */
export function inactivityDeadline(settings: Pick<Settings, 'appInactivityDays'>, app: App): number | null {
  if (settings.appInactivityDays === 0) return null;
  return Math.max(app.lastUsedAt ?? 0, app.updatedAt, app.createdAt) + settings.appInactivityDays * day;
}

/**
 * Code 59 for a disabled app; an enabled app past its inactivity deadline is disabled first
 * (and the deactivation is audited).
 */
export async function assertAppActive(core: Core, app: App, correlationId: string | null = null): Promise<void> {
  if (!app.enabled) throw new ConcurError(59);
  const deadline = inactivityDeadline(core.settings, app);
  const now = core.clock.now();
  if (deadline === null || deadline > now) return;
  const disabled: App = { ...app, enabled: false, updatedAt: now };
  await core.store.apps.update(disabled);
  core.audit.record({
    action: 'app.deactivated', outcome: 'success', correlationId, appId: app.id, companyId: app.companyId,
    actorType: 'system', detail: { reason: 'inactivity', days: core.settings.appInactivityDays, lastUsedAt: app.lastUsedAt },
  });
  throw new ConcurError(59, { detail: `unused since ${new Date(deadline - core.settings.appInactivityDays * day).toISOString()}` });
}
