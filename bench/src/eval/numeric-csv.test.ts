import { describe, expect, it } from 'vitest';
import { isAnomalyHeader, parseNumericCsv } from './numeric-csv.js';

describe('parseNumericCsv', () => {
  it('reads numbers row-major, with CRLF and without a final newline', () => {
    const csv = parseNumericCsv('x0,x1,label\r\n1.5,-2e3,0\r\n0.25,4,1');
    expect(csv.header).toEqual(['x0', 'x1', 'label']);
    expect(csv.rows).toBe(2);
    expect(Array.from(csv.data)).toEqual([1.5, -2000, 0, 0.25, 4, 1]);
  });

  it('rejects empty and non-numeric fields and ragged lines, naming them', () => {
    expect(() => parseNumericCsv('x0,label\n1,\n', 'f.csv')).toThrow(
      "f.csv: line 2, column label is not a number: ''",
    );
    expect(() => parseNumericCsv('x0,label\n1,0\nabc,1\n')).toThrow(
      /line 3, column x0 is not a number: 'abc'/,
    );
    expect(() => parseNumericCsv('x0,label\n1\n')).toThrow(/line 2 has 1 fields, expected 2/);
    expect(() => parseNumericCsv('x0,label\n1,2,3\n')).toThrow(/more than 2 fields/);
    expect(() => parseNumericCsv('')).toThrow(/empty file/);
  });

  it('recognises the anomaly layout', () => {
    expect(isAnomalyHeader(['x0', 'x1', 'label'])).toBe(true);
    expect(isAnomalyHeader(['x1', 'x0', 'label'])).toBe(false);
    expect(isAnomalyHeader(['x0', 'y'])).toBe(false);
  });
});
