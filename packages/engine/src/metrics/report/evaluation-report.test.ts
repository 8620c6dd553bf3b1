import { describe, expect, it } from 'vitest';
import { evaluationReport, evaluationMetrics, csvField } from './evaluation-report.js';
import { classHistograms, prCurve, rocCurve, thinCurve } from './report-curves.js';
import { escapeXml, formatNumber, niceTicks, REPORT_PANEL_TITLES } from './report-svg.js';

/** Minimal XML well-formedness check: balanced tags, quoted attributes, no stray `<` or `&`. */
function checkWellFormed(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const textPart = xml.slice(i, lt === -1 ? xml.length : lt);
    if (/&(?!(?:amp|lt|gt|quot|#39);)/.test(textPart)) throw new Error(`bad entity near ${i}`);
    if (textPart.includes('>')) throw new Error(`stray > near ${i}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (m === null) throw new Error(`malformed tag at ${lt}: ${xml.slice(lt, lt + 40)}`);
    const [, close, name, , self] = m;
    if (close === '/') {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (self !== '/') stack.push(name!);
    i = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
}

// Hand-made data: 4 positives, 6 negatives.
const scores = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
const labels = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0];
const input = {
  scores,
  labels,
  threshold: 0.65,
  title: 'Test <report> & "quotes"',
  modelName: 'gbdt-1',
  generatedAt: Date.UTC(2026, 0, 5, 12),
  k: [2, 5],
} as const;

describe('evaluationMetrics', () => {
  it('computes the metrics of hand-made data', () => {
    const m = evaluationMetrics(input);
    // positive ranks (ascending): 10, 9, 7, 4 -> U = 30 - 10 = 20 of 24 pairs
    expect(m.rocAuc).toBeCloseTo(20 / 24, 12);
    // AP = (1 + 1 + 3/4 + 4/7) / 4
    expect(m.prAuc).toBeCloseTo((1 + 1 + 0.75 + 4 / 7) / 4, 12);
    expect(m.atThreshold).toMatchObject({
      tp: 3,
      fp: 1,
      tn: 5,
      fn: 1,
      precision: 0.75,
      recall: 0.75,
      f1: 0.75,
    });
    expect(m.precisionAtK).toEqual([
      { k: 2, precision: 1 },
      { k: 5, precision: 0.6 },
    ]);
    expect(m.cardPrecisionAtK).toBeUndefined();
    expect([m.rows, m.positives, m.negatives]).toEqual([10, 4, 6]);
  });

  it('adds card precision@k when cards are given', () => {
    const cards = scores.map((_, i) => ({ card: `c${i % 5}`, day: 0 }));
    const m = evaluationMetrics({ ...input, cards });
    // c0 = rows 0, 5 (max 0.95, fraud), c1 = rows 1, 6 (0.9, fraud): the top 2 cards are compromised
    expect(m.cardPrecisionAtK?.[0]).toEqual({ k: 2, precision: 1 });
  });

  it('rejects a single class, NaN scores, mismatched lengths and bad k with clear errors', () => {
    expect(() => evaluationMetrics({ ...input, labels: labels.map(() => 0) })).toThrow(/only negatives/);
    expect(() => evaluationMetrics({ ...input, scores: [NaN, ...scores.slice(1)] })).toThrow(/NaN/);
    expect(() => evaluationMetrics({ ...input, scores: scores.slice(1) })).toThrow(/9 scores but 10 labels/);
    expect(() => evaluationMetrics({ ...input, k: [0] })).toThrow(/k must be a positive integer/);
    expect(() => evaluationMetrics({ ...input, labels: [2, ...labels.slice(1)] })).toThrow(/expected 0 or 1/);
  });
});

describe('curves', () => {
  it('ROC curve runs from (0,0) to (1,1) over distinct thresholds', () => {
    const c = rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    expect([...c.x]).toEqual([0, 0, 0.5, 0.5, 1]);
    expect([...c.y]).toEqual([0, 0.5, 0.5, 1, 1]);
  });

  it('PR steps have area equal to average precision', () => {
    const c = prCurve(scores, labels);
    let area = 0;
    for (let i = 0; i < c.x.length; i += 2) area += (c.x[i + 1]! - c.x[i]!) * c.y[i]!;
    expect(area).toBeCloseTo(evaluationMetrics(input).prAuc, 12);
  });

  it('thinning keeps the end points and shrinks a long curve', () => {
    const n = 20_000;
    const s = Array.from({ length: n }, (_, i) => i / n);
    const l = s.map((_, i) => (i % 7 === 0 ? 1 : 0));
    const full = rocCurve(s, l);
    const thin = thinCurve(full);
    expect(thin.x.length).toBeLessThan(2000);
    expect([thin.x[0], thin.y[0], thin.x[thin.x.length - 1], thin.y[thin.y.length - 1]]).toEqual([
      0, 0, 1, 1,
    ]);
  });

  it('histograms are per-class shares over [0, 1] for probabilities', () => {
    const h = classHistograms([0.05, 0.15, 0.95, 1], [0, 0, 1, 1], 10);
    expect(h.edges[0]).toBe(0);
    expect(h.edges[10]).toBe(1);
    expect([...h.negative].slice(0, 2)).toEqual([0.5, 0.5]);
    expect(h.positive[9]).toBe(1);
    const wide = classHistograms([-2, 3], [0, 1], 5);
    expect([wide.edges[0], wide.edges[5]]).toEqual([-2, 3]);
  });
});

describe('evaluationReport', () => {
  const r = evaluationReport(input);

  it('draws a well-formed SVG with the four panels, axes and escaped text', () => {
    expect(r.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    checkWellFormed(r.svg);
    for (const t of REPORT_PANEL_TITLES) expect(r.svg).toContain(`>${t}</text>`);
    expect(r.svg).toContain('Test &lt;report&gt; &amp; &quot;quotes&quot;');
    expect(r.svg).toContain('AUC = 0.8333');
    expect(r.svg).toContain('False positive rate');
    expect(r.svg).toContain('>Recall</text>');
    expect(r.svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('embeds the SVG and a metrics table in a self-contained HTML page', () => {
    expect(r.html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(r.html).toContain(r.svg);
    expect(r.html).toContain('<tr><th>roc_auc</th><td>0.833333</td></tr>');
    expect(r.html).not.toMatch(/<script|<link|src="http/);
  });

  it('exports CSV and JSON with the timestamp', () => {
    const lines = r.csv.trim().split('\n');
    expect(lines[0]).toBe('metric,value');
    expect(lines).toContain('title,"Test <report> & ""quotes"""');
    expect(lines).toContain('generated_at,2026-01-05T12:00:00.000Z');
    expect(lines).toContain('tp,3');
    expect(lines).toContain('precision_at_5,0.6');
    const j: unknown = JSON.parse(r.json);
    expect(j).toMatchObject({
      model: 'gbdt-1',
      generatedAt: '2026-01-05T12:00:00.000Z',
      metrics: { rows: 10 },
    });
  });

  it('is deterministic', () => {
    const again = evaluationReport(input);
    expect(again.svg).toBe(r.svg);
    expect(again.html).toBe(r.html);
    expect(again.csv).toBe(r.csv);
  });
});

describe('formatting helpers', () => {
  it('formats numbers, ticks and escapes', () => {
    expect(formatNumber(0.12345, 3)).toBe('0.123');
    expect(formatNumber(-0.00001, 2)).toBe('0');
    expect(formatNumber(2, 4)).toBe('2');
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 0.13, 5)).toEqual([0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12]);
    expect(escapeXml(`a<b & "c" 'd'`)).toBe('a&lt;b &amp; &quot;c&quot; &#39;d&#39;');
    expect(csvField('plain')).toBe('plain');
  });
});
