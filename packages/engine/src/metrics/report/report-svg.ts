/**
 * The evaluation report's four-panel figure as one self-contained SVG string (no scripts, no
 * external fonts or images): score distributions by class, ROC curve, precision–recall curve
 * and confusion matrix, each with axes, ticks, labels and a title. Numbers are formatted with
 * fixed rules, so equal inputs give byte-identical SVG.
 */
import type { ConfusionMatrix } from '../threshold-metrics.js';
import type { ClassHistograms, CurvePoints } from './report-curves.js';

/** What the figure draws. */
export interface ReportFigureData {
  readonly title: string;
  readonly subtitle: string;
  readonly histograms: ClassHistograms;
  readonly threshold: number;
  readonly roc: CurvePoints;
  readonly rocAuc: number;
  readonly pr: CurvePoints;
  readonly averagePrecision: number;
  /** Share of positives, the no-skill line of the PR panel. */
  readonly positiveRate: number;
  readonly confusion: ConfusionMatrix;
  /** Class names, negative first (default legit / fraud). */
  readonly classNames?: readonly [string, string];
}

/** Titles of the four panels, in drawing order (tests look for them). */
export const REPORT_PANEL_TITLES = [
  'Score distribution by class',
  'ROC curve',
  'Precision-recall curve',
  'Confusion matrix',
] as const;

const NEG_COLOR = '#1f77b4';
const POS_COLOR = '#d62728';
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const WIDTH = 1000;
const PANEL_W = 500;
const PANEL_H = 400;
const HEADER = 56;
const HEIGHT = HEADER + 2 * PANEL_H;
// Plot area inside a panel.
const M_LEFT = 70;
const M_RIGHT = 24;
const M_TOP = 40;
const M_BOTTOM = 56;

/**
 * Escapes text for XML content and attribute values.
 * @example escapeXml('a<b & "c"'); // 'a&lt;b &amp; &quot;c&quot;'
 */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** Coordinates rounded to 0.01 px (no exponent, no -0). */
function px(v: number): string {
  const r = Math.round(v * 100) / 100;
  return (r === 0 ? 0 : r).toString();
}

/**
 * A number with at most `digits` decimals, trailing zeros dropped (no -0).
 * @example formatNumber(0.12345, 3); // '0.123'
 */
export function formatNumber(v: number, digits: number): string {
  if (!Number.isFinite(v)) return String(v);
  const s = v.toFixed(digits);
  const t = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  return t === '-0' ? '0' : t;
}

