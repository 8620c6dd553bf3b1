import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { DataError, isDataError, type DataErrorCode } from './data-error.js';
import { createTable } from './data-table.js';
import { fitPreprocessor, loadPreprocessor, OTHER_CATEGORY } from './preprocessor.js';

const csv = [
  'id,amount,country,vip,seen,is_fraud',
  '1,10,FR,true,2018-04-01,0',
  '2,,DE,false,2018-04-02,0',
  '3,30,FR,true,2018-04-03,1',
  '4,40,US,,2018-04-04,0',
  '5,50,FR,false,2018-04-05,1',
].join('\n');
const table = parseCsv(csv).table;

function codeOf(f: () => unknown): DataErrorCode | 'none' | 'other' {
  try {
    f();
  } catch (e) {
    return isDataError(e) ? e.code : 'other';
  }
  return 'none';
}

describe('fitPreprocessor', () => {
  it('imputes medians, scales, one-hot encodes top-K categories and drops ids and dates', () => {
    const pre = fitPreprocessor(table, { label: 'is_fraud', topK: 2 });
    expect(pre.inputColumns).toEqual(['amount', 'country', 'vip']);
    expect(pre.featureNames).toEqual(['amount', 'country=FR', 'country=DE', `country=${OTHER_CATEGORY}`, 'vip']);
    const m = pre.transform(table);
    expect(m.rows).toBe(5);
    expect(m.cols).toBe(5);
    // amount: median of 10, 30, 40, 50 is 35; imputed column 10, 35, 30, 40, 50 has mean 33, std sqrt(176).
    const std = Math.sqrt(176);
    expect(m.data[0]).toBeCloseTo((10 - 33) / std, 12);
    expect(m.data[5]).toBeCloseTo((35 - 33) / std, 12);
    expect(Array.from(m.data.subarray(5, 10))).toEqual([expect.closeTo((35 - 33) / std, 12), 0, 1, 0, 0]);
    expect(Array.from(m.data.subarray(15, 20))).toEqual([expect.closeTo(7 / std, 12), 0, 0, 1, 0.5]);
    expect(Array.from(pre.labels(table).y)).toEqual([0, 0, 1, 0, 1]);
  });

  it('supports min-max scaling, ordinal encoding and keeping NaN for tree models', () => {
    const pre = fitPreprocessor(table, { label: 'is_fraud', scaling: 'minmax', categorical: 'ordinal', impute: false });
    const m = pre.transform(table);
    expect(pre.featureNames).toEqual(['amount', 'country', 'vip']);
    expect(m.data[0]).toBe(0);
    expect(m.data[3]).toBeNaN();
    expect(m.data[12]).toBe(1);
    expect(m.data[4]).toBe(1); // DE is the second most frequent country
    expect(m.data[11]).toBeNaN(); // vip missing
  });

  it('detects the label in supervised mode and drops named columns', () => {
    const pre = fitPreprocessor(table, { drop: ['country'] });
    expect(pre.label).toBe('is_fraud');
    expect(pre.inputColumns).toEqual(['amount', 'vip']);
  });

  it('applies exactly the same steps after a JSON round trip', () => {
    const pre = fitPreprocessor(table, { label: 'is_fraud' });
    const copy = loadPreprocessor(JSON.parse(JSON.stringify(pre.toJSON())));
    expect(Array.from(copy.transform(table).data)).toEqual(Array.from(pre.transform(table).data));
    const rec = { amount: '25', country: 'JP', vip: 'true' };
    expect(Array.from(copy.transformRecord(rec))).toEqual(Array.from(pre.transformRecord(rec)));
    // An unseen category goes to "other".
    expect(copy.transformRecord(rec)[copy.featureNames.indexOf(`country=${OTHER_CATEGORY}`)]).toBe(1);
  });

  it('names missing columns at prediction time', () => {
    const pre = fitPreprocessor(table, { label: 'is_fraud' });
    const renamed = createTable(['id', 'amt', 'country', 'vip'], [[1], [10], ['FR'], ['true']]);
    try {
      pre.transform(renamed);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      const err = e as DataError;
      expect(err.code).toBe('column_mismatch');
      expect(err.columns).toEqual(['amount']);
      expect(err.message).toMatch(/lacks column\(s\) the model was trained on: amount; it has column\(s\) the model does not know: id, amt/);
    }
    expect(codeOf(() => pre.transformRecord({ amount: 1, vip: true }))).toBe('column_mismatch');
  });

  it('rejects every bad training input with a coded error naming the problem', () => {
    const noLabel = createTable(['a', 'b'], [[1, 2], [3, 4]]);
    expect(codeOf(() => fitPreprocessor(noLabel))).toBe('no_label');
    expect(codeOf(() => fitPreprocessor(table, { label: 'nope' }))).toBe('no_label');
    expect(codeOf(() => fitPreprocessor(noLabel, { supervised: false }))).toBe('none');

    const single = createTable(['a', 'is_fraud'], [[1, 2], [0, 0]]);
    expect(codeOf(() => fitPreprocessor(single))).toBe('single_class');

    const empty = createTable(['a', 'blank', 'is_fraud'], [[1, 2], ['', 'NA'], [0, 1]]);
    expect(() => fitPreprocessor(empty)).toThrow(/column "blank" has no values/);
    expect(codeOf(() => fitPreprocessor(empty))).toBe('all_missing');
    expect(codeOf(() => fitPreprocessor(empty, { drop: ['blank'] }))).toBe('none');

    const amounts = Array.from({ length: 30 }, (_, i) => String(i));
    amounts[12] = '12,5€';
    const garbage = createTable(['amount', 'is_fraud'], [amounts, amounts.map((_, i) => i % 2)]);
    expect(() => fitPreprocessor(garbage)).toThrow(/column "amount" is numeric but row 13 holds "12,5€"/);
    expect(codeOf(() => fitPreprocessor(garbage))).toBe('non_numeric');

    expect(codeOf(() => fitPreprocessor(createTable(['is_fraud'], [[0, 1]])))).toBe('no_features');
    expect(codeOf(() => fitPreprocessor(createTable([], [])))).toBe('empty_table');
  });

  it('rejects garbage in a numeric column at prediction time', () => {
    const pre = fitPreprocessor(table, { label: 'is_fraud' });
    const bad = createTable(['amount', 'country', 'vip'], [['12', 'lots'], ['FR', 'FR'], ['true', 'true']]);
    expect(() => pre.transform(bad)).toThrow(/column "amount" is numeric but row 2 holds "lots"/);
  });

  it('rejects corrupt packages', () => {
    const good = fitPreprocessor(table, { label: 'is_fraud' }).toJSON();
    const json = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
    expect(codeOf(() => loadPreprocessor(null))).toBe('corrupt_package');
    expect(codeOf(() => loadPreprocessor({ ...json, version: 99 }))).toBe('corrupt_package');
    expect(codeOf(() => loadPreprocessor({ ...json, featureNames: ['x'] }))).toBe('corrupt_package');
    const steps = JSON.parse(JSON.stringify(json['steps'])) as Record<string, unknown>[];
    steps[0]!['scale'] = 0;
    expect(() => loadPreprocessor({ ...json, steps })).toThrow(/scale is not a positive number/);
    steps[0]!['kind'] = 'magic';
    expect(() => loadPreprocessor({ ...json, steps })).toThrow(/unknown kind "magic"/);
  });
});
