/**
 * The evaluation report of a scored test set: every metric the spec names (ROC-AUC, PR-AUC,
 * precision/recall/F1 at the threshold, precision@k, optional card precision@k, confusion
 * matrix), the four-panel SVG figure, a self-contained HTML page and CSV/JSON exports. Pure:
 * the caller writes the strings to files and passes the report time (`generatedAt`), so equal
 * inputs give byte-identical output.
 */
import { cardPrecisionAtK, type CardScoreRow } from '../card-precision.js';
import { averagePrecision, checkScoresAndLabels, precisionAtK, rocAuc } from '../ranking-metrics.js';
import { thresholdMetrics, type ThresholdMetrics } from '../threshold-metrics.js';
import { classHistograms, prCurve, rocCurve, thinCurve } from './report-curves.js';
import { escapeXml, formatNumber, renderReportSvg } from './report-svg.js';

/** Input of {@link evaluationReport}. */
export interface EvaluationReportInput {
  /** Model scores, higher = more likely positive (fraud). */
  readonly scores: ArrayLike<number>;
  /** 0/1 labels, 1 = positive. Both classes must be present. */
  readonly labels: ArrayLike<number>;
  /** Decision threshold: rows scoring `>=` it are flagged. */
  readonly threshold: number;
  readonly title: string;
  readonly modelName: string;
  /** Time the report is made, epoch ms (the caller's clock; the engine reads none). */
  readonly generatedAt: number;
  /** Name of the evaluated data set, shown in the subtitle and exports. */
  readonly dataset?: string;
  /** k values of precision@k, default [100]. */
  readonly k?: readonly number[];
  /** Card (entity) and day of each row: adds card precision@k for every k (Fraud Detection Handbook). */
  readonly cards?: readonly { readonly card: string | number; readonly day: string | number }[];
  /** Histogram bins, default 30. */
  readonly bins?: number;
  /** Class names, negative first, default ['legit', 'fraud']. */
  readonly classNames?: readonly [string, string];
}

/** The figures of an evaluation. */
export interface EvaluationMetrics {
  readonly rows: number;
  readonly positives: number;
  readonly negatives: number;
  readonly rocAuc: number;
  /** Average precision (the step-wise PR-AUC). */
  readonly prAuc: number;
  /** Precision, recall, F1, accuracy, false-positive rate and the confusion counts at the threshold. */
  readonly atThreshold: ThresholdMetrics;
  readonly precisionAtK: readonly { readonly k: number; readonly precision: number }[];
  /** Present when `cards` was given. */
  readonly cardPrecisionAtK?: readonly { readonly k: number; readonly precision: number }[];
}

/** Everything {@link evaluationReport} produces. */
export interface EvaluationReport {
  readonly metrics: EvaluationMetrics;
  /** The four-panel figure, a standalone SVG document. */
  readonly svg: string;
  /** A standalone HTML page: the figure and a metrics table. */
  readonly html: string;
  /** `metric,value` lines, starting with title, model, dataset and generated_at. */
  readonly csv: string;
  /** The metrics with title, model, dataset and generatedAt (ISO 8601), pretty-printed. */
  readonly json: string;
}

function checkInput(i: EvaluationReportInput): { positives: number; ks: readonly number[] } {
  const positives = checkScoresAndLabels(i.scores, i.labels, 'evaluationReport');
  const n = i.scores.length;
  if (n === 0) throw new Error('evaluationReport: no rows to evaluate');
  if (positives === 0 || positives === n) {
    throw new Error(
      `evaluationReport: labels hold only ${positives === 0 ? 'negatives' : 'positives'}; both classes are needed`,
    );
  }
  for (let r = 0; r < n; r++) {
    if (!Number.isFinite(i.scores[r]!)) throw new Error(`evaluationReport: score ${r} is ${i.scores[r]}`);
  }
  if (!Number.isFinite(i.threshold)) throw new Error(`evaluationReport: threshold is ${i.threshold}`);
  if (!Number.isFinite(i.generatedAt)) throw new Error('evaluationReport: generatedAt must be epoch ms');
  const ks = i.k ?? [100];
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1)
      throw new Error(`evaluationReport: k must be a positive integer, got ${k}`);
  }
  if (i.cards !== undefined && i.cards.length !== n) {
    throw new Error(`evaluationReport: ${i.cards.length} card rows for ${n} scores`);
  }
  return { positives, ks };
}

/**
 * Computes the metrics of one scored test set. Throws on mismatched lengths, labels other than
 * 0/1, non-finite scores or a single class.
 * @example evaluationMetrics({ scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1], threshold: 0.5,
 *   title: 't', modelName: 'm', generatedAt: 0, k: [2] }).rocAuc; // 0.75
 */
