import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { parseNdjson } from './ndjson.js';

describe('parseCsv', () => {
  it('reads a header and rows into string columns', () => {
    const { table, errors } = parseCsv('id,amount,country\n1,12.5,FR\n2,7,DE\n');
    expect(errors).toEqual([]);
    expect(table.columns).toEqual(['id', 'amount', 'country']);
    expect(table.rows).toBe(2);
    expect(table.data[1]).toEqual(['12.5', '7']);
  });

  it('handles quoted fields with delimiters, escaped quotes and newlines', () => {
    const { table, errors } = parseCsv('a,b\n"x, y","say ""hi"""\n"multi\nline",z\n');
    expect(errors).toEqual([]);
    expect(table.data[0]).toEqual(['x, y', 'multi\nline']);
    expect(table.data[1]).toEqual(['say "hi"', 'z']);
  });

  it('accepts CRLF line ends, a BOM, a missing final newline and empty lines', () => {
    const { table, errors } = parseCsv('\uFEFFa,b\r\n1,2\r\n\r\n3,4');
    expect(errors).toEqual([]);
    expect(table.columns).toEqual(['a', 'b']);
    expect(table.data[0]).toEqual(['1', '3']);
    expect(table.data[1]).toEqual(['2', '4']);
  });

  it('keeps empty fields, including a trailing one', () => {
    const { table } = parseCsv('a,b,c\n1,,\n,2,3');
    expect(table.data).toEqual([
      ['1', ''],
      ['', '2'],
      ['', '3'],
    ]);
  });

  it('reads UTF-8 bytes', () => {
    const { table } = parseCsv(new TextEncoder().encode('name\nJosé\n'));
    expect(table.data[0]).toEqual(['José']);
  });

  it('reports rows with the wrong number of fields by line and skips them without throwing', () => {
    const { table, errors, errorCount } = parseCsv('a,b\n1,2\n3\n4,5,6\n7,8\n');
    expect(table.rows).toBe(2);
    expect(table.data[0]).toEqual(['1', '7']);
    expect(errorCount).toBe(2);
    expect(errors).toEqual([
      { line: 3, message: 'expected 2 fields, found 1' },
      { line: 4, message: 'expected 2 fields, found 3' },
    ]);
  });

  it('counts lines inside quoted fields when reporting later rows', () => {
    const { errors } = parseCsv('a,b\n"x\ny",1\nbad\n');
    expect(errors).toEqual([{ line: 4, message: 'expected 2 fields, found 1' }]);
  });

  it('reports text after a closing quote and an unterminated quote', () => {
    const r1 = parseCsv('a,b\n"x"y,1\n2,3\n');
    expect(r1.errors[0]).toEqual({ line: 2, message: 'unexpected text after a closing quote in field 1' });
    expect(r1.table.rows).toBe(1);
    const r2 = parseCsv('a,b\n1,2\n"open,3\n4,5\n');
    expect(r2.table.rows).toBe(1);
    expect(r2.errors).toEqual([{ line: 3, message: 'unterminated quoted field' }]);
  });

  it('renames duplicate and empty header names and reports them', () => {
    const { table, errors } = parseCsv('a,a,\n1,2,3\n');
    expect(table.columns).toEqual(['a', 'a_2', 'column_3']);
    expect(errors.map((e) => e.line)).toEqual([1, 1]);
  });

  it('supports another delimiter and no header', () => {
    const { table } = parseCsv('1;2\n3;4\n', { delimiter: ';', header: false });
    expect(table.columns).toEqual(['column_1', 'column_2']);
    expect(table.rows).toBe(2);
    expect(() => parseCsv('a', { delimiter: '"' })).toThrow(/delimiter/);
  });

  it('caps the kept errors but counts them all', () => {
    const text = 'a,b\n' + '1\n'.repeat(10);
    const { errors, errorCount } = parseCsv(text, { maxErrors: 3 });
    expect(errors).toHaveLength(3);
    expect(errorCount).toBe(10);
  });

  it('gives an empty table for empty input', () => {
    const { table, errors } = parseCsv('');
    expect(table.rows).toBe(0);
    expect(table.columns).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('parseNdjson', () => {
  it('reads objects, flattens nested ones and reports bad lines by number', () => {
    const { table, errors, errorCount } = parseNdjson(
      '{"id":1,"geo":{"lat":1.5},"tags":["a"]}\r\n\nnot json\n[1,2]\n{"id":2,"x":null}\n',
    );
    expect(table.columns).toEqual(['id', 'geo.lat', 'tags', 'x']);
    expect(table.rows).toBe(2);
    expect(table.data[0]).toEqual([1, 2]);
    expect(table.data[1]).toEqual([1.5, null]);
    expect(table.data[2]).toEqual(['["a"]', null]);
    expect(errorCount).toBe(2);
    expect(errors[0]!.line).toBe(3);
    expect(errors[0]!.message).toMatch(/not valid JSON/);
    expect(errors[1]).toEqual({ line: 4, message: 'not a JSON object' });
  });
});
