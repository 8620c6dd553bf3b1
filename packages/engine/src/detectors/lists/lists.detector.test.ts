import Compile from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import { emptyLists, type ListLookup } from '../../lists/list-lookup.js';
import { createListSet } from '../../lists/list-set.js';
import type { DetectorOutput, Facets } from '../detector.js';
import type { Signal } from '../signal.js';
import { DEFAULT_ENGINE_CONFIG } from '../../config/engine-config.js';
import { createEngine } from '../../engine.js';
import { LISTS_DEFAULTS, ListsOptionsSchema, createListDetector, flagScore } from './index.js';

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
    expect(LISTS_DEFAULTS).toEqual({
      enabled: true,
      blockScore: 1,
      allowSignals: true,
      counterparty: true,
      flagScore: 0.3,
    });
    expect(check.Check({ flagScore: 0.5 })).toBe(true);
    expect(check.Check({ flagScore: -1 })).toBe(false);
  });

  it('shortens very long user agents in the reason', () => {
    const ua = `python-requests ${'x'.repeat(200)}`;
    const [s] = run({ ...base, userAgent: ua });
    expect(s?.reason).toContain('xxx...');
    expect(s?.reason.length).toBeLessThan(200);
    expect(s?.evidence['value']).toBe(ua);
  });
});

function flagLists() {
  const l = createListSet();
  l.add({ kind: 'ip', value: '185.220.100.0/22', verdict: 'flag', label: 'tor' });
  l.add({ kind: 'ip', value: '185.220.101.9', verdict: 'allow', label: 'office' });
  l.add({ kind: 'ip', value: '198.51.100.1', verdict: 'flag', label: 'bad_ip', weight: 1 });
  l.add({ kind: 'ip', value: '198.51.100.3', verdict: 'flag', label: 'bad_ip', weight: 3 });
  l.add({ kind: 'ip', value: '198.51.100.9', verdict: 'flag', label: 'bad_ip', weight: 9 });
  l.add({ kind: 'ip', value: '192.0.2.66', verdict: 'block', label: 'tor' });
  l.add({ kind: 'email_domain', value: 'mailinator.com', verdict: 'flag', label: 'disposable' });
  l.add({ kind: 'user_agent', value: 'python-requests', verdict: 'flag', label: 'crawler' });
  l.add({ kind: 'device', value: 'dev-odd', verdict: 'flag' });
  l.add({ kind: 'user', value: 'vip-1', verdict: 'allow', label: 'staff' });
  return l;
}

