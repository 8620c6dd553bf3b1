import { describe, expect, it } from 'vitest';
import { SIGNAL_EVENT_TYPES, type SignalEventType } from '../../events/event-types.js';
import { severityOf } from '../signal.js';
import { createFakeFeatures, runDetector, testEvent } from '../testing/fake-features.js';
import { SIGNAL_EVENT_DEFAULTS, createSignalEventDetector } from './signal-event.detector.js';

/** specs/cross-app-shield.md, "Event types and base risk impact", copied verbatim. */
const SPEC_TABLE: ReadonlyArray<readonly [SignalEventType, number]> = [
  ['fraud_signal', 0.8],
  ['cheat_signal', 0.7],
  ['user_report', 0.6],
  ['payment_risk', 0.9],
  ['behavioral_anomaly', 0.5],
  ['device_reuse', 0.8],
  ['velocity_spike', 0.6],
  ['impossible_travel', 0.7],
  ['bot_detection', 0.8],
  ['chargeback_signal', 0.9],
  ['ip_reputation', 0.6],
  ['win_rate_anomaly', 0.7],
];

const d = createSignalEventDetector(SIGNAL_EVENT_DEFAULTS);
const features = createFakeFeatures(d.features);
const run = (fields: Parameters<typeof testEvent>[0]) => runDetector(d, testEvent(fields), features);

describe('signal-event detector', () => {
  it('covers exactly the spec table', () => {
    expect([...SIGNAL_EVENT_TYPES].sort()).toEqual(SPEC_TABLE.map(([t]) => t).sort());
  });

  it.each(SPEC_TABLE)('scores %s at its base impact %d', (type, impact) => {
    const [s, ...rest] = run({ type, user: 'u1', app: 'casino' });
    expect(rest).toHaveLength(0);
    expect(s?.code).toBe(`shield.signal_event.${type}`);
    expect(s?.score).toBe(impact);
    expect(s?.category).toBe('report');
    expect(s?.severity).toBe(severityOf(impact));
    expect(s?.reason).toContain(type);
    expect(s?.reason).toContain('casino');
    expect(s?.evidence['baseImpact']).toBe(impact);
  });

  it('ignores activity events', () => {
    expect(run({ type: 'login', user: 'u1' })).toEqual([]);
    expect(run({ type: 'payment', user: 'u1', attrs: { confidence: 1 } })).toEqual([]);
  });

  it('scales by attrs.confidence', () => {
    const [s] = run({ type: 'fraud_signal', user: 'u1', attrs: { confidence: 0.5 } });
    expect(s?.score).toBeCloseTo(0.4, 10);
    expect(s?.evidence['confidence']).toBe(0.5);
    expect(s?.reason).toContain('confidence 0.5');
  });

  it('scales by a severity word, capping critical at 1', () => {
    expect(run({ type: 'fraud_signal', attrs: { severity: 'low' } })[0]?.score).toBeCloseTo(0.4, 10);
    expect(run({ type: 'user_report', attrs: { severity: 'HIGH' } })[0]?.score).toBeCloseTo(0.6, 10);
    expect(run({ type: 'cheat_signal', attrs: { severity: 'critical' } })[0]?.score).toBeCloseTo(0.875, 10);
    expect(run({ type: 'payment_risk', attrs: { severity: 'critical' } })[0]?.score).toBe(1);
  });

  it('scales by a numeric severity and combines it with confidence', () => {
    expect(run({ type: 'device_reuse', attrs: { severity: 0.5 } })[0]?.score).toBeCloseTo(0.4, 10);
    const [s] = run({ type: 'bot_detection', attrs: { confidence: 0.5, severity: 'medium' } });
    expect(s?.score).toBeCloseTo(0.8 * 0.5 * 0.75, 10);
    expect(s?.severity).toBe('low');
  });

  it('ignores confidence and severity values it cannot read', () => {
    for (const attrs of [
      { confidence: 80 },
      { confidence: -1 },
      { severity: 'extreme' },
      { severity: 3 },
      { confidence: 'high' },
    ]) {
      expect(run({ type: 'fraud_signal', attrs })[0]?.score).toBe(0.8);
    }
  });

  it('keeps the reporter reason, shortened', () => {
    const [s] = run({ type: 'user_report', user: 'u9', attrs: { reason: 'x'.repeat(500) } });
    expect(s?.evidence['sourceReason']).toBe('x'.repeat(200));
    expect(s?.reason).toContain('user u9');
  });

  it('takes per-type impact overrides', () => {
    const custom = createSignalEventDetector({ enabled: true, impacts: { user_report: 0.3 } });
    const f = createFakeFeatures(custom.features);
    expect(runDetector(custom, testEvent({ type: 'user_report' }), f)[0]?.score).toBe(0.3);
    expect(runDetector(custom, testEvent({ type: 'fraud_signal' }), f)[0]?.score).toBe(0.8);
  });
});
