/**
 * the operations of the admin API run for the operator of the store too (the local
 * `tessera admin`), through the same core functions: the operator acts within a company it names
 * (or the demo company), is audited as `operator`, manages companies (an administrator may not),
 * and may connect its company to another company's app (a partner's), which an administrator may not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { administratorContext, createUserFor, changeUserFor, generateRequestTokenFor, operatorContext } from '../src/core/admin.js';
import { operatorActor } from '../src/core/actor.js';
import { createCompanyFor, listCompaniesFor } from '../src/core/companies.js';
import { ConcurError } from '../src/core/errors.js';
import { adminIdentityOf } from '../src/core/sessions.js';
import { makeAdmin, makeTenant, type Tenant } from './admin-helpers.js';
import { startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
let other: Tenant;
beforeAll(async () => {
  t = await startTestServer({ settings: { logLevel: 'silent' } });
  other = await makeTenant(t, 'Partner', 'partner-admin');
});
afterAll(async () => t?.close());

const core = () => t.server.core;
const refusal = async (work: Promise<unknown>) => work.then(() => { throw new Error('not refused'); }, (error: unknown) => error as ConcurError & { fields?: unknown });
const lastEvent = async (action: string) => {
  await core().audit.flush();
  return (await core().store.audit.query({ action, limit: 1 })).items[0];
};

describe('the operator of the store', () => {
  it('acts within the company it names, else the first one; an unknown company is a 400 naming `company`', async () => {
    expect((await operatorContext(core(), t.companyId.toUpperCase())).company.id).toBe(t.companyId);
    const [first] = await core().store.companies.list();
    expect((await operatorContext(core())).company.id).toBe(first!.id);
    const unknown = await refusal(operatorContext(core(), '6f0c1c2e-0000-4000-8000-000000000000'));
    expect(unknown.status).toBe(400);
    expect(unknown.fields).toEqual([{ field: 'company', message: 'no company 6f0c1c2e-0000-4000-8000-000000000000' }]);
  });

  it('is audited as operator, with no actor id, and is not an account that could disable itself', async () => {
    const ctx = await operatorContext(core(), t.companyId);
    const user = await createUserFor(core(), ctx, { loginId: 'op-made', password: 'op password 1' });
    expect(await lastEvent('user.created')).toMatchObject({ actorType: 'operator', actorId: null, companyId: t.companyId, principalId: user.id });
    expect((await changeUserFor(core(), ctx, user.id, { status: 'disabled' })).status).toBe('disabled');
    expect(await lastEvent('user.disabled')).toMatchObject({ actorType: 'operator', principalId: user.id });
    // Another company's user stays out of reach, as for an administrator.
    expect((await refusal(changeUserFor(core(), ctx, other.adminId, { status: 'disabled' }))).status).toBe(404);
  });

  it('manages companies; an administrator may not', async () => {
    const admin = await makeAdmin(t, 'plain-admin');
    const asAdmin = administratorContext(await adminIdentityOf(core(), admin.id, 'bearer'), 'corr-1');
    expect((await refusal(createCompanyFor(core(), asAdmin.actor, { name: 'Sneaky' }))).status).toBe(403);
    expect((await refusal(listCompaniesFor(core(), asAdmin.actor))).status).toBe(403);
    expect((await refusal(createCompanyFor(core(), operatorActor, { name: ' ' }))).status).toBe(400);

    const created = await createCompanyFor(core(), operatorActor, { name: 'Operator Co' });
    expect(await lastEvent('company.created')).toMatchObject({ actorType: 'operator', companyId: created.id, detail: { name: 'Operator Co' } });
    expect((await listCompaniesFor(core(), operatorActor)).map((c) => c.name)).toContain('Operator Co');
    expect((await core().store.companies.list()).map((c) => c.name)).not.toContain('Sneaky');
  });

  it('may connect its company to a partner\'s app; an administrator only to its own apps', async () => {
    const admin = await makeAdmin(t, 'rt-admin');
    const asAdmin = administratorContext(await adminIdentityOf(core(), admin.id, 'bearer'), 'corr-2');
    const refused = await refusal(generateRequestTokenFor(core(), asAdmin, { appId: other.app.clientId }));
    expect(refused.status).toBe(404);
    expect(refused.description).toBe('no app of your company has this App ID');

    const issued = await generateRequestTokenFor(core(), await operatorContext(core(), t.companyId), { appId: other.app.clientId });
    expect(issued).toMatchObject({ companyUUID: t.companyId, appId: other.app.clientId });
    expect(await lastEvent('request-token.generated')).toMatchObject({ actorType: 'operator', appId: other.app.clientId, companyId: t.companyId });
    const unknown = await refusal(generateRequestTokenFor(core(), await operatorContext(core(), t.companyId), { appId: '6f0c1c2e-0000-4000-8000-000000000000' }));
    expect(unknown.status).toBe(404);
  });
});