/**
 * "Nice" tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi].
 * @example niceTicks(0, 1, 5); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) out.push(Math.round(k * step * 1e9) / 1e9 + 0);
  return out;
}

function tickDigits(ticks: readonly number[]): number {
  if (ticks.length < 2) return 2;
  const step = Math.abs(ticks[1]! - ticks[0]!);
  return Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
}

interface Frame {
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
  readonly xLo: number;
  readonly xHi: number;
  readonly yLo: number;
  readonly yHi: number;
}

const sx = (f: Frame, v: number): number => f.x0 + ((v - f.xLo) / (f.xHi - f.xLo)) * f.w;
const sy = (f: Frame, v: number): number => f.y0 + f.h - ((v - f.yLo) / (f.yHi - f.yLo)) * f.h;

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}"${attrs === '' ? '' : ' ' + attrs}>${escapeXml(s)}</text>`;
}

function frameFor(col: number, row: number, xLo: number, xHi: number, yLo: number, yHi: number): Frame {
  const ox = col * PANEL_W;
  const oy = HEADER + row * PANEL_H;
  return {
    x0: ox + M_LEFT,
    y0: oy + M_TOP,
    w: PANEL_W - M_LEFT - M_RIGHT,
    h: PANEL_H - M_TOP - M_BOTTOM,
    xLo,
    xHi,
    yLo,
    yHi,
  };
}

/** Panel title, plot box, grid, ticks and axis labels. */
function axes(
  f: Frame,
  title: string,
  xLabel: string,
  yLabel: string,
  xTicks: readonly number[],
  yTicks: readonly number[],
): string {
  const out: string[] = [];
  const cx = f.x0 + f.w / 2;
  out.push(text(cx, f.y0 - 16, title, 'text-anchor="middle" font-size="16" font-weight="bold"'));
  const xd = tickDigits(xTicks);
  const yd = tickDigits(yTicks);
  for (const t of xTicks) {
    const x = sx(f, t);
    out.push(`<line x1="${px(x)}" y1="${px(f.y0)}" x2="${px(x)}" y2="${px(f.y0 + f.h)}" stroke="#e5e5e5"/>`);
    out.push(
      `<line x1="${px(x)}" y1="${px(f.y0 + f.h)}" x2="${px(x)}" y2="${px(f.y0 + f.h + 5)}" stroke="#333"/>`,
    );
    out.push(text(x, f.y0 + f.h + 19, formatNumber(t, xd), 'text-anchor="middle" font-size="12"'));
  }
  for (const t of yTicks) {
    const y = sy(f, t);
    out.push(`<line x1="${px(f.x0)}" y1="${px(y)}" x2="${px(f.x0 + f.w)}" y2="${px(y)}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${px(f.x0 - 5)}" y1="${px(y)}" x2="${px(f.x0)}" y2="${px(y)}" stroke="#333"/>`);
    out.push(text(f.x0 - 8, y + 4, formatNumber(t, yd), 'text-anchor="end" font-size="12"'));
  }
  out.push(
    `<rect x="${px(f.x0)}" y="${px(f.y0)}" width="${px(f.w)}" height="${px(f.h)}" fill="none" stroke="#333"/>`,
  );
  out.push(text(cx, f.y0 + f.h + 42, xLabel, 'text-anchor="middle" font-size="13"'));
  const ly = f.y0 + f.h / 2;
  const lx = f.x0 - 52;
  out.push(
    text(lx, ly, yLabel, `text-anchor="middle" font-size="13" transform="rotate(-90 ${px(lx)} ${px(ly)})"`),
  );
  return out.join('\n');
}

function polyline(f: Frame, c: CurvePoints, color: string, extra = ''): string {
  const pts: string[] = [];
  for (let i = 0; i < c.x.length; i++) pts.push(`${px(sx(f, c.x[i]!))},${px(sy(f, c.y[i]!))}`);
  return `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${extra}/>`;
}

function legend(x: number, y: number, items: readonly (readonly [string, string])[]): string {
  const out: string[] = [];
  const w = 12 + Math.max(...items.map(([label]) => label.length)) * 7.2 + 28;
  out.push(
    `<rect x="${px(x)}" y="${px(y)}" width="${px(w)}" height="${px(items.length * 20 + 8)}" fill="#fff" fill-opacity="0.85" stroke="#bbb"/>`,
  );
  items.forEach(([label, color], i) => {
    const yy = y + 14 + i * 20;
    out.push(`<rect x="${px(x + 8)}" y="${px(yy - 9)}" width="14" height="10" fill="${color}"/>`);
    out.push(text(x + 28, yy, label, 'font-size="12"'));
  });
  return out.join('\n');
}

