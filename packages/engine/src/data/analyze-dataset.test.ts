import { describe, expect, it } from 'vitest';
import { analyzeColumn, analyzeDataset, detectLabelColumn, formatDatasetReport } from './analyze-dataset.js';
import { binaryLabels, parseDateTime } from './column-types.js';
import { parseCsv } from './csv.js';
import { isDataError } from './data-error.js';
import { createTable } from './data-table.js';

function transactions(n: number, fraudEvery = 50): string {
  const lines = ['TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TX_AMOUNT,channel,note,TX_FRAUD,TX_FRAUD_SCENARIO'];
  for (let i = 0; i < n; i++) {
    const fraud = i % fraudEvery === 0 ? 1 : 0;
    const minute = String(i % 60).padStart(2, '0');
    lines.push(
      `${i},2018-04-01 10:${minute}:00,${i % 37},${(i % 90) + 0.5},${['web', 'pos', 'atm'][i % 3]},,${fraud},${fraud ? 2 : 0}`,
    );
  }
  return lines.join('\n');
}

describe('analyzeDataset', () => {
  const report = analyzeDataset(parseCsv(transactions(500)).table);
  const type = (name: string) => report.columns.find((c) => c.name === name)?.type;

  it('detects column types', () => {
    expect(type('TRANSACTION_ID')).toBe('id');
    expect(type('CUSTOMER_ID')).toBe('id');
    expect(type('TX_DATETIME')).toBe('datetime');
    expect(type('TX_AMOUNT')).toBe('numeric');
    expect(type('channel')).toBe('categorical');
    expect(type('note')).toBe('empty');
    expect(report.featureColumns).toEqual(['TX_AMOUNT', 'channel', 'TX_FRAUD_SCENARIO']);
    expect(report.timeColumns).toEqual(['TX_DATETIME']);
  });

  it('detects the label column and the class balance', () => {
    expect(report.label).toEqual({
      column: 'TX_FRAUD',
      positive: '1',
      negative: '0',
      positives: 10,
      negatives: 490,
      positiveRate: 0.02,
    });
  });

  it('warns about all-missing columns, identifiers, time columns and a label leak', () => {
    const w = report.warnings.join('\n');
    expect(w).toMatch(/"note" is entirely missing/);
    expect(w).toMatch(/"CUSTOMER_ID" looks like an identifier/);
    expect(w).toMatch(/split train\/test by time/);
    expect(w).toMatch(/"TX_FRAUD_SCENARIO" determines the label exactly/);
    expect(w).toMatch(/only 10 positive rows/);
  });

  it('warns about rare positives', () => {
    const r = analyzeDataset(parseCsv(transactions(1000, 200)).table);
    expect(r.warnings.join('\n')).toMatch(/0\.50% of rows: use class weighting/);
  });

  it('recognises other label names and string classes', () => {
    const t = createTable(
      ['amount', 'is_fraud'],
      [
        [1, 2, 3, 4],
        ['no', 'yes', 'no', 'no'],
      ],
    );
    const r = analyzeDataset(t);
    expect(r.label?.column).toBe('is_fraud');
    expect(r.label?.positive).toBe('yes');
    expect(detectLabelColumn(createTable(['Class', 'v'], [[0, 1], [1, 2]]))).toBe('Class');
    expect(detectLabelColumn(createTable(['v'], [[0, 1]]))).toBeUndefined();
  });

  it('reports a missing label and a single-class label as warnings', () => {
    const none = analyzeDataset(createTable(['a'], [[1, 2]]));
    expect(none.label).toBeUndefined();
    expect(none.warnings.join('\n')).toMatch(/no label column found/);
    const single = analyzeDataset(createTable(['a', 'label'], [[1, 2], [0, 0]]));
    expect(single.label).toBeUndefined();
    expect(single.warnings.join('\n')).toMatch(/single class/);
  });

  it('flags non-numeric garbage in a numeric column with examples', () => {
    const col = Array.from({ length: 40 }, (_, i) => String(i));
    col[7] = 'abc';
    const r = analyzeColumn('amount', col);
    expect(r.type).toBe('numeric');
    expect(r.invalid).toBe(1);
    expect(r.invalidExamples).toEqual([{ row: 8, value: 'abc' }]);
  });

  it('counts missing values of every kind', () => {
    const r = analyzeColumn('x', ['1', '', 'NA', null, 'nan', '2']);
    expect(r.missing).toBe(4);
    expect(r.missingRate).toBeCloseTo(4 / 6);
    expect(r.type).toBe('numeric');
    expect(analyzeColumn('flag', ['true', 'false', 'TRUE']).type).toBe('boolean');
  });

  it('formats a report', () => {
    const text = formatDatasetReport(report);
    expect(text).toMatch(/^500 rows, 8 columns/);
    expect(text).toMatch(/label TX_FRAUD: 10 positive/);
    expect(text).toMatch(/warning: column "note"/);
  });
});

describe('column typing helpers', () => {
  it('parses date-times as UTC with optional offsets', () => {
    expect(parseDateTime('2018-04-01 00:00:31')).toBe(Date.UTC(2018, 3, 1, 0, 0, 31));
    expect(parseDateTime('2018-04-01T02:00:00+02:00')).toBe(Date.UTC(2018, 3, 1));
    expect(parseDateTime('2018-13-01')).toBeNaN();
    expect(parseDateTime('yesterday')).toBeNaN();
  });

  it('converts labels and rejects unusable ones with coded errors', () => {
    expect(Array.from(binaryLabels(['0', '1', 1, 0], 'y').y)).toEqual([0, 1, 1, 0]);
    expect(Array.from(binaryLabels([true, false], 'y').y)).toEqual([1, 0]);
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isDataError(e) ? e.code : 'other';
      }
      return 'none';
    };
    expect(codeOf(() => binaryLabels(['1', '1'], 'y'))).toBe('single_class');
    expect(codeOf(() => binaryLabels(['1', '', '0'], 'y'))).toBe('bad_label');
    expect(codeOf(() => binaryLabels(['a', 'b', 'c'], 'y'))).toBe('bad_label');
    expect(codeOf(() => binaryLabels(['cat', 'dog'], 'y'))).toBe('bad_label');
  });
});
