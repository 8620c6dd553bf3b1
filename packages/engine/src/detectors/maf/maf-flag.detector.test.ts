import { describe, expect, it } from 'vitest';
import { HOUR, count } from '../../features/feature-spec.js';
import { createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';
import type { DetectorOutput } from '../detector.js';
import { createIpSignupDetector } from './ip-signup.detector.js';
import { reportFinding, type FindingLevel, type MafAnomaly } from './maf-finding.js';
import { createMafFlagDetector, flagOf } from './maf-flag.detector.js';
import { MAF_DEFAULTS } from './maf-options.js';

function outWith(...findings: [MafAnomaly, FindingLevel][]): DetectorOutput {
  const out: DetectorOutput = { signals: [], facets: {} };
  for (const [anomaly, level] of findings) {
    reportFinding(out, { anomaly, level, category: 'pattern', reason: 'r', evidence: {} });
  }
  return out;
}

describe('maf.flag', () => {
  it('is GREEN with no anomalies (missing or empty list)', () => {
    expect(flagOf(outWith(), 2)).toBe('GREEN');
    expect(flagOf({ signals: [], facets: { anomalies: [] } }, 2)).toBe('GREEN');
  });

  it('is YELLOW for one yellow-level finding', () => {
    expect(flagOf(outWith(['login_velocity', 'YELLOW']), 2)).toBe('YELLOW');
  });

  it('is RED for any red-level finding', () => {
    expect(flagOf(outWith(['duplicate_upload', 'RED']), 2)).toBe('RED');
  });

  it('is RED for two findings even when each is yellow, or at a configured count', () => {
    expect(flagOf(outWith(['login_velocity', 'YELLOW'], ['timezone_mismatch', 'YELLOW']), 2)).toBe('RED');
    expect(flagOf(outWith(['login_velocity', 'YELLOW'], ['timezone_mismatch', 'YELLOW']), 3)).toBe('YELLOW');
  });

  it('counts an anomaly written without a MAF signal as YELLOW', () => {
    expect(flagOf({ signals: [], facets: { anomalies: ['custom_rule_anomaly'] } }, 2)).toBe('YELLOW');
  });

  it('ignores RED signals whose anomaly is not in the list', () => {
    const out = outWith(['login_velocity', 'YELLOW']);
    out.signals.push({
      code: 'x',
      score: 1,
      severity: 'critical',
      category: 'rule',
      reason: 'r',
      evidence: { anomaly: 'other', level: 'RED' },
    });
    expect(flagOf(out, 2)).toBe('YELLOW');
  });

  it('runs after the pattern detectors and writes the flag on every event', () => {
    const ip = createIpSignupDetector();
    const flag = createMafFlagDetector();
    expect(flag.features).toEqual([]);
    expect(flag.appliesTo).toBeUndefined();
    const signups = count({ entity: 'ip', types: ['signup'], window: HOUR });
    const e = makeEvent({ type: 'signup', user: 'u', ip: '203.0.113.1' });
    const snap = (n: number) => createFakeFeatures([...ip.features], [[signups, n]]);
    expect(runDetectors([ip, flag], e, snap(1)).facets.flag).toBe('GREEN');
    expect(runDetectors([ip, flag], e, snap(3)).facets.flag).toBe('YELLOW');
    expect(runDetectors([ip, flag], e, snap(5)).facets.flag).toBe('RED');
    const login = makeEvent({ type: 'login', user: 'u' });
    expect(runDetectors([ip, flag], login, snap(9)).facets.flag).toBe('GREEN');
  });

  it('treats redAtFindings below 1 as 1', () => {
    const flag = createMafFlagDetector({ ...MAF_DEFAULTS, flag: { redAtFindings: 0 } });
    const out: DetectorOutput = { signals: [], facets: {} };
    flag.detect(
      {
        event: makeEvent({ type: 'login' }),
        features: createFakeFeatures([]),
        lists: { lookup: () => undefined },
        now: 0,
      },
      out,
    );
    expect(out.facets.flag).toBe('GREEN');
  });
});