export function evaluationMetrics(i: EvaluationReportInput): EvaluationMetrics {
  const { positives, ks } = checkInput(i);
  const n = i.scores.length;
  const base: EvaluationMetrics = {
    rows: n,
    positives,
    negatives: n - positives,
    rocAuc: rocAuc(i.scores, i.labels),
    prAuc: averagePrecision(i.scores, i.labels),
    atThreshold: thresholdMetrics(i.scores, i.labels, i.threshold),
    precisionAtK: ks.map((k) => ({ k, precision: precisionAtK(i.scores, i.labels, k) })),
  };
  const cards = i.cards;
  if (cards === undefined) return base;
  const rows: CardScoreRow[] = [];
  for (let r = 0; r < n; r++) {
    const c = cards[r]!;
    rows.push({ day: c.day, card: c.card, score: i.scores[r]!, label: i.labels[r]! });
  }
  return { ...base, cardPrecisionAtK: ks.map((k) => ({ k, precision: cardPrecisionAtK(rows, k) })) };
}

/** [name, value] rows of the metrics, shared by the CSV and the HTML table. */
function metricRows(m: EvaluationMetrics): [string, number][] {
  const t = m.atThreshold;
  const rows: [string, number][] = [
    ['rows', m.rows],
    ['positives', m.positives],
    ['negatives', m.negatives],
    ['roc_auc', m.rocAuc],
    ['pr_auc', m.prAuc],
    ['threshold', t.threshold],
    ['precision', t.precision],
    ['recall', t.recall],
    ['f1', t.f1],
    ['accuracy', t.accuracy],
    ['false_positive_rate', t.falsePositiveRate],
    ['tp', t.tp],
    ['fp', t.fp],
    ['tn', t.tn],
    ['fn', t.fn],
  ];
  for (const p of m.precisionAtK) rows.push([`precision_at_${p.k}`, p.precision]);
  for (const p of m.cardPrecisionAtK ?? []) rows.push([`card_precision_at_${p.k}`, p.precision]);
  return rows;
}

/**
 * A CSV field quoted when it holds a comma, quote or line break (RFC 4180).
 * @example csvField('a,b'); // '"a,b"'
 */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function renderHtml(i: EvaluationReportInput, m: EvaluationMetrics, svg: string, iso: string): string {
  const rows = metricRows(m)
    .map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${formatNumber(v, 6)}</td></tr>`)
    .join('\n');
  const meta = [
    ['model', i.modelName],
    ['dataset', i.dataset ?? ''],
    ['generated at', iso],
  ]
    .map(([k, v]) => `<tr><th>${escapeXml(k!)}</th><td>${escapeXml(v!)}</td></tr>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(i.title)}</title>
<style>
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 24px; color: #111; }
table { border-collapse: collapse; margin: 16px 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
td { font-variant-numeric: tabular-nums; }
figure { margin: 0; }
svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>${escapeXml(i.title)}</h1>
<table>
${meta}
</table>
<figure>
${svg}
</figure>
<h2>Metrics</h2>
<table>
${rows}
</table>
</body>
</html>
`;
}

/**
 * Builds the full evaluation report: metrics, four-panel SVG, HTML page, CSV and JSON. See the
 * module comment; throws as {@link evaluationMetrics}.
 * @example
 * const r = evaluationReport({ scores, labels, threshold: 0.5, title: 'GBDT, March test week',
 *   modelName: 'gbdt-7', generatedAt: clock.now() });
 * // the caller writes r.svg, r.html, r.csv and r.json to files
 */
export function evaluationReport(i: EvaluationReportInput): EvaluationReport {
  const metrics = evaluationMetrics(i);
  const iso = new Date(i.generatedAt).toISOString();
  const t = metrics.atThreshold;
  const subtitle = [
    `model ${i.modelName}`,
    ...(i.dataset === undefined ? [] : [`data ${i.dataset}`]),
    `${metrics.rows} rows, ${metrics.positives} positive`,
    `threshold ${formatNumber(t.threshold, 4)}: precision ${formatNumber(t.precision, 3)}, recall ${formatNumber(t.recall, 3)}, F1 ${formatNumber(t.f1, 3)}`,
  ].join(' · ');
  const svg = renderReportSvg({
    title: i.title,
    subtitle,
    histograms: classHistograms(i.scores, i.labels, i.bins ?? 30),
    threshold: i.threshold,
    roc: thinCurve(rocCurve(i.scores, i.labels)),
    rocAuc: metrics.rocAuc,
    pr: thinCurve(prCurve(i.scores, i.labels)),
    averagePrecision: metrics.prAuc,
    positiveRate: metrics.positives / metrics.rows,
    confusion: t,
    ...(i.classNames === undefined ? {} : { classNames: i.classNames }),
  });
  const head: [string, string][] = [
    ['title', i.title],
    ['model', i.modelName],
    ['dataset', i.dataset ?? ''],
    ['generated_at', iso],
  ];
  const csv =
    [
      'metric,value',
      ...head.map(([k, v]) => `${k},${csvField(v)}`),
      ...metricRows(metrics).map(([k, v]) => `${k},${v}`),
    ].join('\n') + '\n';
  const json =
    JSON.stringify(
      {
        title: i.title,
        model: i.modelName,
        ...(i.dataset === undefined ? {} : { dataset: i.dataset }),
        generatedAt: iso,
        metrics,
      },
      null,
      2,
    ) + '\n';
  return { metrics, svg, html: renderHtml(i, metrics, svg, iso), csv, json };
}
