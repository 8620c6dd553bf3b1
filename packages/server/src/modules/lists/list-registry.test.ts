import { createEngine } from '@vigil/engine';
import { describe, expect, it } from 'vitest';
import { createListRegistry, engineVerdict, withAppLists } from './list-registry.js';
import { GLOBAL_LIST_SCOPE, type ListRecord } from './list.store.js';

let n = 0;
const rec = (scope: string, value: string, over: Partial<ListRecord> = {}): ListRecord => ({
  id: `id${++n}`,
  scope,
  kind: 'ip',
  value,
  verdict: 'block',
  label: 'blocklist',
  weight: 1,
  expiresAt: null,
  createdAt: 0,
  createdBy: 'test',
  ...over,
});

async function* pages(...ps: ListRecord[][]): AsyncIterable<readonly ListRecord[]> {
  for (const p of ps) yield p;
}

describe('list registry', () => {
  it('answers per app: own entries first, then global ones; other apps see only global ones', () => {
    const r = createListRegistry();
    r.apply(
      [
        rec('A', '10.0.0.0/8', { label: 'office-block' }),
        rec(GLOBAL_LIST_SCOPE, '10.1.2.3', { verdict: 'block', label: 'tor' }),
        rec(GLOBAL_LIST_SCOPE, '192.168.0.0/16', { label: 'global' }),
        rec('A', '192.168.1.1', { verdict: 'allow', label: 'vip' }),
      ],
      0,
    );
    const a = r.forApp('A');
    // the app's /8 range wins over the global exact entry: the app's own lists come first
    expect(a.lookup('ip', '10.1.2.3')?.label).toBe('office-block');
    expect(a.lookup('ip', '192.168.1.1')).toMatchObject({ verdict: 'allow', label: 'vip' });
    expect(a.lookup('ip', '192.168.7.7')).toMatchObject({ verdict: 'block', match: '192.168.0.0/16' });
    const b = r.forApp('B');
    expect(b.lookup('ip', '10.1.2.3')?.label).toBe('tor');
    expect(b.lookup('ip', '10.9.9.9')).toBeUndefined();

    r.lookup.use('A');
    expect(r.lookup.lookup('ip', '192.168.1.1')?.verdict).toBe('allow');
    r.lookup.use('B');
    expect(r.lookup.lookup('ip', '192.168.1.1')?.verdict).toBe('block');
    r.lookup.use('C');
    expect(r.lookup.lookup('ip', '10.1.2.3')?.label).toBe('tor');
  });

  it('sees scopes created after the app was selected', () => {
    const r = createListRegistry();
    r.lookup.use('late');
    expect(r.lookup.lookup('user', 'u1')).toBeUndefined();
    r.apply([rec('late', 'u1', { kind: 'user' })], 0);
    expect(r.lookup.lookup('user', 'u1')?.verdict).toBe('block');
    r.apply([rec(GLOBAL_LIST_SCOPE, 'u2', { kind: 'user' })], 0);
    expect(r.lookup.lookup('user', 'u2')?.verdict).toBe('block');
  });

  it('lets flag entries reach the engine, replacing an older verdict', () => {
    const r = createListRegistry();
    r.apply([rec('A', '6.6.6.6')], 0);
    expect(engineVerdict('flag')).toBe('flag');
    const report = r.apply([rec('A', '6.6.6.6', { verdict: 'flag', label: 'tor' })], 0);
    expect(report).toEqual({ applied: 1, notScored: 0 });
    expect(r.forApp('A').lookup('ip', '6.6.6.6')).toMatchObject({ verdict: 'flag', label: 'tor' });
  });

  it('skips expired entries, prunes ones that expire later, and removes by value', () => {
    const r = createListRegistry();
    const rep = r.apply(
      [rec('A', '1.1.1.1', { expiresAt: 100 }), rec('A', '2.2.2.2', { expiresAt: 500 }), rec('A', '3.3.3.3')],
      100,
    );
    expect(rep.applied).toBe(2);
    const a = r.forApp('A');
    expect(a.lookup('ip', '1.1.1.1')).toBeUndefined();
    expect(a.lookup('ip', '2.2.2.2')).toBeDefined();
    expect(r.prune(500)).toBe(1);
    expect(a.lookup('ip', '2.2.2.2')).toBeUndefined();
    r.remove('A', 'ip', '3.3.3.3');
    expect(a.lookup('ip', '3.3.3.3')).toBeUndefined();
    expect(r.sizes().get('A')).toBe(0);
  });

  it('reload swaps in the new entries at once', async () => {
    const r = createListRegistry();
    r.apply([rec('A', '1.1.1.1')], 0);
    r.lookup.use('A');
    const report = await r.reload(
      pages([rec('A', '2.2.2.2')], [rec('B', '3.3.3.3'), rec('B', 'x', { verdict: 'flag' })]),
      0,
    );
    expect(report.applied).toBe(2);
    expect(r.lookup.lookup('ip', '1.1.1.1')).toBeUndefined();
    expect(r.lookup.lookup('ip', '2.2.2.2')).toBeDefined();
    expect(r.forApp('B').lookup('ip', '3.3.3.3')).toBeDefined();
    expect([...r.sizes().keys()].sort()).toEqual(['A', 'B']);
  });
});

describe('withAppLists', () => {
  it("makes the engine score each event against its own app's lists", () => {
    const registry = createListRegistry();
    registry.apply([rec('shop', '203.0.113.0/24', { label: 'bad_actor' })], 0);
    const engine = withAppLists(createEngine({ lists: registry.lookup }), registry);
    const now = Date.UTC(2026, 0, 1);
    const codes = (app: string, id: string) => {
      const r = engine.process({ id, type: 'login', user: 'u1', ip: '203.0.113.9', at: now }, { now, app });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return r.value.decision.signals.map((s) => s.code);
    };
    expect(codes('shop', 'e1')).toContain('lists.ip_blocked');
    expect(codes('other', 'e2')).not.toContain('lists.ip_blocked');
    // an event naming its own app is looked up in that app
    const r = engine.process(
      { id: 'e3', app: 'shop', type: 'login', ip: '203.0.113.9', at: now },
      { now, app: 'other' },
    );
    expect(r.ok && r.value.decision.signals.some((s) => s.code === 'lists.ip_blocked')).toBe(true);
    const scored = engine.process(
      { id: 'e4', type: 'login', ip: '203.0.113.1', at: now },
      { now, app: 'shop' },
    );
    if (!scored.ok) throw new Error('invalid');
    const again = engine.score({ ...scored.value.event, id: 'e5', app: 'other' }, now);
    expect(again.signals.map((s) => s.code)).not.toContain('lists.ip_blocked');
  });
});
