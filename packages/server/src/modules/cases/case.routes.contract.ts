import { afterAll, beforeAll, expect, it } from 'vitest';
import { shieldKysely } from '../../storage/shield-tables.js';
import { startShieldHarness, type ShieldHarness, type ShieldDatabase } from '../enforcement/shield.fake.js';

const HOUR = 3_600_000;

interface CaseRow {
  id: string;
  app: string;
  user: string;
  status: string;
  priority: string;
  assignee: string | null;
  slaDueAt: number;
  overdue: boolean;
  resolution: string | null;
}

interface Detail {
  case: CaseRow;
  summary: string;
  decisions: { eventId: string; signals: { code: string }[] }[];
  signals: { code: string; count: number }[];
  enforcements: { id: string; action: string; status: string }[];
  linkedEntities: { kind: string; value: string; users: string[] }[];
  notes: { kind: string; text: string; author: string }[];
}

/**
 * The case routes suite over HTTP, on the database `database` gives (SQLite by default, PostgreSQL
 * in the `.int.test.ts`).
 * @example describeCaseRoutes(sqliteDatabase);
 */
export function describeCaseRoutes(database: () => Promise<ShieldDatabase>): void {
  let h: ShieldHarness;
  let a: { id: string; key: string };
  let b: { id: string; key: string };

  const caseOf = async (user: string, key = a.key): Promise<CaseRow> => {
    const res = await h.call('GET', `/v1/cases?user=${encodeURIComponent(user)}`, key);
    expect(res.statusCode).toBe(200);
    const [c] = res.json<{ items: CaseRow[] }>().items;
    if (c === undefined) throw new Error(`no case for ${user}`);
    return c;
  };

  beforeAll(async () => {
    h = await startShieldHarness(await database());
    a = await h.newApp();
    b = await h.newApp();
    await h.subscribe(a.key);
    // two other accounts on the same device, one on the same wallet
    await h.event(a.key, { type: 'login', user: 'sock1', device: 'dev-shared', ip: '203.0.113.9' });
    await h.event(a.key, { type: 'login', user: 'sock2', device: 'dev-shared' });
    await h.event(a.key, { type: 'login', user: 'sock3', wallet: '0xABC' });
    await h.event(a.key, {
      type: 'login',
      user: 'alice',
      device: 'dev-shared',
      wallet: '0xabc',
      ip: '203.0.113.9',
    });
    await h.event(a.key, { type: 'fraud_signal', user: 'alice', device: 'dev-shared' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('gathers decisions, signals, enforcements and linked accounts, with a plain-words summary', async () => {
    const c = await caseOf('alice');
    expect(c).toMatchObject({
      app: a.id,
      status: 'open',
      priority: 'normal',
      slaDueAt: h.s.clock.now() + 24 * HOUR,
      overdue: false,
    });
    const res = await h.call('GET', `/v1/cases/${c.id}`, a.key);
    expect(res.statusCode).toBe(200);
    const d = res.json<Detail>();
    expect(d.decisions).toHaveLength(1);
    expect(d.signals.map((s) => s.code)).toContain('shield.signal_event.fraud_signal');
    expect(d.enforcements).toEqual([expect.objectContaining({ action: 'auto_block', status: 'active' })]);
    const byKind = Object.fromEntries(d.linkedEntities.map((l) => [l.kind, l]));
    expect(byKind['device']).toMatchObject({ value: 'dev-shared', users: ['sock1', 'sock2'] });
    expect(byKind['wallet']).toMatchObject({ value: '0xabc', users: ['sock3'] });
    expect(byKind['ip']).toMatchObject({ users: ['sock1'] });
    expect(d.summary).toContain('User alice (guest tier) is under review after 1 flagged decision');
    expect(d.summary).toContain('In force: an automatic block until');
    expect(d.summary).toContain('device dev-shared with 2 other accounts (sock1, sock2)');
    expect(d.summary).toMatch(/Review is due .* \(in 24 h\)\./);
    expect(d.notes.map((n) => n.kind)).toEqual(['created']);
    // another app's key sees nothing of it
    expect((await h.call('GET', `/v1/cases/${c.id}`, b.key)).statusCode).toBe(404);
    expect((await h.call('GET', '/v1/cases', b.key)).json<{ items: unknown[] }>().items).toEqual([]);
  });

  it('lets only analysts review: viewers and app keys get 403', async () => {
    const c = await caseOf('alice');
    for (const key of [h.viewerKey, a.key]) {
      expect((await h.call('POST', `/v1/cases/${c.id}/assign`, key, { assignee: 'ann' })).statusCode).toBe(
        403,
      );
      expect((await h.call('POST', `/v1/cases/${c.id}/note`, key, { text: 'x' })).statusCode).toBe(403);
      expect(
        (await h.call('POST', `/v1/cases/${c.id}/resolve`, key, { resolution: 'inconclusive' })).statusCode,
      ).toBe(403);
    }
    expect((await h.call('GET', `/v1/cases/${c.id}`, h.viewerKey)).statusCode).toBe(200);
  });

  it('assigns and notes without applying a duplicate twice', async () => {
    const c = await caseOf('alice');
    const first = await h.call('POST', `/v1/cases/${c.id}/assign`, h.analystKey, { assignee: 'ann' });
    expect(first.json()).toMatchObject({ changed: true, case: { status: 'in_review', assignee: 'ann' } });
    const second = await h.call('POST', `/v1/cases/${c.id}/assign`, h.analystKey, { assignee: 'ann' });
    expect(second.json()).toMatchObject({ changed: false, case: { assignee: 'ann' } });
    const note = (key: string) =>
      h.call(
        'POST',
        `/v1/cases/${c.id}/note`,
        h.analystKey,
        { text: 'called the customer' },
        { 'idempotency-key': key },
      );
    const n1 = await note('k1');
    expect(n1.statusCode).toBe(201);
    const n2 = await note('k1');
    expect(n2.statusCode).toBe(200);
    expect(n2.json<{ id: string }>().id).toBe(n1.json<{ id: string }>().id);
    const d = (await h.call('GET', `/v1/cases/${c.id}`, a.key)).json<Detail>();
    expect(d.notes.map((n) => n.kind)).toEqual(['created', 'assign', 'note']);
    expect(
      (await h.call('GET', '/v1/cases?assignee=ann', a.key))
        .json<{ items: CaseRow[] }>()
        .items.map((x) => x.id),
    ).toEqual([c.id]);
    expect((await h.call('POST', `/v1/cases/${c.id}/assign`, h.analystKey, {})).statusCode).toBe(400);
    expect((await h.call('POST', `/v1/cases/${c.id}/note`, h.analystKey, { text: '' })).statusCode).toBe(400);
    expect((await h.call('POST', '/v1/cases/nope/note', h.analystKey, { text: 'x' })).statusCode).toBe(404);
  });

  it('resolves a false positive once: labels, lifts, announces, and discounts the next similar evidence', async () => {
    const c = await caseOf('alice');
    const res = await h.call('POST', `/v1/cases/${c.id}/resolve`, h.analystKey, {
      resolution: 'false_positive',
      note: 'known customer',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      case: { status: 'resolved', resolution: 'false_positive' },
      labels: 2,
      enforcementsLifted: 1,
      identifiersShared: 0,
      graceUntil: h.s.clock.now() + 14 * 24 * HOUR,
    });
    const again = await h.call('POST', `/v1/cases/${c.id}/resolve`, h.analystKey, {
      resolution: 'confirmed_fraud',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'conflict' });
    expect(again.json<{ message: string }>().message).toContain('already resolved');
    expect(
      (await h.call('POST', `/v1/cases/${c.id}/assign`, h.analystKey, { assignee: 'bob' })).statusCode,
    ).toBe(409);
    const labels = await shieldKysely(h.s.rt.db)
      .selectFrom('labels')
      .selectAll()
      .where('case_id', '=', c.id)
      .orderBy('id')
      .execute();
    expect(labels.map((l) => [l.label, l.user_id, l.event_id === null ? 'user' : 'event'])).toEqual([
      ['false_positive', 'alice', 'user'],
      ['false_positive', 'alice', 'event'],
    ]);
    expect((await h.call('GET', '/v1/users/alice/status', a.key)).json()).toMatchObject({
      blocked: false,
      enforcements: [],
    });
    const sent = (await h.delivered()).filter(
      (x) => x.data['user'] === 'alice' && x.type !== 'anomaly.alert',
    );
    // one of each (deliveries of one commit may arrive in any order)
    expect(sent.map((x) => x.type).sort()).toEqual([
      'case.resolved',
      'enforcement.created',
      'enforcement.lifted',
    ]);
    expect(sent.find((x) => x.type === 'case.resolved')?.data).toMatchObject({
      caseId: c.id,
      resolution: 'false_positive',
      enforcementsLifted: 1,
    });

    // the same kind of evidence no longer enforces; much stronger evidence still does
    const next = await h.event(a.key, { type: 'fraud_signal', user: 'alice' });
    expect(next.json()).toMatchObject({ outcome: 'allow', enforcement: { action: 'observe' } });
    expect(next.json<{ signals: { code: string }[] }>().signals.map((s) => s.code)).toContain(
      'feedback.false_positive',
    );
    expect((await h.call('GET', '/v1/users/alice/status', a.key)).json()).toMatchObject({ blocked: false });
    const strong = await h.event(a.key, { type: 'payment_risk', user: 'alice' }); // 0.9
    expect(strong.json()).toMatchObject({ enforcement: { action: 'auto_block' } });
    expect((await h.call('GET', '/v1/users/alice/status', a.key)).json()).toMatchObject({ blocked: true });
    // a new case is opened after the resolved one
    const fresh = await caseOf('alice');
    expect(fresh.id).not.toBe(c.id);
    expect(fresh.status).toBe('open');
  });

  it('approves or rejects a pending VIP ban from the case', async () => {
    const created = await h.call('POST', '/v1/enforcements', a.key, {
      user: 'vic',
      action: 'permanent_ban',
      tier: 'vip',
      reason: 'ring leader',
    });
    expect(created.statusCode).toBe(201);
    const pending = created.json<{ outcome: string; enforcement: { id: string; status: string } }>();
    expect(pending).toMatchObject({ outcome: 'pending', enforcement: { status: 'pending_approval' } });
    const c = await caseOf('vic');
    expect(c).toMatchObject({ priority: 'urgent', slaDueAt: h.s.clock.now() + 4 * HOUR });
    expect((await h.call('GET', '/v1/users/vic/status', a.key)).json()).toMatchObject({ blocked: false });
    const url = `/v1/cases/${c.id}/enforcements/${pending.enforcement.id}`;
    expect((await h.call('POST', `${url}/approve`, h.viewerKey, {})).statusCode).toBe(403);
    const other = await caseOf('alice');
    expect(
      (
        await h.call(
          'POST',
          `/v1/cases/${other.id}/enforcements/${pending.enforcement.id}/approve`,
          h.analystKey,
        )
      ).statusCode,
    ).toBe(404);
    const ok = await h.call('POST', `${url}/approve`, h.analystKey, { note: 'evidence is clear' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'active', action: 'permanent_ban' });
    expect((await h.call('POST', `${url}/approve`, h.analystKey)).statusCode).toBe(409);
    expect((await h.call('POST', `${url}/reject`, h.analystKey)).statusCode).toBe(409);
    expect((await h.call('GET', '/v1/users/vic/status', a.key)).json()).toMatchObject({
      blocked: true,
      status: 'banned',
    });
    const d = (await h.call('GET', `/v1/cases/${c.id}`, a.key)).json<Detail>();
    expect(d.notes.map((n) => n.kind)).toEqual(['created', 'approve']);

    const p2 = (
      await h.call('POST', '/v1/enforcements', a.key, {
        user: 'val',
        action: 'permanent_ban',
        tier: 'platinum',
        reason: 'unsure',
      })
    ).json<{ enforcement: { id: string } }>();
    const c2 = await caseOf('val');
    const rejected = await h.call(
      'POST',
      `/v1/cases/${c2.id}/enforcements/${p2.enforcement.id}/reject`,
      h.analystKey,
      {},
    );
    expect(rejected.json()).toMatchObject({ status: 'rejected' });
    expect((await h.call('GET', '/v1/users/val/status', a.key)).json()).toMatchObject({ blocked: false });
  });

  it('shows overdue cases and raises one alert per case', async () => {
    await h.event(a.key, { type: 'fraud_signal', user: 'olga', tier: 'gold' }); // 0.8: 48 h suspension, SLA 12 h
    const c = await caseOf('olga');
    expect(
      (await h.call('GET', '/v1/cases?overdue=true', a.key))
        .json<{ items: CaseRow[] }>()
        .items.map((x) => x.id),
    ).not.toContain(c.id);
    h.s.clock.advance(13 * HOUR);
    const overdue = (await h.call('GET', '/v1/cases?overdue=true', a.key)).json<{ items: CaseRow[] }>().items;
    expect(overdue.map((x) => x.id)).toContain(c.id);
    expect(overdue.every((x) => x.overdue && x.status !== 'resolved')).toBe(true);
    const r1 = await h.s.rt.shield.sweep();
    expect(r1.overdueAlerts).toBeGreaterThanOrEqual(1);
    expect((await h.s.rt.shield.sweep()).overdueAlerts).toBe(0);
    const alerts = await h.s.rt.db.kysely
      .selectFrom('alerts')
      .selectAll()
      .where('user_id', '=', 'olga')
      .execute();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: 'case_overdue', app_id: a.id });
    const sent = (await h.delivered()).filter(
      (x) => x.type === 'anomaly.alert' && x.data['type'] === 'case_overdue' && x.data['user'] === 'olga',
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]?.data).toMatchObject({ caseId: c.id, slaDueAt: c.slaDueAt });
    const d = (await h.call('GET', `/v1/cases/${c.id}`, a.key)).json<Detail>();
    expect(d.summary).toMatch(/is overdue by 1 h\./);
  });

  it('exports a self-contained, escaped HTML report', async () => {
    await h.call('POST', '/v1/enforcements', a.key, {
      user: 'rex',
      action: 'auto_block',
      reason: '<script>alert(1)</script> & more',
    });
    await h.event(a.key, {
      type: 'fraud_signal',
      user: 'rex',
      attrs: { note: '<img src=x onerror=alert(1)>' },
    });
    const c = await caseOf('rex');
    await h.call('POST', `/v1/cases/${c.id}/note`, h.analystKey, { text: '<b>bold</b> claim' });
    const res = await h.call('GET', `/v1/cases/${c.id}/report`, a.key);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = res.body;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('Suspicious activity report (draft)');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt; claim');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)=/i);
    expect(html).not.toMatch(/url\(/i);
    for (const section of [
      'Subject',
      'Narrative',
      'Suspicious activity',
      'Evidence',
      'Actions taken',
      'Linked accounts',
      'Review notes',
      'Disposition',
    ]) {
      expect(html).toContain(`<h2>${section}</h2>`);
    }
    expect((await h.call('GET', `/v1/cases/${c.id}/report`, b.key)).statusCode).toBe(404);
  });

  it('confirmed fraud labels the case and shares its identifiers', async () => {
    await h.event(a.key, { type: 'fraud_signal', user: 'zed', device: 'dev-zed', email: 'zed@example.com' });
    const c = await caseOf('zed');
    const res = await h.call('POST', `/v1/cases/${c.id}/resolve`, h.analystKey, {
      resolution: 'confirmed_fraud',
    });
    expect(res.json()).toMatchObject({
      labels: 2,
      enforcementsLifted: 0,
      identifiersShared: 2,
      graceUntil: null,
    });
    expect((await h.call('GET', '/v1/users/zed/status', a.key)).json()).toMatchObject({ blocked: true });
    const shared = (await h.call('GET', '/v1/intel/shared', a.key)).json<{
      items: { kind: string; hash: string; source: string }[];
    }>().items;
    expect(shared.map((x) => [x.kind, x.source]).sort()).toEqual([
      ['device', 'confirmed_fraud'],
      ['email', 'confirmed_fraud'],
    ]);
    expect(shared.every((x) => /^[0-9a-f]{64}$/.test(x.hash))).toBe(true);
    expect(JSON.stringify(shared)).not.toContain('dev-zed');
  });

  it('refuses bad filters and resolutions', async () => {
    expect((await h.call('GET', '/v1/cases?status=closed', a.key)).statusCode).toBe(400);
    expect((await h.call('GET', '/v1/cases?overdue=maybe', a.key)).statusCode).toBe(400);
    expect((await h.call('GET', '/v1/cases?cursor=zzz', a.key)).statusCode).toBe(400);
    const c = await caseOf('olga');
    expect(
      (await h.call('POST', `/v1/cases/${c.id}/resolve`, h.analystKey, { resolution: 'guilty' })).json(),
    ).toMatchObject({ error: 'validation_failed' });
    expect((await h.call('POST', `/v1/cases/${c.id}/resolve`, h.analystKey, {})).statusCode).toBe(400);
  });
}
