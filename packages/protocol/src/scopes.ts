/**
 * The scope catalog (docs/protocol.md §11): the scopes an app can be allowed, grouped as the
 * Concur documentation groups them. Scopes outside the catalog may still be entered by hand.
 */
export interface ScopeGroup {
  readonly name: string;
  readonly scopes: readonly string[];
}

const expand = (prefix: string, parts: string[], suffixes: string[] = ['']): string[] =>
  parts.flatMap((part) => suffixes.map((suffix) => `${prefix}${part}${suffix}`));

export const ScopeCatalog: readonly ScopeGroup[] = Object.freeze([
  { name: 'OpenID Connect', scopes: ['openid', 'profile', 'email', 'address'] },
  { name: 'Profile', scopes: ['user.read', 'user.write', 'user_read', 'company.read', 'company.write'] },
  {
    name: 'Identity',
    scopes: [
      ...expand('identity.user.', ['core', 'coresensitive', 'enterprise', 'ids', 'sap'], ['.read']),
      ...expand('identity.user.', ['coreenterprise', 'externalID', 'emails.verified', 'sap'], ['.writeonly']),
    ],
  },
  { name: 'User Provisioning', scopes: ['user.provision.read', 'user.provision.write'] },
  {
    name: 'Spend and travel profile',
    scopes: ['spend.user.general.read', 'spend.user.general.writeonly', 'travel.user.general.read', 'travel.user.private.read'],
  },
  {
    name: 'Expense',
    scopes: [
      'expense.report.read',
      'expense.report.readwrite',
      'expense.report.workflowstatus.write',
      'expense.report.tax.readwrite',
      ...expand('expense.config.', ['policies', 'expensetypes', 'paymenttypes', 'attendeetypes', 'groups'], ['.restricted.read']),
      'expense.exchangerate.writeonly',
      'quickexpense.writeonly',
    ],
  },
  {
    name: 'Receipts and spend documents',
    scopes: [
      'receipts.read', 'receipts.write', 'receipts.writeonly',
      'spenddocs.receipts.read', 'spenddocs.receipts.write', 'spenddocs.receipts.writeonly',
      'spenddocs.receipts.compliance.read', 'spenddocs.receipts.compliance.write',
    ],
  },
  {
    name: 'Lists',
    scopes: ['spend.list.read', 'spend.list.write', 'spend.list.delete', 'spend.listitem.read', 'spend.listitem.write', 'spend.listitem.delete'],
  },
  { name: 'Attendees', scopes: ['attendee.read', 'attendee.write', 'attendee.writeonly', 'attendee.admin.read'] },
  { name: 'Budget', scopes: ['budgetitem.read', 'budgetitem.write', 'fiscalcalendar.read', 'fiscalcalendar.write'] },
  {
    name: 'Cards',
    scopes: ['cards.transaction.read', 'cards.transaction.writeonly', 'cards.account.writeonly', 'cards.bulkrequest.read', 'creditcardaccount.read'],
  },
  { name: 'Company', scopes: ['company.legalentity.read', 'company.legalentity.writeonly', 'events.topic.read'] },
  {
    name: 'Invoice and purchase',
    scopes: ['purchaserequest.read', 'purchaserequest.write', 'invoice.providerpayment.write', 'invoice.paymentconfirmation.read', 'invoice.paymentconfirmation.write'],
  },
  {
    name: 'Travel',
    scopes: [
      'travelrequest.write', 'travel.itinerary.read', 'travel.receipts.read', 'travel.receipts.write', 'travel.hotel.write',
      ...expand('travelallowance.', ['itinerary.read', 'itinerary.writeonly', 'configuration.read', 'itineraryresult.read', 'allowancedays.read']),
    ],
  },
  {
    name: 'Locations and meetings',
    scopes: ['locality.read', 'locate.location.read', 'locate.location.write', 'meetings.read', 'meetings.write'],
  },
  {
    name: 'Older v4 scopes',
    scopes: [...expand('mileage.', ['journey', 'rate', 'vehicle'], ['.read', '.writeonly']), 'realtimeingest.location.writeonly'],
  },
  {
    name: 'Legacy (v1–v3)',
    scopes: [
      'EXPRPT', 'CCARD', 'BANK', 'CONFIG', 'ATTEND', 'LIST', 'IMAGE', 'RCTIMG', 'EXTRCT', 'PAYBAT', 'NOTIF', 'EVS',
      'INVPMT', 'INVPO', 'INVVEN', 'INVTV', 'TAXINV', 'FISVC',
      'ITINER', 'TRVPRF', 'PASSV', 'COMPD', 'EMERG', 'TSAI', 'TMCSP', 'MEDIC', 'UNUTX', 'TRVPTS', 'TRVREQ', 'CONREQ',
      'INSGHT', 'FOP', 'GHOST', 'ERECPT', 'JOBLOG', 'MTNG', 'SUPSVC', 'USER', 'COMPANY',
    ],
  },
].map((group) => Object.freeze({ ...group, scopes: Object.freeze(group.scopes) })));

/** Every catalog scope, flat. */
export const KnownScopes: ReadonlySet<string> = new Set(ScopeCatalog.flatMap((group) => group.scopes));

/** A scope name as Concur writes them: letters, digits, dots, underscores and dashes. */
export const ScopePattern = /^[A-Za-z0-9._:-]{1,100}$/;

/** Splits an OAuth `scope` parameter (space-delimited, RFC 6749 §3.3) into distinct names. */
export function parseScopeParameter(value: string | undefined): string[] {
  if (!value) return [];
  return [...new Set(value.split(/[ ]+/).filter(Boolean))];
}

/** Scopes whose meaning their name does not spell out. */
const scopeWordings: Readonly<Record<string, string>> = Object.freeze({
  openid: 'Sign you in to the app with your Concur identity',
  profile: 'Read your name and basic profile',
  email: 'Read your email address',
  address: 'Read your postal address',
  offline_access: 'Keep access while you are not using the app',
  'user.read': 'Read your user profile',
  'user.write': 'Change your user profile',
  user_read: 'Read your user profile',
  'company.read': 'Read your company\'s profile',
  'company.write': 'Change your company\'s profile',
});

const verbs: Readonly<Record<string, string>> = Object.freeze({
  read: 'Read', write: 'Read and change', writeonly: 'Send', readwrite: 'Read and change', delete: 'Delete',
});

/**
 * A scope in words for the consent page (docs/protocol.md §4, §11): its own wording where the name
 * does not say it, else its catalog group and what its name grants (`expense.report.read` →
 * "Expense: read expense report"). A scope outside the catalog is named as it is.
 */
export function describeScope(scope: string): string {
  const worded = scopeWordings[scope];
  if (worded) return worded;
  const group = ScopeCatalog.find((g) => g.scopes.includes(scope));
  if (!group) return `Access named “${scope}”`;
  if (group.name.startsWith('Legacy')) return `${group.name}: the ${scope} API`;
  const parts = scope.split('.');
  const last = parts[parts.length - 1]!;
  const verb = verbs[last];
  const subject = (verb ? parts.slice(0, -1) : parts).join(' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return `${group.name}: ${verb ? verb.toLowerCase() : 'use'} ${subject}`;
}
