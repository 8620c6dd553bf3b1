import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessTrust, readTrackingData, trustLevelOf, TRUST_RULES } from './behavior-trust.js';

/** A human-looking session: curved, uneven mouse paths, irregular typing, varied scrolls. */
function humanSession() {
  const mouseMovements = Array.from({ length: 40 }, (_, i) => ({
    x: 100 + i * 7 + Math.round(12 * Math.sin(i / 3)),
    y: 200 + Math.round(30 * Math.sin(i / 5)) + (i % 3),
    t: 1000 + i * 16 + (i % 4) * 9,
  }));
  const keystrokes = [0, 140, 230, 410, 520, 700, 760, 980, 1100, 1290].map((t) => ({ t: 5000 + t }));
  const clicks = [0, 850, 2300, 4100, 5200].map((t) => ({ t: 9000 + t }));
  const scrollEvents = [120, 80, 240, 100, 53, 300].map((deltaY, i) => ({ deltaY, t: 12000 + i * 200 }));
  return { mouseMovements, keystrokes, clicks, scrollEvents, formInteractions: [], sessionMetrics: {} };
}

/** A scripted client: straight line at constant speed, metronomic fast typing, rapid clicks, uniform scrolls. */
function botSession() {
  return {
    mouseMovements: Array.from({ length: 30 }, (_, i) => ({ x: i * 10, y: i * 5, t: i * 10 })),
    keystrokes: Array.from({ length: 12 }, (_, i) => ({ t: i * 10 })),
    clicks: Array.from({ length: 5 }, (_, i) => ({ t: i * 5 })),
    scrollEvents: Array.from({ length: 8 }, () => ({ deltaY: 100 })),
    sessionMetrics: {},
  };
}

describe('assessTrust', () => {
  it('trusts a human session (70-100 band, no pattern)', () => {
    const a = assessTrust(readTrackingData(humanSession()));
    expect(a.patterns).toEqual([]);
    expect(a.trust).toBe(100);
    expect(trustLevelOf(a.trust)).toBe('high');
    expect(a.confidence).toBe(0.7); // 61 samples
  });

  it('finds every pattern of a scripted client and floors its trust at 35', () => {
    const a = assessTrust(readTrackingData(botSession()));
    expect(a.patterns).toEqual([
      'rapid_clicking',
      'straight_mouse_movement',
      'constant_velocity',
      'impossible_typing_speed',
      'regular_typing',
      'uniform_scrolling',
    ]);
    expect(a.trust).toBe(TRUST_RULES.floor);
    expect(a.reasons).toHaveLength(6);
    expect(a.reasons[0]).toBe('4 clicks less than 30 ms apart');
  });

  it('scores one pattern as a 15-point penalty', () => {
    const one = { ...humanSession(), clicks: [{ t: 0 }, { t: 10 }, { t: 20 }] };
    const a = assessTrust(readTrackingData(one));
    expect(a.patterns).toEqual(['rapid_clicking']);
    expect(a.trust).toBe(80 + 3 * 5 - 15);
  });

  it('flags an extreme scroll on its own', () => {
    const a = assessTrust(readTrackingData({ scrollEvents: [{ deltaY: 6000 }] }));
    expect(a.patterns).toEqual(['extreme_scroll_speed']);
    expect(a.trust).toBe(65);
  });

  it('gives the base score with low confidence when there is no data, and the floor for webdriver', () => {
    const empty = assessTrust(readTrackingData({}));
    expect(empty).toMatchObject({ trust: 80, patterns: [], samples: 0, confidence: 0.3 });
    const wd = assessTrust(readTrackingData({ ...humanSession(), sessionMetrics: { webdriver: true } }));
    expect(wd.trust).toBe(35);
    expect(wd.reasons).toContain('the browser reports automation (webdriver)');
  });

  it('ignores malformed samples and never leaves 35..100 (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (data) => {
        const a = assessTrust(readTrackingData(data));
        return a.trust >= 35 && a.trust <= 100 && a.confidence >= 0.3 && a.confidence <= 0.95;
      }),
    );
    expect(
      readTrackingData({ mouseMovements: [{ x: 'a', y: 1, t: 2 }, null, 3], clicks: 'x' }),
    ).toMatchObject({
      mouse: [],
      clicks: [],
    });
  });
});

describe('trustLevelOf', () => {
  it('bands trust into high, medium, low, suspicious', () => {
    expect([100, 70, 69, 55, 54, 40, 39, 0].map(trustLevelOf)).toEqual([
      'high',
      'high',
      'medium',
      'medium',
      'low',
      'low',
      'suspicious',
      'suspicious',
    ]);
  });
});
