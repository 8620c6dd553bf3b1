import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCsvScanner, csvCell } from './csv-scanner.js';

interface Rec {
  line: number;
  fields: string[];
  problem: string | undefined;
}

function scanAll(text: string, chunk = Number.POSITIVE_INFINITY): Rec[] {
  const s = createCsvScanner();
  const out: Rec[] = [];
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += chunk === Number.POSITIVE_INFINITY ? text.length || 1 : chunk)
    pieces.push(text.slice(i, i + chunk));
  if (pieces.length === 0) pieces.push('');
  pieces.forEach((p, i) => {
    s.push(p, i === pieces.length - 1);
    while (s.next()) out.push({ line: s.line, fields: s.fields(), problem: s.problem() });
  });
  return out;
}

describe('createCsvScanner', () => {
  it('splits plain and quoted fields with their start lines', () => {
    const recs = scanAll(
      'id,ua,n\n1,"Mozilla (KHTML, like Gecko)",3\r\n2,"say ""hi""",\n\n3,"two\nlines",x\n4,a"b,c',
    );
    expect(recs).toEqual([
      { line: 1, fields: ['id', 'ua', 'n'], problem: undefined },
      { line: 2, fields: ['1', 'Mozilla (KHTML, like Gecko)', '3'], problem: undefined },
      { line: 3, fields: ['2', 'say "hi"', ''], problem: undefined },
      { line: 5, fields: ['3', 'two\nlines', 'x'], problem: undefined },
      // a quote inside an unquoted field is a plain character
      { line: 7, fields: ['4', 'a"b', 'c'], problem: undefined },
    ]);
  });

  it('reports an unterminated quote and text after a closing quote', () => {
    const recs = scanAll('a,b\n"x"y,1\n2,"open\n');
    expect(recs[1]).toEqual({
      line: 2,
      fields: ['x', '1'],
      problem: 'unexpected text after a closing quote in field 1',
    });
    expect(recs[2]!.line).toBe(3);
    expect(recs[2]!.problem).toBe('unterminated quoted field');
  });

  it('reads one field without splitting the record', () => {
    const s = createCsvScanner();
    s.push('"a,1",b,"c""d",e\nx,y\n', true);
    expect(s.next()).toBe(true);
    expect(s.field(0)).toBe('a,1');
    expect(s.field(2)).toBe('c"d');
    expect(s.field(3)).toBe('e');
    expect(s.field(4)).toBeUndefined();
    expect(s.next()).toBe(true);
    expect(s.field(1)).toBe('y');
    expect(s.field(2)).toBeUndefined();
    expect(s.next()).toBe(false);
  });

  it('a trailing comma is an empty last field; a last line without newline counts', () => {
    expect(scanAll('a,b,\nc,d,').map((r) => r.fields)).toEqual([
      ['a', 'b', ''],
      ['c', 'd', ''],
    ]);
  });

  it('gives the same records whatever the chunk boundaries (property)', () => {
    const cell = fc.oneof(
      fc.string({ maxLength: 6 }).filter((s) => !/[",\r\n]/.test(s)),
      fc.string({ maxLength: 6 }).map((s) => csvCell(s)),
    );
    const row = fc.array(cell, { minLength: 1, maxLength: 5 }).map((cells) => cells.join(','));
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 9 }),
        (rows, chunk) => {
          const text = rows.join('\n');
          expect(scanAll(text, chunk)).toEqual(scanAll(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same records, fields and problems for any text whatever the chunks (property)', () => {
    const text = fc
      .array(fc.constantFrom('a', 'b', ',', '"', '\n', '\r', '""'), { maxLength: 60 })
      .map((a) => a.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 7 }), (t, chunk) => {
        expect(scanAll(t, chunk)).toEqual(scanAll(t));
      }),
      { numRuns: 3000 },
    );
  });

  it('an unterminated quote outranks text after a closing quote', () => {
    expect(scanAll('""a,"x')[0]).toEqual({
      line: 1,
      fields: ['', 'x'],
      problem: 'unterminated quoted field',
    });
  });

  it('round-trips cells written with csvCell (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 4 }), {
          minLength: 1,
          maxLength: 8,
        }),
        (rows) => {
          const text = rows.map((r) => r.map(csvCell).join(',')).join('\n');
          const recs = scanAll(text, 7).map((r) => r.fields);
          // rows whose cells are all empty are blank lines (skipped) only when a single empty cell
          expect(recs).toEqual(rows);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('CsvScanner.skip', () => {
  /** Records read with next(), or with skip() wherever `skipAt(k)` says, over chunks of `chunk`. */
  function scanSkipping(text: string, chunk: number, skipAt: (k: number) => boolean): (Rec | number)[] {
    const s = createCsvScanner();
    const out: (Rec | number)[] = [];
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += chunk) pieces.push(text.slice(i, i + chunk));
    if (pieces.length === 0) pieces.push('');
    let k = 0;
    pieces.forEach((p, i) => {
      s.push(p, i === pieces.length - 1);
      for (;;) {
        if (skipAt(k)) {
          if (!s.skip()) break;
          out.push(s.line);
        } else {
          if (!s.next()) break;
          out.push({ line: s.line, fields: s.fields(), problem: s.problem() });
        }
        k++;
      }
    });
    return out;
  }

  it('crosses the same records as next(), quoted, multi-line and malformed ones included', () => {
    const text =
      'id,ua,n\n1,"Mozilla (KHTML, like Gecko)",3\r\n2,"say ""hi""",\n\n3,"two\nlines",x\n4,a"b,c\n5,"x"y,z\n6,"open';
    const all = scanAll(text);
    const skipped = scanSkipping(text, text.length, (k) => k % 2 === 1);
    expect(skipped).toEqual(all.map((r, k) => (k % 2 === 1 ? r.line : r)));
    expect(skipped).toHaveLength(7);
  });

  it('agrees with next() on any text, chunking and choice of skipped records', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', ',', '"', '\n', '\r'), { maxLength: 60 }).map((cs) => cs.join('')),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
        (text, chunk, mask) => {
          const all = scanAll(text, chunk);
          const pick = (k: number): boolean => mask[k % mask.length]!;
          expect(scanSkipping(text, chunk, pick)).toEqual(all.map((r, k) => (pick(k) ? r.line : r)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('CsvScanner.pick and offset', () => {
  interface Picked {
    line: number;
    offset: number;
    cells: (string | undefined)[];
  }

  /** Records read with pick(cols) over chunks of `chunk`. */
  function pickAll(text: string, chunk: number, cols: number[]): Picked[] {
    const s = createCsvScanner();
    const out: Picked[] = [];
    const cells: (string | undefined)[] = [];
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += chunk) pieces.push(text.slice(i, i + chunk));
    if (pieces.length === 0) pieces.push('');
    pieces.forEach((p, i) => {
      s.push(p, i === pieces.length - 1);
      while (s.pick(cols, cells))
        out.push({ line: s.line, offset: s.offset, cells: cols.map((_, j) => cells[j]) });
    });
    return out;
  }

  /** The same records read whole with next(), their offset found by skipping the lines before them. */
  function reference(text: string, cols: number[]): Picked[] {
    const lineStarts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    return scanAll(text).map((r) => ({
      line: r.line,
      offset: lineStarts[r.line - 1]!,
      cells: cols.map((k) => r.fields[k]),
    }));
  }

  it('reads the asked fields of quoted, multi-line and malformed records', () => {
    const text =
      'id,ua,n,x\n1,"Mozilla (KHTML, like Gecko)",3,a\r\n\n2,"say ""hi""",,"z\nz"\n3,a"b,c\n4,"x"y,z,w\n5,"open';
    expect(pickAll(text, text.length, [0, 2])).toEqual(reference(text, [0, 2]));
    expect(pickAll(text, 3, [1, 3])).toEqual(reference(text, [1, 3]));
    expect(pickAll(text, 5, [])).toEqual(reference(text, []));
  });

  it('agrees with next() and field() on any text, chunking and choice of fields (property)', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom('a', 'b', ',', '"', '\n', '\r', '""'), { maxLength: 60 })
          .map((a) => a.join('')),
        fc.integer({ min: 1, max: 9 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }).map((c) => c.sort((x, y) => x - y)),
        (text, chunk, cols) => {
          expect(pickAll(text, chunk, cols)).toEqual(reference(text, cols));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('gives offsets that locate records in all the text pushed, with skip() too', () => {
    const text = 'h,x\n\na,1\n"b\nb",2\r\nc,3';
    const s = createCsvScanner();
    s.push(text.slice(0, 7), false);
    s.push(text.slice(7), true);
    const seen: [number, string][] = [];
    for (let k = 0; k < 4; k++) {
      if (k === 2 ? !s.skip() : !s.next()) break;
      seen.push([s.offset, text.slice(s.offset, s.offset + 2)]);
    }
    expect(seen).toEqual([
      [0, 'h,'],
      [5, 'a,'],
      [9, '"b'],
      [18, 'c,'],
    ]);
  });
});
