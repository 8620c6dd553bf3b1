import { describe, expect, it } from 'vitest';
import type { AttrValue, VigilEvent } from '../../events/event.js';
import { DAY } from '../../features/feature-spec.js';
import type { ListHit, ListLookup } from '../../lists/list-lookup.js';
import { createFakeFeatures, runDetector, testEvent } from '../testing/fake-features.js';
import {
  IP_REPUTATION_DEFAULTS,
  createIpReputationDetector,
  ipReputationFeatures,
} from './ip-reputation.detector.js';

const d = createIpReputationDetector(IP_REPUTATION_DEFAULTS);
const f = ipReputationFeatures(IP_REPUTATION_DEFAULTS);
const quiet = createFakeFeatures(d.features).set(f.accounts, 1);
const shared = (n: number) => createFakeFeatures(d.features).set(f.accounts, n);

function listing(entries: Record<string, Omit<ListHit, 'match'>>): ListLookup {
  return {
    lookup: (kind, value) => {
      const e = kind === 'ip' ? entries[value] : undefined;
      return e === undefined ? undefined : { ...e, match: value };
    },
  };
}
const run = (fields: Partial<VigilEvent>, lists?: ListLookup, fake = quiet) =>
  runDetector(d, testEvent({ type: 'login', user: 'u1', ip: '203.0.113.7', ...fields }), fake, lists);

describe('ip-reputation detector', () => {
  it('declares distinct users per IP over a day', () => {
    expect(d.features).toEqual([f.accounts]);
    expect(f.accounts).toMatchObject({ kind: 'distinct', entity: 'ip', of: 'user', window: DAY });
  });

  it('stays quiet for a clean residential IP', () => {
    expect(run({})).toEqual([]);
    expect(run({ attrs: { iphub_block: 0, ip_vpn: false } })).toEqual([]);
  });

  it('scores a Tor exit at the full base impact', () => {
    const [s, ...rest] = run({}, listing({ '203.0.113.7': { verdict: 'block', label: 'tor', weight: 1 } }));
    expect(rest).toEqual([]);
    expect(s?.code).toBe('shield.ip_reputation.listed');
    expect(s?.category).toBe('reputation');
    expect(s?.score).toBeCloseTo(0.6, 10);
    expect(s?.reason).toBe('IP 203.0.113.7 is listed as tor (203.0.113.7); score 0.6.');
  });

  it('weighs a bad_ip entry by its report count', () => {
    const bad = (weight: number) => listing({ '203.0.113.7': { verdict: 'block', label: 'bad_ip', weight } });
    expect(run({}, bad(1))[0]?.score).toBeCloseTo(0.48, 10);
    expect(run({}, bad(4))[0]?.score).toBeCloseTo(0.6 * (0.8 + 0.2 * (3 / 7)), 10);
    expect(run({}, bad(8))[0]?.score).toBeCloseTo(0.6, 10);
    expect(run({}, bad(4))[0]?.reason).toContain('listed as bad_ip with 4 reports');
    expect(run({}, bad(4))[0]?.evidence['reports']).toBe(4);
  });

  it('grades flag entries (reputation feeds) exactly like block entries', () => {
    for (const [label, weight] of [
      ['tor', 1],
      ['bad_ip', 4],
    ] as const) {
      const as = (verdict: 'block' | 'flag') =>
        run({}, listing({ '203.0.113.7': { verdict, label, weight } }));
      const flagged = as('flag');
      expect(flagged).toHaveLength(1);
      expect(flagged).toEqual(as('block'));
    }
    expect(
      run({}, listing({ '203.0.113.7': { verdict: 'flag', label: 'tor', weight: 1 } }))[0]?.score,
    ).toBeCloseTo(0.6, 10);
  });

  it('leaves operator block entries with other labels to the list detector', () => {
    expect(
      run({}, listing({ '203.0.113.7': { verdict: 'block', label: 'chargeback ring', weight: 1 } })),
    ).toEqual([]);
  });

  it('reads provider flags', () => {
    const score = (attrs: Record<string, AttrValue>) => run({ attrs })[0]?.score;
    expect(score({ ip_vpn: true })).toBeCloseTo(0.42, 10);
    expect(score({ ip_proxy: 1 })).toBeCloseTo(0.54, 10);
    expect(score({ ip_hosting: 'true' })).toBeCloseTo(0.45, 10);
    expect(score({ iphub_block: 1 })).toBeCloseTo(0.51, 10);
    expect(score({ iphub_block: 2 })).toBeCloseTo(0.24, 10);
    const [s] = run({ attrs: { ip_vpn: true, ip_hosting: true } });
    expect(s?.code).toBe('shield.ip_reputation.anonymizer');
    expect(s?.reason).toBe('IP 203.0.113.7 is flagged by the IP provider as VPN, hosting; score 0.45.');
  });

  it('makes one signal of a listing and provider flags, named by the stronger', () => {
    const lists = listing({ '203.0.113.7': { verdict: 'block', label: 'tor', weight: 1 } });
    const signals = run({ attrs: { ip_proxy: true } }, lists);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.code).toBe('shield.ip_reputation.listed');
    expect(signals[0]?.reason).toBe(
      'IP 203.0.113.7 is listed as tor (203.0.113.7) and flagged by the IP provider as proxy; score 0.6.',
    );
  });

  it('flags many accounts on one public IP', () => {
    const [s] = run({}, undefined, shared(10));
    expect(s?.code).toBe('shield.ip_reputation.shared');
    expect(s?.score).toBeCloseTo(0.6 * 0.7 * 0.6, 10);
    expect(s?.reason).toBe(
      'IP 203.0.113.7 was used by 10 accounts in the last day (threshold 10); score 0.25.',
    );
    expect(run({}, undefined, shared(50))[0]?.score).toBeCloseTo(0.42, 10);
    expect(run({}, undefined, shared(9))).toEqual([]);
  });

  it('does not count accounts behind a private address (misconfigured proxy)', () => {
    expect(run({ ip: '10.0.0.1' }, undefined, shared(500))).toEqual([]);
    expect(run({ ip: '::1' }, undefined, shared(500))).toEqual([]);
  });

  it('does not judge sharing on events without a user', () => {
    expect(runDetector(d, testEvent({ ip: '203.0.113.7' }), shared(100))).toEqual([]);
  });

  it('is silenced by an allow-list entry for the IP', () => {
    const lists = listing({ '203.0.113.7': { verdict: 'allow', label: 'office', weight: 1 } });
    expect(run({ attrs: { ip_vpn: true } }, lists, shared(500))).toEqual([]);
  });

  it('needs an IP', () => {
    expect(runDetector(d, testEvent({ user: 'u1', attrs: { ip_proxy: true } }), shared(500))).toEqual([]);
  });
});
