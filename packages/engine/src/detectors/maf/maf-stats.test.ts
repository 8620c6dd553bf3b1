import { describe, expect, it } from 'vitest';
import { MAF_ANOMALIES } from './maf-finding.js';
import { createMafStats, type MafStatsSnapshot } from './maf-stats.js';

describe('createMafStats', () => {
  it('starts with every MAF anomaly at zero', () => {
    const s = createMafStats().snapshot();
    expect(s.events).toBe(0);
    expect(s.flagged).toBe(0);
    expect(s.flags).toEqual({ GREEN: 0, YELLOW: 0, RED: 0 });
    expect(Object.keys(s.patterns).sort()).toEqual([...MAF_ANOMALIES].sort());
    expect(s.patterns['referral_spam']).toEqual({ count: 0, hitRate: 0 });
  });

  it('counts per pattern with hit rates over recorded events, duplicates once', () => {
    const stats = createMafStats();
    stats.record(['ip_signup_cluster', 'device_signup_cluster'], 'RED');
    stats.record(['ip_signup_cluster', 'ip_signup_cluster'], 'YELLOW');
    stats.record([], 'GREEN');
    stats.record([]);
    const s = stats.snapshot();
    expect(s.events).toBe(4);
    expect(s.flagged).toBe(2);
    expect(s.flags).toEqual({ GREEN: 1, YELLOW: 1, RED: 1 });
    expect(s.patterns['ip_signup_cluster']).toEqual({ count: 2, hitRate: 0.5 });
    expect(s.patterns['device_signup_cluster']).toEqual({ count: 1, hitRate: 0.25 });
    expect(s.patterns['login_velocity']).toEqual({ count: 0, hitRate: 0 });
  });

  it('tracks names it does not know (from rules) and continues from a snapshot', () => {
    const a = createMafStats();
    a.record(['custom_thing'], 'YELLOW');
    const restored: MafStatsSnapshot = JSON.parse(JSON.stringify(a.snapshot()));
    const b = createMafStats(restored);
    b.record(['custom_thing', 'duplicate_upload'], 'RED');
    const s = b.snapshot();
    expect(s.events).toBe(2);
    expect(s.patterns['custom_thing']).toEqual({ count: 2, hitRate: 1 });
    expect(s.patterns['duplicate_upload']).toEqual({ count: 1, hitRate: 0.5 });
    expect(s.flags).toEqual({ GREEN: 0, YELLOW: 1, RED: 1 });
  });

  it('snapshots are copies', () => {
    const stats = createMafStats();
    const before = stats.snapshot();
    stats.record(['login_velocity']);
    expect(before.events).toBe(0);
    expect(stats.snapshot().events).toBe(1);
  });
});
