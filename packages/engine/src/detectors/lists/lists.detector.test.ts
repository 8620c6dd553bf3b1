import Compile from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import { emptyLists, type ListLookup } from '../../lists/list-lookup.js';
import { createListSet } from '../../lists/list-set.js';
import type { DetectorOutput, Facets } from '../detector.js';
import type { Signal } from '../signal.js';
import { LISTS_DEFAULTS, ListsOptionsSchema, createListDetector } from './index.js';

const features = {
  get(): never {
    throw new Error('the list detector reads no features');
  },
};

function run(
  event: VigilEvent,
  lists: ListLookup = makeLists(),
  opts?: Parameters<typeof createListDetector>[0],
): Signal[] {
  const out: DetectorOutput = { signals: [], facets: {} satisfies Facets };
  createListDetector(opts).detect({ event, features, lists, now: event.at }, out);
  return out.signals;
}

function makeLists() {
  const l = createListSet();
  l.add({ kind: 'ip', value: '185.220.100.0/22', verdict: 'block', label: 'tor' });
  l.add({ kind: 'ip', value: '203.0.113.7', verdict: 'block', label: 'bad_ip', weight: 12 });
  l.add({ kind: 'wallet', value: '0xSANCTIONED', verdict: 'block', label: 'sanctioned' });
  l.add({ kind: 'wallet', value: '0xtreasury', verdict: 'allow', label: 'treasury' });
  l.add({ kind: 'email_domain', value: 'mailinator.com', verdict: 'block', label: 'disposable' });
  l.add({ kind: 'user_agent', value: 'python-requests', verdict: 'block', label: 'crawler' });
  l.add({ kind: 'user', value: 'vip-1', verdict: 'allow', label: 'staff' });
  l.add({ kind: 'device', value: 'dev-bad', verdict: 'block' });
  l.add({ kind: 'email', value: 'fraudster@example.com', verdict: 'block', label: 'bad_actor' });
  return l;
}

const base: VigilEvent = { id: 'e1', app: 'shop', type: 'payment', at: Date.UTC(2026, 0, 1), user: 'u1' };

describe('createListDetector', () => {
  it('has id lists and reads no features', () => {
    const d = createListDetector();
    expect(d.id).toBe('lists');
    expect(d.features).toEqual([]);
  });

  it('stays quiet on normal traffic and with empty lists', () => {
    const e: VigilEvent = {
      ...base,
      ip: '8.8.8.8',
      wallet: '0xabc',
      email: 'a@gmail.com',
      emailDomain: 'gmail.com',
      userAgent: 'Mozilla/5.0 Chrome/120',
    };
    expect(run(e)).toEqual([]);
    expect(run({ ...e, ip: '185.220.101.1' }, emptyLists)).toEqual([]);
    expect(run({ id: 'x', app: 'a', type: 'login', at: 0 })).toEqual([]);
  });

  it('blocks a Tor exit found through its CIDR range', () => {
    const [s, ...rest] = run({ ...base, ip: '185.220.101.9' });
    expect(rest).toEqual([]);
    expect(s).toMatchObject({
      code: 'lists.ip_blocked',
      score: 1,
      severity: 'critical',
      category: 'list',
      action: 'block',
    });
    expect(s?.reason).toBe(
      "IP 185.220.101.9 is on the block list as 'tor' (a Tor exit node), matched by 185.220.100.0/22.",
    );
    expect(s?.evidence).toMatchObject({ field: 'ip', match: '185.220.100.0/22', label: 'tor', weight: 1 });
  });

  it('names each well-known label in the reason', () => {
    const cases: [VigilEvent, string, string][] = [
      [{ ...base, ip: '203.0.113.7' }, 'lists.ip_blocked', 'bad_ip'],
      [{ ...base, counterparty: '0xsanctioned' }, 'lists.counterparty_blocked', 'sanctioned'],
      [{ ...base, wallet: '0xsanctioned' }, 'lists.wallet_blocked', 'sanctioned'],
      [
        { ...base, email: 'x@eu.mailinator.com', emailDomain: 'eu.mailinator.com' },
        'lists.email_domain_blocked',
        'disposable',
      ],
      [{ ...base, userAgent: 'python-requests/2.31' }, 'lists.user_agent_blocked', 'crawler'],
      [
        { ...base, email: 'fraudster@example.com', emailDomain: 'example.com' },
        'lists.email_blocked',
        'bad_actor',
      ],
      [{ ...base, device: 'dev-bad' }, 'lists.device_blocked', 'blocklist'],
    ];
    for (const [e, code, label] of cases) {
      const signals = run(e);
      expect(signals.map((s) => s.code)).toEqual([code]);
      expect(signals[0]?.reason).toContain(`'${label}'`);
    }
  });

  it('raises SANCTIONED_INTERACTION for a sanctioned counterparty', () => {
    const [s] = run({ ...base, wallet: '0xabc', counterparty: '0xsanctioned' });
    expect(s?.alert).toBe('SANCTIONED_INTERACTION');
    expect(s?.reason).toBe(
      "Counterparty wallet 0xsanctioned is on the block list as 'sanctioned' (a sanctioned address).",
    );
    expect(run({ ...base, counterparty: '0xsanctioned' }, makeLists(), { counterparty: false })).toEqual([]);
  });

  it('reports allow-list hits as info signals with action allow', () => {
    const signals = run({ ...base, user: 'vip-1', wallet: '0xtreasury', ip: '185.220.100.1' });
    expect(signals.map((s) => [s.code, s.score, s.severity, s.action])).toEqual([
      ['lists.user_allowed', 0, 'info', 'allow'],
      ['lists.ip_blocked', 1, 'critical', 'block'],
      ['lists.wallet_allowed', 0, 'info', 'allow'],
    ]);
    expect(run({ ...base, user: 'vip-1' }, makeLists(), { allowSignals: false })).toEqual([]);
  });

  it('honours options and validates them with the schema', () => {
    expect(run({ ...base, ip: '203.0.113.7' }, makeLists(), { blockScore: 0.9 })[0]?.score).toBe(0.9);
    expect(run({ ...base, ip: '203.0.113.7' }, makeLists(), { enabled: false })).toEqual([]);
    const check = Compile(ListsOptionsSchema);
    expect(check.Check({})).toBe(true);
    expect(check.Check({ blockScore: 0.5, counterparty: false })).toBe(true);
    expect(check.Check({ blockScore: 2 })).toBe(false);
    expect(check.Check({ nope: true })).toBe(false);
    expect(LISTS_DEFAULTS).toEqual({ enabled: true, blockScore: 1, allowSignals: true, counterparty: true });
  });

  it('shortens very long user agents in the reason', () => {
    const ua = `python-requests ${'x'.repeat(200)}`;
    const [s] = run({ ...base, userAgent: ua });
    expect(s?.reason).toContain('xxx...');
    expect(s?.reason.length).toBeLessThan(200);
    expect(s?.evidence['value']).toBe(ua);
  });
});
