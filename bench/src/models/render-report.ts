/**
 * Renders an evaluation report of a synthetic scored test set to SVG, HTML, CSV, JSON and (with
 * @resvg/resvg-js) PNG, to look at the figure: `npx tsx bench/src/models/render-report.ts [outDir]`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { createSeededRandom, evaluationReport } from '@vigil/engine';

const out = process.argv[2] ?? 'data/report-demo';
mkdirSync(out, { recursive: true });
const rnd = createSeededRandom(7);
const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
const scores: number[] = [];
const labels: number[] = [];
for (let i = 0; i < 5000; i++) {
  const y = rnd.next() < 0.04 ? 1 : 0;
  const z = (y === 1 ? 1.6 : -1.2) + gauss();
  scores.push(1 / (1 + Math.exp(-z)));
  labels.push(y);
}
const r = evaluationReport({
  scores,
  labels,
  threshold: 0.5,
  title: 'Demo: GBDT on a synthetic test week',
  modelName: 'gbdt-demo',
  dataset: 'synthetic (5,000 rows, 4% fraud)',
  generatedAt: Date.now(),
  k: [50, 100],
});
writeFileSync(join(out, 'report.svg'), r.svg);
writeFileSync(join(out, 'report.html'), r.html);
writeFileSync(join(out, 'report.csv'), r.csv);
writeFileSync(join(out, 'report.json'), r.json);
const png = new Resvg(r.svg, { fitTo: { mode: 'width', value: 1000 } }).render().asPng();
writeFileSync(join(out, 'report.png'), png);
console.log(
  JSON.stringify({
    out,
    svgBytes: r.svg.length,
    pngBytes: png.length,
    rocAuc: r.metrics.rocAuc,
    prAuc: r.metrics.prAuc,
  }),
);
