/**
 * How a login id folds case: the one rule behind both stores' unique index (`login_id_folded`)
 * and `findByLoginId`, and the keys of the sign-in limits (core/protection.ts). It runs here, in
 * JavaScript, rather than in SQL, because neither database folds the same way everywhere:
 * SQLite's `NOCASE` folds only ASCII, PostgreSQL's `lower()` follows the database's locale.
 *
 * The fold is Unicode's default (locale-independent) full case mapping, upper then lower, on the
 * NFC form, and NFC again at the end: `JÜRGEN` = `jürgen`, `STRASSE` = `Straße`, `ΣΑΣ` = `σας` =
 * `σασ` (a final sigma is chosen by position, so σ and ς never tell two ids apart), and a
 * decomposed `ü` = a composed one. No Turkish (locale) mapping is applied: `I` folds to `i`, the
 * dotless `ı` also folds to `i` (its capital is `I`), and the dotted capital `İ` folds to `i̇`
 * (i + U+0307 combining dot), so `İ…` and `I…` are two login ids, `ı…` and `i…` one.
 */
export function foldLoginId(loginId: string): string {
  return loginId.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * For the migration that introduces the folded login id: a store that compared login ids
 * another way (SQLite's ASCII-only `NOCASE`) may hold two users whose ids fold alike, which
 * the new unique index cannot take. Answers the message that names them (the migration refuses
 * and changes nothing; an operator renames or removes one), or undefined when there are none.
 */
export function foldedLoginIdClashes(users: { id: string; loginId: string }[]): string | undefined {
  const byFolded = new Map<string, { id: string; loginId: string }[]>();
  for (const user of users) {
    const folded = foldLoginId(user.loginId);
    byFolded.set(folded, [...(byFolded.get(folded) ?? []), user]);
  }
  const clashes = [...byFolded.values()].filter((group) => group.length > 1);
  if (clashes.length === 0) return undefined;
  const named = clashes.map((group) => group.map((u) => `${JSON.stringify(u.loginId)} (user ${u.id})`).join(' and ')).join('; ');
  return `login ids are unique ignoring case, and these are one login id once case is folded: ${named}. `
    + 'Change or remove all but one of each in the store, then start again (nothing was changed).';
}

/**
 * How an email address folds for lookups (the OTP's channel handle, docs/protocol.md §5): trimmed and
 * lower-cased in ASCII only, the way both stores' `lower(email)` index folds it (SQLite's `lower()`
 * and PostgreSQL's under `COLLATE "C"` change only A–Z), so the index is used and both agree.
 */
export function foldEmail(email: string): string {
  return email.trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
}
