/**
 * A first rule-based version of the bot-detection spec's suspicious-pattern catalogue, scoring the
 * browser tracker's samples into a trust score 0..100. The bot-detection issue owns the full trust
 * model; this gives `/api/behavior/track` its rule-based answer without any external service.
 */

/** The spec's suspicious patterns. @example BOT_PATTERNS.includes('rapid_clicking'); // true */
export const BOT_PATTERNS = [
  'rapid_clicking',
  'straight_mouse_movement',
  'constant_velocity',
  'regular_typing',
  'impossible_typing_speed',
  'uniform_scrolling',
  'extreme_scroll_speed',
] as const;
export type BotPattern = (typeof BOT_PATTERNS)[number];

/** The spec's thresholds and the trust arithmetic (source defaults). @example TRUST_RULES.rapidClickMs; // 30 */
export const TRUST_RULES = {
  /** Clicks closer than this (ms) are rapid; two such gaps flag the pattern. */
  rapidClickMs: 30,
  /** Variance of the turning angle between mouse segments (rad²) below this: a straight path. */
  pathVariance: 0.001,
  /** Variance of mouse speed (px/ms) below this: constant velocity. */
  velocityVariance: 0.01,
  /** Variance of the gaps between keys (ms²) below this: machine-regular typing. */
  keyVariance: 2,
  /** Median gap between keys (ms) below this: impossible typing speed. */
  impossibleKeyMs: 20,
  /** Variance of scroll deltas below this: uniform scrolling. */
  scrollVariance: 0.1,
  /** A scroll larger than this (px) is extreme. */
  extremeScrollPx: 5000,
  /** Samples needed before a family is judged. */
  minSamples: 5,
  base: 80,
  /** Penalty per pattern found (the source's bot-penalty cap). */
  penalty: 15,
  /** Bonus per family with enough natural-looking samples. */
  naturalBonus: 5,
  floor: 35,
} as const;

const MAX_SAMPLES = 5000;

/** What the tracker sent, read leniently (unknown fields ignored, non-numbers skipped). */
export interface TrackingSamples {
  readonly mouse: readonly {
    readonly x: number;
    readonly y: number;
    readonly t: number;
    readonly v?: number;
  }[];
  readonly clicks: readonly number[];
  readonly keys: readonly number[];
  readonly scrolls: readonly number[];
  readonly webdriver: boolean;
}

