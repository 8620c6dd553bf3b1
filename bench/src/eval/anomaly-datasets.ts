/**
 * Finds the anomaly datasets under a folder: every sub-folder holding a CSV with the header
 * `x0,…,xN,label` (the `*_odds.csv` variants are skipped). When a folder holds several, the one
 * named after the folder (`<folder>.csv`, then `<folder>_10k.csv`) is used, else the first by name.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelledData } from './adbench-protocol.js';
import { isAnomalyHeader, parseNumericCsv } from './numeric-csv.js';

/** One dataset file found under the data folder. */
export interface AnomalyDatasetFile {
  /** The sub-folder's name (the key of the published results). */
  readonly name: string;
  readonly path: string;
}

function headerOf(path: string): string[] {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, n);
    const end = text.indexOf('\n');
    return (end < 0 ? text : text.slice(0, end)).replace(/\r$/, '').split(',');
  } finally {
    closeSync(fd);
  }
}

/**
 * Lists the dataset CSVs under `dir`, sorted by folder name.
 * @example findAnomalyDatasets('/work/shared/datasets').map((d) => d.name); // ['aloi', 'annthyroid', …]
 */
export function findAnomalyDatasets(dir: string): AnomalyDatasetFile[] {
  if (!existsSync(dir)) throw new Error(`data folder ${dir} does not exist`);
  const out: AnomalyDatasetFile[] = [];
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const name of folders) {
    const folder = join(dir, name);
    const csvs = readdirSync(folder)
      .filter((f) => f.endsWith('.csv') && !f.endsWith('_odds.csv'))
      .sort()
      .filter((f) => isAnomalyHeader(headerOf(join(folder, f))));
    const main =
      csvs.find((f) => f === `${name}.csv`) ?? csvs.find((f) => f === `${name}_10k.csv`) ?? csvs[0];
    if (main !== undefined) out.push({ name, path: join(folder, main) });
  }
  return out;
}

/**
 * Reads a dataset CSV into features and 0/1 labels; throws on anything else in `label`.
 * @example const data = readAnomalyDataset('/work/shared/datasets/cardio/cardio.csv');
 */
export function readAnomalyDataset(path: string): LabelledData {
  const csv = parseNumericCsv(readFileSync(path, 'utf8'), path);
  if (!isAnomalyHeader(csv.header)) throw new Error(`${path}: header is not x0..xN,label`);
  const cols = csv.cols - 1;
  const data = new Float64Array(csv.rows * cols);
  const labels = new Float64Array(csv.rows);
  for (let r = 0; r < csv.rows; r++) {
    data.set(csv.data.subarray(r * csv.cols, r * csv.cols + cols), r * cols);
    const l = csv.data[r * csv.cols + cols]!;
    if (l !== 0 && l !== 1) throw new Error(`${path}: row ${r + 1} has label ${l}, expected 0 or 1`);
    labels[r] = l;
  }
  return { x: { data, rows: csv.rows, cols }, labels };
}
