import { describe, expect, it } from 'vitest';
import type { AttrValue } from '../../events/event.js';
import { DAY, HOUR, last } from '../../features/feature-spec.js';
import { T0, createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';
import { createFingerprintDetector } from './fingerprint.detector.js';

const detector = createFingerprintDetector();
const lastCanvas = last({ entity: 'device', field: 'canvas' });
const lastWebgl = last({ entity: 'device', field: 'webgl' });
const geo = (country: string) => ({ lat: 0, lon: 0, country });
const login = (attrs: Record<string, AttrValue>, country = 'FR', device: string | null = 'd1') =>
  makeEvent({
    type: 'login',
    user: 'u1',
    geo: geo(country),
    attrs,
    ...(device === null ? {} : { device }),
  });
const run = (e: ReturnType<typeof login>, values: Parameters<typeof createFakeFeatures>[1] = []) =>
  runDetectors([detector], e, createFakeFeatures(detector.features, values));
const clean = { timezone: 'Europe/Paris', screen: '1920x1080', canvas: 'c1', webgl: 'w1' };

describe('maf.fingerprint', () => {
  it('stays quiet on a consistent browser', () => {
    const r = run(login(clean), [
      [lastCanvas, { value: 'c1', at: T0 - DAY }],
      [lastWebgl, { value: 'w1', at: T0 - DAY }],
    ]);
    expect(r.signals).toEqual([]);
    expect(r.facets.anomalies).toBeUndefined();
  });

  it('stays quiet without attrs, and on the first event of a device', () => {
    expect(run(makeEvent({ type: 'login', user: 'u1', device: 'd1' })).signals).toEqual([]);
    expect(run(login(clean)).signals).toEqual([]);
  });

  describe('timezone vs geo', () => {
    it('flags a US timezone on a French IP', () => {
      const r = run(login({ timezone: 'America/New_York' }));
      expect(r.facets.anomalies).toEqual(['timezone_mismatch']);
      expect(r.signals[0]).toMatchObject({
        code: 'maf.timezone_mismatch',
        category: 'identity',
        evidence: {
          country: 'FR',
          timezoneOffsets: [-300, -240],
          countryOffsets: [60, 120],
          level: 'YELLOW',
        },
      });
      expect(r.signals[0]!.reason).toBe(
        "Browser timezone America/New_York (UTC-5..-4) does not fit the IP's country FR (UTC+1..+2).",
      );
    });

    it('flags a UTC browser (typical of servers) in the US, not in the UK', () => {
      expect(run(login({ timezone: 'UTC' }, 'US')).facets.anomalies).toEqual(['timezone_mismatch']);
      expect(run(login({ timezone: 'UTC' }, 'GB')).signals).toEqual([]);
    });

    it('tolerates neighbouring zones and accepts offsets in minutes', () => {
      expect(run(login({ timezone: 'Europe/London' }, 'FR')).signals).toEqual([]);
      expect(run(login({ timezone: 330 }, 'IN')).signals).toEqual([]);
      expect(run(login({ timezone: -480 }, 'IN')).facets.anomalies).toEqual(['timezone_mismatch']);
    });

    it('does not judge unknown countries or zones, or events without geo', () => {
      expect(run(login({ timezone: 'America/New_York' }, 'ZZ')).signals).toEqual([]);
      expect(run(login({ timezone: 'Nowhere/Special' }, 'FR')).signals).toEqual([]);
      const noGeo = makeEvent({ type: 'login', user: 'u1', attrs: { timezone: 'America/New_York' } });
      expect(run(noGeo).signals).toEqual([]);
    });
  });

  describe('canvas / WebGL changes on a device', () => {
    it('flags a canvas hash that changed since the previous event', () => {
      const r = run(login(clean), [[lastCanvas, { value: 'c0', at: T0 - HOUR }]]);
      expect(r.facets.anomalies).toEqual(['fingerprint_change']);
      expect(r.signals[0]!.evidence).toMatchObject({
        device: 'd1',
        canvasChanged: true,
        webglChanged: false,
        canvas: 'c1',
        previousCanvas: 'c0',
        level: 'YELLOW',
      });
    });

    it('flags a WebGL change, also for an out-of-order event', () => {
      const r = run(login(clean), [[lastWebgl, { value: 'w0', at: T0 + HOUR }]]);
      expect(r.signals[0]!.evidence).toMatchObject({ webglChanged: true, previousWebgl: 'w0' });
      expect(r.signals[0]!.reason).toContain('WebGL fingerprint changed');
    });

    it('ignores changes older than the window, and events without device or hashes', () => {
      expect(run(login(clean), [[lastCanvas, { value: 'c0', at: T0 - 40 * DAY }]]).signals).toEqual([]);
      expect(run(login(clean, 'FR', null), [[lastCanvas, { value: 'c0', at: T0 }]]).signals).toEqual([]);
      expect(
        run(login({ timezone: 'Europe/Paris' }), [[lastCanvas, { value: 'c0', at: T0 }]]).signals,
      ).toEqual([]);
    });
  });

  describe('headless screens', () => {
    it('flags a zero-sized screen as RED', () => {
      const r = run(login({ screen: '0x0', webgl: 'w1' }));
      expect(r.facets.anomalies).toEqual(['headless_screen']);
      expect(r.signals[0]!.evidence).toMatchObject({ width: 0, height: 0, level: 'RED' });
    });

    it('flags 800x600 without WebGL as YELLOW, but not with WebGL', () => {
      const r = run(login({ screen: '800x600' }));
      expect(r.signals[0]!.evidence).toMatchObject({ screen: '800x600', webgl: false, level: 'YELLOW' });
      expect(run(login({ screen: '800x600', webgl: 'w1' })).signals).toEqual([]);
    });

    it('flags implausible sizes and ignores unparseable ones', () => {
      expect(run(login({ screen: '50x40', webgl: 'w' })).signals[0]!.reason).toContain('implausible');
      expect(run(login({ screen: '99999x1080', webgl: 'w' })).facets.anomalies).toEqual(['headless_screen']);
      expect(run(login({ screen: '1920x' })).signals).toEqual([]);
      expect(run(login({ screen: 'big' })).signals).toEqual([]);
      expect(run(login({ screen: 1920 })).signals).toEqual([]);
    });
  });

  it('reports several findings on one event', () => {
    const r = run(login({ timezone: 'UTC', screen: '800x600', canvas: 'c9' }, 'US'), [
      [lastCanvas, { value: 'c1', at: T0 - HOUR }],
    ]);
    expect(r.facets.anomalies).toEqual(['timezone_mismatch', 'fingerprint_change', 'headless_screen']);
    expect(r.signals.every((s) => s.category === 'identity')).toBe(true);
  });
});
