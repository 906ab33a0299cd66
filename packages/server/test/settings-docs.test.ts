/**
 * Every setting is documented (docs/configuration.md): its name and its environment variable,
 * so a new setting cannot ship without its row.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingEnvironmentNames } from 'tessera-server';

describe('docs/configuration.md', () => {
  const doc = readFileSync(resolve(import.meta.dirname, '../../../docs/configuration.md'), 'utf8');

  it('has a row for every setting, naming its environment variable', () => {
    const rows = doc.split('\n').filter((line) => line.startsWith('| '));
    const missing = Object.entries(SettingEnvironmentNames)
      .filter(([setting, env]) => !rows.some((row) => row.split('|')[1]!.split(',').map((s) => s.trim()).includes(setting) && row.includes(`\`${env}\``)))
      .map(([setting]) => setting);
    expect(missing).toEqual([]);
  });
});

describe('sqliteCacheMb', () => {
  it('defaults to 16 MB, reads TESSERA_SQLITE_CACHE_MB, and refuses what SQLite cannot take', async () => {
    const { loadSettings } = await import('tessera-server');
    expect(loadSettings({}, {}).sqliteCacheMb).toBe(16);
    expect(loadSettings({}, { TESSERA_SQLITE_CACHE_MB: '64' }).sqliteCacheMb).toBe(64);
    expect(() => loadSettings({}, { TESSERA_SQLITE_CACHE_MB: '0' })).toThrow(/sqliteCacheMb/);
    expect(() => loadSettings({}, { TESSERA_SQLITE_CACHE_MB: 'lots' })).toThrow(/sqliteCacheMb/);
  });
});