/** The rule-based verdict. */
export interface TrustAssessment {
  /** 0..100, higher is more human. */
  readonly trust: number;
  readonly patterns: readonly BotPattern[];
  /** One sentence per pattern found. */
  readonly reasons: readonly string[];
  /** 0..1: how much data the verdict rests on. */
  readonly confidence: number;
  readonly samples: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numberOf(o: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

function listOf(o: Record<string, unknown>, ...keys: string[]): readonly unknown[] {
  for (const k of keys) {
    const v = o[k];
    if (Array.isArray(v)) return v.slice(0, MAX_SAMPLES);
  }
  return [];
}

function times(items: readonly unknown[]): number[] {
  const out: number[] = [];
  for (const it of items) {
    if (typeof it === 'number' && Number.isFinite(it)) out.push(it);
    else if (isRecord(it)) {
      const t = numberOf(it, 't', 'timestamp', 'time', 'timeStamp', 'downTime', 'keydownTime');
      if (t !== undefined) out.push(t);
    }
  }
  return out.sort((a, b) => a - b);
}

/**
 * Reads the tracker's `trackingData` (mouseMovements, clicks, keystrokes, scrollEvents,
 * sessionMetrics), never key values.
 * @example readTrackingData({ clicks: [{ t: 0 }, { t: 10 }] }).clicks; // [0, 10]
 */
export function readTrackingData(data: unknown): TrackingSamples {
  const d = isRecord(data) ? data : {};
  const mouse: { x: number; y: number; t: number; v?: number }[] = [];
  for (const m of listOf(d, 'mouseMovements', 'mouse')) {
    if (!isRecord(m)) continue;
    const x = numberOf(m, 'x', 'clientX');
    const y = numberOf(m, 'y', 'clientY');
    const t = numberOf(m, 't', 'timestamp', 'time', 'timeStamp');
    if (x === undefined || y === undefined || t === undefined) continue;
    const v = numberOf(m, 'velocity', 'v', 'speed');
    mouse.push(v === undefined ? { x, y, t } : { x, y, t, v });
  }
  mouse.sort((a, b) => a.t - b.t);
  const scrolls: number[] = [];
  for (const s of listOf(d, 'scrollEvents', 'scrolls', 'scroll')) {
    if (typeof s === 'number' && Number.isFinite(s)) scrolls.push(s);
    else if (isRecord(s)) {
      const dy = numberOf(s, 'deltaY', 'delta', 'dy');
      if (dy !== undefined) scrolls.push(dy);
    }
  }
  const metrics = isRecord(d['sessionMetrics']) ? d['sessionMetrics'] : {};
  return {
    mouse,
    clicks: times(listOf(d, 'clicks', 'clickEvents', 'mouseClicks')),
    keys: times(listOf(d, 'keystrokes', 'keyEvents', 'keys')),
    scrolls,
    webdriver: metrics['webdriver'] === true || metrics['automation'] === true || d['webdriver'] === true,
  };
}

function gaps(ts: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < ts.length; i++) out.push((ts[i] ?? 0) - (ts[i - 1] ?? 0));
  return out;
}

function variance(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= xs.length;
  let s = 0;
  for (const x of xs) s += (x - mean) * (x - mean);
  return s / xs.length;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function wrapAngle(a: number): number {
  let x = a;
  while (x > Math.PI) x -= 2 * Math.PI;
  while (x < -Math.PI) x += 2 * Math.PI;
  return x;
}

/**
 * Scores the samples: base 80, minus 15 per suspicious pattern, plus 5 per family (mouse, clicks,
 * keys, scroll) with enough natural-looking samples, floored at 35 and capped at 100.
 * @example assessTrust(readTrackingData({ clicks: [0, 10, 20, 30].map((t) => ({ t })) })).patterns; // ['rapid_clicking']
 */
export function assessTrust(s: TrackingSamples): TrustAssessment {
  const r = TRUST_RULES;
  const patterns: BotPattern[] = [];
  const reasons: string[] = [];
  let natural = 0;

  const clickGaps = gaps(s.clicks);
  const rapid = clickGaps.filter((g) => g < r.rapidClickMs).length;
  if (rapid >= 2) {
    patterns.push('rapid_clicking');
    reasons.push(`${rapid} clicks less than ${r.rapidClickMs} ms apart`);
  } else if (clickGaps.length >= r.minSamples - 1) natural++;

  if (s.mouse.length >= r.minSamples * 2) {
    const turns: number[] = [];
    const speeds: number[] = [];
    let prevAngle: number | undefined;
    for (let i = 1; i < s.mouse.length; i++) {
      const a = s.mouse[i - 1]!;
      const b = s.mouse[i]!;
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const dt = b.t - a.t;
      if (b.v !== undefined) speeds.push(b.v);
      else if (dt > 0) speeds.push(Math.hypot(dx, dy) / dt);
      if (dx === 0 && dy === 0) continue;
      const angle = Math.atan2(dy, dx);
      if (prevAngle !== undefined) turns.push(wrapAngle(angle - prevAngle));
      prevAngle = angle;
    }
    let flagged = false;
    if (turns.length >= r.minSamples && variance(turns) < r.pathVariance) {
      patterns.push('straight_mouse_movement');
      reasons.push(
        `mouse moved in a perfectly straight line (path variance ${variance(turns).toExponential(1)})`,
      );
      flagged = true;
    }
    if (speeds.length >= r.minSamples && variance(speeds) < r.velocityVariance) {
      patterns.push('constant_velocity');
      reasons.push(
        `mouse moved at a constant speed (velocity variance ${variance(speeds).toExponential(1)})`,
      );
      flagged = true;
    }
    if (!flagged) natural++;
  }

  const keyGaps = gaps(s.keys).filter((g) => g >= 0);
  if (keyGaps.length >= r.minSamples) {
    let flagged = false;
    if (median(keyGaps) < r.impossibleKeyMs) {
      patterns.push('impossible_typing_speed');
      reasons.push(
        `keys typed ${Math.round(median(keyGaps))} ms apart (median), faster than a human can type`,
      );
      flagged = true;
    }
    if (variance(keyGaps) < r.keyVariance) {
      patterns.push('regular_typing');
      reasons.push(`key timing is machine-regular (variance ${variance(keyGaps).toFixed(2)} ms²)`);
      flagged = true;
    }
    if (!flagged) natural++;
  }

  if (s.scrolls.length > 0) {
    let flagged = false;
    const extreme = s.scrolls.filter((d) => Math.abs(d) > r.extremeScrollPx).length;
    if (extreme > 0) {
      patterns.push('extreme_scroll_speed');
      reasons.push(`${extreme} scroll(s) of more than ${r.extremeScrollPx} px`);
      flagged = true;
    }
    if (s.scrolls.length >= r.minSamples && variance(s.scrolls) < r.scrollVariance) {
      patterns.push('uniform_scrolling');
      reasons.push(`every scroll moved the same distance (variance ${variance(s.scrolls).toFixed(3)})`);
      flagged = true;
    }
    if (!flagged && s.scrolls.length >= r.minSamples) natural++;
  }

  if (s.webdriver) reasons.push('the browser reports automation (webdriver)');
  const raw = r.base + natural * r.naturalBonus - patterns.length * r.penalty;
  const trust = s.webdriver ? r.floor : Math.min(100, Math.max(r.floor, raw));
  const samples = s.mouse.length + s.clicks.length + s.keys.length + s.scrolls.length;
  const confidence = Math.round(Math.min(0.95, 0.3 + 0.65 * Math.min(1, samples / 100)) * 100) / 100;
  return { trust, patterns, reasons, confidence, samples };
}

/** Trust levels, most trusted first. @example TRUST_LEVELS[0]; // 'high' */
export const TRUST_LEVELS = ['high', 'medium', 'low', 'suspicious'] as const;
export type TrustLevel = (typeof TRUST_LEVELS)[number];

/** @example trustLevelOf(72); // 'high' */
export function trustLevelOf(trust: number): TrustLevel {
  if (trust >= 70) return 'high';
  if (trust >= 55) return 'medium';
  if (trust >= 40) return 'low';
  return 'suspicious';
}
