import { createCatalogue, createEngine, DEFAULT_ENGINE_CONFIG, type Decision } from '@vigil/engine';
import { describe, expect, it } from 'vitest';
import { createIntelDetector } from './intel.detector.js';
import { hashIdentifier } from './intel.model.js';
import { createIntelRegistry } from './intel.registry.js';

const NOW = Date.UTC(2026, 0, 15, 12);

function setup() {
  const registry = createIntelRegistry('pepper-1');
  const engine = createEngine({
    detectors: [...createCatalogue(DEFAULT_ENGINE_CONFIG), createIntelDetector(registry)],
  });
  let n = 0;
  const score = (app: string, fields: Record<string, string>): Decision => {
    const r = engine.process({ id: `e${++n}`, type: 'login', user: `u${n}`, ...fields }, { now: NOW, app });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.value.decision;
  };
  const share = (
    kind: 'device' | 'ip' | 'wallet' | 'email',
    value: string,
    sourceApp: string,
    expiresAt: number | null = null,
  ) =>
    registry.add([
      { kind, hash: registry.hash(kind, value), sourceApp, source: 'confirmed_fraud', expiresAt },
    ]);
  return { registry, score, share };
}

const intelSignals = (d: Decision) => d.signals.filter((s) => s.code.startsWith('intel.'));

describe('hashIdentifier', () => {
  it('is a keyed hash: stable, and different per pepper, kind and value', () => {
    const h = hashIdentifier('p', 'device', 'd1');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(hashIdentifier('p', 'device', 'd1')).toBe(h);
    expect(hashIdentifier('q', 'device', 'd1')).not.toBe(h);
    expect(hashIdentifier('p', 'wallet', 'd1')).not.toBe(h);
    expect(hashIdentifier('p', 'device', 'd2')).not.toBe(h);
  });
});

describe('intel detector', () => {
  it('raises risk in another app, never in the app that shared it', () => {
    const { score, share } = setup();
    share('device', 'dev-1', 'A');
    const inB = score('B', { device: 'dev-1' });
    expect(intelSignals(inB)).toEqual([
      expect.objectContaining({
        code: 'intel.shared_device',
        category: 'reputation',
        score: 0.6,
        evidence: { kind: 'device', apps: 1, sources: ['confirmed_fraud'] },
      }),
    ]);
    expect(inB.risk).toBeGreaterThanOrEqual(0.6);
    expect(inB.enforcement.action).toBe('temp_suspend');
    expect(JSON.stringify(inB)).not.toContain('"A"');
    expect(intelSignals(score('A', { device: 'dev-1' }))).toEqual([]);
    expect(intelSignals(score('B', { device: 'dev-2' }))).toEqual([]);
  });

  it('combines reports of several apps and each kind with its own weight', () => {
    const { score, share } = setup();
    share('ip', '198.51.100.7', 'A');
    share('ip', '198.51.100.7', 'B');
    share('wallet', '0xabc', 'A');
    share('email', 'bad@example.com', 'A');
    const d = score('C', { ip: '198.51.100.7', wallet: '0xABC', email: 'Bad@Example.com' });
    const byCode = Object.fromEntries(intelSignals(d).map((s) => [s.code, s]));
    expect(byCode['intel.shared_ip']?.score).toBeCloseTo(1 - 0.65 ** 2, 3);
    expect(byCode['intel.shared_ip']?.reason).toContain('in 2 other apps');
    expect(byCode['intel.shared_wallet']?.score).toBe(0.6); // events are lower-cased like the shared value
    expect(byCode['intel.shared_email']?.score).toBe(0.5);
  });

  it('honours opt-outs and expiry', () => {
    const { registry, score, share } = setup();
    share('device', 'dev-1', 'A');
    share('device', 'dev-9', 'A', NOW - 1);
    registry.setSettings('B', { contribute: true, consume: false });
    expect(intelSignals(score('B', { device: 'dev-1' }))).toEqual([]);
    registry.setSettings('A', { contribute: false, consume: true });
    expect(intelSignals(score('C', { device: 'dev-1' }))).toEqual([]);
    registry.setSettings('A', { contribute: true, consume: true });
    expect(intelSignals(score('C', { device: 'dev-1' }))).toHaveLength(1);
    expect(intelSignals(score('C', { device: 'dev-9' }))).toEqual([]);
    registry.remove('device', registry.hash('device', 'dev-1'), 'A');
    expect(intelSignals(score('C', { device: 'dev-1' }))).toEqual([]);
    expect(registry.size()).toBe(1);
  });
});
