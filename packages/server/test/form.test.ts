/** `parseForm` (http/form.ts): the same parameters as URLSearchParams for any body, a repeated one refused (code 135's kind). */
import { describe, expect, it } from 'vitest';
import { parseForm } from '../src/http/form.js';
import { ConcurError } from '../src/core/errors.js';

/** What URLSearchParams makes of `text`, or 'repeated' when a name comes twice. */
function reference(text: string): Record<string, string> | 'repeated' {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(out, key)) return 'repeated';
    out[key] = value;
  }
  return out;
}

function parsed(text: string): Record<string, string> | 'repeated' {
  try {
    return { ...parseForm(text) };
  } catch (error) {
    if (error instanceof ConcurError) return 'repeated';
    throw error;
  }
}

describe('parseForm', () => {
  it('reads a token request as it is', () => {
    const id = '0f6a8f4c-5b8e-4a43-9d0f-1c2f3c3e1f11';
    expect(parsed(`grant_type=client_credentials&client_id=${id}&client_secret=${id}`))
      .toEqual({ grant_type: 'client_credentials', client_id: id, client_secret: id });
  });

  it('agrees with URLSearchParams on edge cases and on random bodies, escapes, pluses and non-ASCII included', () => {
    const cases = ['', '&', '&&a=1&&', 'a', 'a=', '=', '=x', 'a=b=c', 'a=1&a=2', 'a=1&b', 'a%3D=1', 'a+b=c+d', 'x=%zz', 'x=%E2%82%AC', 'x=€', 'x=\t\n', 'a&a', '?', '?a=1', '??a=1', '?grant_type=client_credentials&client_id=x', 'a=1&?b=2'];
    const alphabet = ['a', 'b', '=', '&', '%', '2', '0', 'F', '+', ' ', '€', '\u00e9', '\n', '_', '.', '?'];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 3000; i++) {
      cases.push(Array.from({ length: Math.floor(random() * 14) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    }
    for (const text of cases) expect(parsed(text), JSON.stringify(text)).toEqual(reference(text));
  });

  // A guard against quadratic parsing (a review found one: every name without `=` searched to the body's end),
  // not a speed claim: 1 MiB (the largest TESSERA_BODY_LIMIT) of distinct names took ~2 s quadratic, ~30 ms linear.
  it('parses 1 MiB of distinct names without "=" in linear time', () => {
    const names: string[] = [];
    for (let n = 0, length = 0; length < 1024 * 1024; n++) {
      const name = n.toString(36);
      names.push(name);
      length += name.length + 1;
    }
    const started = performance.now();
    const params = parseForm(`${names.join('&')}&_=1`);
    expect(performance.now() - started).toBeLessThan(750);
    expect(params._).toBe('1');
    expect(Object.keys(params)).toHaveLength(names.length + 1);
  });
});