describe('flag entries (reputation feeds)', () => {
  it('grades a flag hit as a reputation signal without an action', () => {
    const [s, ...rest] = run({ ...base, ip: '185.220.101.7' }, flagLists());
    expect(rest).toEqual([]);
    expect(s).toEqual({
      code: 'lists.ip_flagged',
      score: 0.5,
      severity: 'medium',
      category: 'reputation',
      reason:
        "IP 185.220.101.7 is flagged as 'tor' (a Tor exit node), matched by 185.220.100.0/22; reputation score 0.5.",
      evidence: {
        field: 'ip',
        list: 'ip',
        value: '185.220.101.7',
        match: '185.220.100.0/22',
        verdict: 'flag',
        label: 'tor',
        weight: 1,
      },
    });
    expect(s && 'action' in s).toBe(false);
  });

  it('scores bad_ip by the number of feeds, disposable e-mail, crawlers and unknown labels', () => {
    const score = (e: Partial<VigilEvent>) => run({ ...base, ...e }, flagLists())[0]?.score;
    expect(score({ ip: '198.51.100.1' })).toBe(0.3);
    expect(score({ ip: '198.51.100.3' })).toBe(0.5);
    expect(score({ ip: '198.51.100.9' })).toBe(0.7);
    expect(score({ emailDomain: 'x.mailinator.com' })).toBe(0.4);
    expect(score({ userAgent: 'python-requests/2.31' })).toBe(0.6);
    expect(score({ device: 'dev-odd' })).toBe(0.3);
    expect(run({ ...base, device: 'dev-odd' }, flagLists(), { flagScore: 0.2 })[0]?.score).toBe(0.2);
    const hit = (weight: number) => ({ verdict: 'flag', label: 'bad_ip', weight, match: 'x' }) as const;
    expect([0, 1, 2, 4, 5, 500, Number.NaN].map((w) => flagScore(hit(w), 0.3))).toEqual([
      0.3, 0.3, 0.4, 0.6, 0.7, 0.7, 0.3,
    ]);
  });

  it('leaves flagged IPs with the labels shield.ip_reputation grades to it', () => {
    const out: DetectorOutput = { signals: [], facets: {} };
    const d = createListDetector({}, { ipFlagLabelsGradedElsewhere: ['TOR', 'bad_ip'] });
    const lists = flagLists();
    d.detect({ event: { ...base, ip: '185.220.101.7' }, features, lists, now: 0 }, out);
    d.detect({ event: { ...base, ip: '192.0.2.66' }, features, lists, now: 0 }, out);
    d.detect({ event: { ...base, userAgent: 'python-requests' }, features, lists, now: 0 }, out);
    // the Tor flag goes to the shield; a block entry and non-IP flags stay here
    expect(out.signals.map((s) => s.code)).toEqual(['lists.ip_blocked', 'lists.user_agent_flagged']);
  });

  describe('in the engine', () => {
    const engine = createEngine({ lists: flagLists() });
    const at = Date.UTC(2026, 0, 1);
    const score = (id: string, e: Partial<VigilEvent>) =>
      engine.score({ id, app: 'shop', type: 'login', at, user: id, ...e }, at);

    it('a Tor-flagged IP raises the risk but does not block, graded once', () => {
      const clean = score('c1', { ip: '8.8.8.8' });
      const tor = score('t1', { ip: '185.220.101.7' });
      expect(tor.risk).toBeGreaterThan(clean.risk + 0.3);
      expect(tor.outcome).not.toBe('block');
      const reputation = tor.signals.filter(
        (s) => s.category === 'reputation' && s.evidence['ip'] !== undefined,
      );
      expect(tor.signals.map((s) => s.code)).toContain('shield.ip_reputation.listed');
      expect(tor.signals.map((s) => s.code)).not.toContain('lists.ip_flagged');
      expect(reputation).toHaveLength(1);
      expect(tor.signals.every((s) => s.action === undefined)).toBe(true);
    });

    it('a block entry still blocks', () => {
      const d = score('b1', { ip: '192.0.2.66' });
      expect(d.outcome).toBe('block');
      expect(d.signals.map((s) => s.code)).toContain('lists.ip_blocked');
    });

    it('allow wins over flag (an allowed address in a flagged range, an allowed user on a flagged IP)', () => {
      const office = score('o1', { ip: '185.220.101.9' });
      expect(office.signals.map((s) => s.code)).toContain('lists.ip_allowed');
      expect(office.signals.some((s) => s.category === 'reputation')).toBe(false);
      expect(office.outcome).toBe('allow');
      const vip = score('vip-1', { ip: '185.220.101.7', userAgent: 'python-requests' });
      expect(vip.signals.map((s) => s.code)).toEqual(
        expect.arrayContaining(['lists.user_allowed', 'lists.user_agent_flagged']),
      );
      expect(vip.outcome).toBe('allow');
    });

    it('without shield.ip_reputation the list detector grades the flagged IP itself', () => {
      const e = createEngine({
        lists: flagLists(),
        config: {
          ...DEFAULT_ENGINE_CONFIG,
          detectors: { ...DEFAULT_ENGINE_CONFIG.detectors, disabled: ['shield.ip_reputation'] },
        },
      });
      const d = e.score({ id: 'x', app: 'shop', type: 'login', at, user: 'x', ip: '185.220.101.7' }, at);
      expect(d.signals.find((s) => s.code === 'lists.ip_flagged')?.score).toBe(0.5);
      expect(d.outcome).not.toBe('block');
    });
  });
});
