/**
 * Reads the published anomaly-detection figures shipped with the datasets
 * (`anomaly-published-results/published_results.csv`: dataset, source, metric, algorithm, value)
 * and the team's scikit-learn reproduction (`iforest_sklearn_reproduction.csv`). Values are
 * percent; an empty value means "not reported".
 */

/** Published figures of one dataset (percent; undefined when not reported). */
export interface PublishedFigures {
  /** ADBench Table D4, IForest AUCROC. */
  readonly iforestRoc?: number;
  /** ADBench Table D5, IForest AUCPR. */
  readonly iforestPr?: number;
  /** ADBench Table D4, ECOD AUCROC. */
  readonly ecodRoc?: number;
  /** Unpublished scikit-learn IsolationForest reproduction under the same protocol. */
  readonly sklearnRoc?: number;
}

function rowsOf(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim().length > 0)
    .map((l) => l.split(',').map((f) => f.trim()));
}

function column(header: readonly string[], name: string, file: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw new Error(`${file}: no column ${name}`);
  return i;
}

/**
 * Published figures by dataset folder name, from `published_results.csv` and, if given, the
 * text of `iforest_sklearn_reproduction.csv`.
 * @example parsePublishedResults(csvText).get('cardio')?.iforestRoc; // 93.19
 */
export function parsePublishedResults(published: string, sklearn?: string): Map<string, PublishedFigures> {
  const out = new Map<string, PublishedFigures>();
  const set = (dataset: string, key: keyof PublishedFigures, raw: string | undefined): void => {
    if (raw === undefined || raw === '') return;
    const v = Number(raw);
    if (!Number.isFinite(v)) throw new Error(`published results: ${dataset} ${key} is not a number: ${raw}`);
    out.set(dataset, { ...out.get(dataset), [key]: v });
  };
  const [header, ...rows] = rowsOf(published);
  if (header === undefined) return out;
  const file = 'published_results.csv';
  const [iD, iS, iM, iA, iV] = ['dataset', 'source', 'metric', 'algorithm', 'value'].map((n) =>
    column(header, n, file),
  );
  for (const r of rows) {
    const [dataset, source, metric, algorithm, value] = [iD, iS, iM, iA, iV].map((i) => r[i!] ?? '');
    if (dataset === undefined || dataset === '') continue;
    if (source === 'ADBench2022_TableD4' && metric === 'AUCROC_percent') {
      if (algorithm === 'IForest') set(dataset, 'iforestRoc', value);
      if (algorithm === 'ECOD') set(dataset, 'ecodRoc', value);
    }
    if (source === 'ADBench2022_TableD5' && metric === 'AUCPR_percent' && algorithm === 'IForest') {
      set(dataset, 'iforestPr', value);
    }
  }
  if (sklearn !== undefined) {
    const [h, ...rs] = rowsOf(sklearn);
    if (h !== undefined) {
      const iDs = column(h, 'dataset', 'iforest_sklearn_reproduction.csv');
      const iR = column(h, 'ours_roc', 'iforest_sklearn_reproduction.csv');
      for (const r of rs) if (r[iDs] !== undefined) set(r[iDs], 'sklearnRoc', r[iR]);
    }
  }
  return out;
}
