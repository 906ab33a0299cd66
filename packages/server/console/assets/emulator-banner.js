/**
 * The emulator banner (docs/emulator.md): when the server runs in emulator mode (`/readyz` says
 * so), every page shows the emulated time and the active fault rules, so nobody mistakes the
 * emulator's failures for real ones. Read-only: rules are added and cleared through
 * /emulator/v0/faults or `tessera emulator fault`.
 */
import { formatTime, h, replace } from './dom.js';

const getJson = async (path) => {
  const response = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
  return response.ok ? response.json() : null;
};

const describeMatch = (match) => Object.entries(match).map(([key, value]) => `${key} ${value}`).join(', ') || 'every request';
const describeEffect = (effect) => ({
  'concur-error': () => `Concur error code ${effect.code}`,
  'http-status': () => `HTTP ${effect.status}`,
  delay: () => `delay of ${effect.ms} ms`,
  drop: () => 'dropped connection',
  truncate: () => 'truncated answer',
})[effect.type]?.() ?? effect.type;
const describeCount = (rule) => [
  rule.remaining === null ? 'until cleared' : `${rule.remaining} more`,
  rule.probability < 1 ? `${Math.round(rule.probability * 100)}% of requests` : null,
  `fired ${rule.fired}×`,
].filter(Boolean).join(' · ');

function offsetText(seconds) {
  if (seconds === 0) return 'the real time';
  const days = Math.round(Math.abs(seconds) / 86400 * 10) / 10;
  const size = days >= 1 ? `${days} days` : `${Math.round(Math.abs(seconds) / 60)} minutes`;
  return `${size} ${seconds > 0 ? 'ahead of' : 'behind'} the real time`;
}

/** Shows or refreshes the banner above the page; hides it when the server is not in emulator mode. */
export async function refreshEmulatorBanner() {
  const banner = document.getElementById('emulator-banner');
  if (!banner) return;
  try {
    const ready = await getJson('/readyz');
    if (!ready?.emulator) {
      banner.hidden = true;
      return;
    }
    const [clock, faults] = await Promise.all([getJson('/emulator/v0/clock'), getJson('/emulator/v0/faults')]);
    const rules = faults?.faults ?? [];
    replace(banner,
      h('p', {}, h('strong', {}, 'Emulator mode'),
        clock ? ` · server time ${formatTime(clock.now)} (${offsetText(clock.offsetSeconds)})` : '',
        ` · ${rules.length === 0 ? 'no active fault rules' : `${rules.length} active fault rule${rules.length === 1 ? '' : 's'}`}`),
      rules.length === 0 ? null : h('ul', { class: 'emulator-faults', 'aria-label': 'Active fault rules' },
        rules.map((rule) => h('li', { 'data-fault-id': rule.id },
          h('span', { class: 'effect' }, describeEffect(rule.effect)), ' for ', describeMatch(rule.match),
          h('span', { class: 'muted' }, ` — ${describeCount(rule)}`)))));
    banner.hidden = false;
  } catch {
    banner.hidden = true;
  }
}