function histogramPanel(d: ReportFigureData, names: readonly [string, string]): string {
  const h = d.histograms;
  const bins = h.negative.length;
  let yMax = 0;
  for (let b = 0; b < bins; b++) yMax = Math.max(yMax, h.negative[b]!, h.positive[b]!);
  // Headroom above the tallest bar for the legend; the axis ends on a tick.
  const top = yMax > 0 ? yMax * 1.3 : 1;
  let yTicks = niceTicks(0, top, 5);
  const step = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : top;
  if (yTicks[yTicks.length - 1]! < top)
    yTicks = [...yTicks, Math.round((yTicks[yTicks.length - 1]! + step) * 1e9) / 1e9];
  const f = frameFor(0, 0, h.edges[0]!, h.edges[bins]!, 0, yTicks[yTicks.length - 1]!);
  const out: string[] = [
    axes(f, REPORT_PANEL_TITLES[0], 'Score', 'Share of class', niceTicks(f.xLo, f.xHi, 5), yTicks),
  ];
  const series: readonly (readonly [Float64Array, string])[] = [
    [h.negative, NEG_COLOR],
    [h.positive, POS_COLOR],
  ];
  for (const [shares, color] of series) {
    const bars: string[] = [];
    for (let b = 0; b < bins; b++) {
      const v = shares[b]!;
      if (v <= 0) continue;
      const x1 = sx(f, h.edges[b]!);
      const x2 = sx(f, h.edges[b + 1]!);
      const y = sy(f, v);
      bars.push(`<rect x="${px(x1)}" y="${px(y)}" width="${px(x2 - x1)}" height="${px(f.y0 + f.h - y)}"/>`);
    }
    out.push(
      `<g fill="${color}" fill-opacity="0.5" stroke="${color}" stroke-width="0.5">${bars.join('')}</g>`,
    );
  }
  if (d.threshold >= f.xLo && d.threshold <= f.xHi) {
    const x = sx(f, d.threshold);
    out.push(
      `<line x1="${px(x)}" y1="${px(f.y0)}" x2="${px(x)}" y2="${px(f.y0 + f.h)}" stroke="#333" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    );
    out.push(
      text(x + 4, f.y0 + 14, `threshold ${formatNumber(d.threshold, 4)}`, 'font-size="11" fill="#333"'),
    );
  }
  out.push(
    legend(f.x0 + f.w - 150, f.y0 + 22, [
      [`${names[0]} (n=${h.negativeCount})`, NEG_COLOR],
      [`${names[1]} (n=${h.positiveCount})`, POS_COLOR],
    ]),
  );
  return out.join('\n');
}

function rocPanel(d: ReportFigureData): string {
  const f = frameFor(1, 0, 0, 1, 0, 1);
  const ticks = niceTicks(0, 1, 5);
  return [
    axes(f, REPORT_PANEL_TITLES[1], 'False positive rate', 'True positive rate', ticks, ticks),
    `<line x1="${px(sx(f, 0))}" y1="${px(sy(f, 0))}" x2="${px(sx(f, 1))}" y2="${px(sy(f, 1))}" stroke="#999" stroke-dasharray="5 4"/>`,
    polyline(f, d.roc, POS_COLOR),
    legend(f.x0 + f.w - 170, f.y0 + f.h - 56, [
      [`AUC = ${formatNumber(d.rocAuc, 4)}`, POS_COLOR],
      ['chance (0.5)', '#999'],
    ]),
  ].join('\n');
}

function prPanel(d: ReportFigureData): string {
  const f = frameFor(0, 1, 0, 1, 0, 1);
  const ticks = niceTicks(0, 1, 5);
  const base = sy(f, d.positiveRate);
  return [
    axes(f, REPORT_PANEL_TITLES[2], 'Recall', 'Precision', ticks, ticks),
    `<line x1="${px(f.x0)}" y1="${px(base)}" x2="${px(f.x0 + f.w)}" y2="${px(base)}" stroke="#999" stroke-dasharray="5 4"/>`,
    polyline(f, d.pr, POS_COLOR),
    legend(f.x0 + 10, f.y0 + f.h - 70, [
      [`AP = ${formatNumber(d.averagePrecision, 4)}`, POS_COLOR],
      [`no skill (${formatNumber(d.positiveRate, 4)})`, '#999'],
    ]),
  ].join('\n');
}

/** White to dark red by share (0..1). */
function heat(share: number): string {
  const t = Math.max(0, Math.min(1, share));
  const c = (a: number, b: number): string =>
    Math.round(a + (b - a) * t)
      .toString(16)
      .padStart(2, '0');
  return `#${c(255, 165)}${c(255, 15)}${c(255, 21)}`;
}

function confusionPanel(d: ReportFigureData, names: readonly [string, string]): string {
  const f = frameFor(1, 1, 0, 2, 0, 2);
  const cm = d.confusion;
  const out: string[] = [];
  out.push(
    text(
      f.x0 + f.w / 2,
      f.y0 - 16,
      REPORT_PANEL_TITLES[3],
      'text-anchor="middle" font-size="16" font-weight="bold"',
    ),
  );
  // rows: actual (negative, positive); columns: predicted (negative, positive)
  const cells: readonly (readonly [number, number, number, string])[] = [
    [0, 0, cm.tn, 'TN'],
    [0, 1, cm.fp, 'FP'],
    [1, 0, cm.fn, 'FN'],
    [1, 1, cm.tp, 'TP'],
  ];
  const rowTotals = [cm.tn + cm.fp, cm.fn + cm.tp];
  const cw = f.w / 2;
  const ch = f.h / 2;
  for (const [r, c, count, tag] of cells) {
    const total = rowTotals[r]!;
    const share = total === 0 ? 0 : count / total;
    const x = f.x0 + c * cw;
    const y = f.y0 + r * ch;
    const ink = share > 0.55 ? '#fff' : '#111';
    out.push(
      `<rect x="${px(x)}" y="${px(y)}" width="${px(cw)}" height="${px(ch)}" fill="${heat(share)}" stroke="#333"/>`,
    );
    out.push(
      text(
        x + cw / 2,
        y + ch / 2 - 6,
        String(count),
        `text-anchor="middle" font-size="22" font-weight="bold" fill="${ink}"`,
      ),
    );
    out.push(
      text(
        x + cw / 2,
        y + ch / 2 + 18,
        `${tag} · ${formatNumber(share * 100, 1)}% of row`,
        `text-anchor="middle" font-size="12" fill="${ink}"`,
      ),
    );
  }
  for (let i = 0; i < 2; i++) {
    out.push(text(f.x0 + (i + 0.5) * cw, f.y0 + f.h + 19, names[i]!, 'text-anchor="middle" font-size="12"'));
    const ly = f.y0 + (i + 0.5) * ch;
    const lx = f.x0 - 10;
    out.push(text(lx, ly + 4, names[i]!, 'text-anchor="end" font-size="12"'));
  }
  out.push(
    text(
      f.x0 + f.w / 2,
      f.y0 + f.h + 42,
      `Predicted (score >= ${formatNumber(d.threshold, 4)})`,
      'text-anchor="middle" font-size="13"',
    ),
  );
  const lx = f.x0 - 52;
  const ly = f.y0 + f.h / 2;
  out.push(
    text(lx, ly, 'Actual', `text-anchor="middle" font-size="13" transform="rotate(-90 ${px(lx)} ${px(ly)})"`),
  );
  return out.join('\n');
}

/**
 * Renders the four-panel evaluation figure as a standalone SVG document (1000 x 856 px).
 * @example
 * const svg = renderReportSvg({ title: 'gbdt on test', subtitle: '', histograms, threshold: 0.5,
 *   roc, rocAuc: 0.93, pr, averagePrecision: 0.71, positiveRate: 0.02, confusion });
 */
export function renderReportSvg(d: ReportFigureData): string {
  const names = d.classNames ?? (['legit', 'fraud'] as const);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${FONT}" fill="#111">`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    text(WIDTH / 2, 26, d.title, 'text-anchor="middle" font-size="20" font-weight="bold"'),
    text(WIDTH / 2, 46, d.subtitle, 'text-anchor="middle" font-size="13" fill="#555"'),
    histogramPanel(d, names),
    rocPanel(d),
    prPanel(d),
    confusionPanel(d, names),
    '</svg>',
  ].join('\n');
}
