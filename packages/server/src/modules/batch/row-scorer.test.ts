import fc from 'fast-check';
import { createEngine, simulate } from '@vigil/engine';
import { describe, expect, it } from 'vitest';
import { mapColumns } from './batch-columns.js';
import { createCsvScanner, csvCell } from './csv-scanner.js';
import { createRowScorer, ResultBytes } from './row-scorer.js';
import { SIM_CSV_COLUMNS, simCsv } from './sim-csv.fixture.js';

const decode = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('ResultBytes', () => {
  it('writes text as UTF-8, cells as csvCell does and integers as their digits (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ unit: 'grapheme', maxLength: 12 }),
            fc.string({ maxLength: 8 }),
            fc.nat({ max: Number.MAX_SAFE_INTEGER }),
          ),
          { maxLength: 20 },
        ),
        (items) => {
          const out = new ResultBytes(4); // tiny: every item grows it
          let want = '';
          for (const x of items) {
            if (typeof x === 'number') {
              out.ensure(20);
              out.int(x);
              want += String(x);
            } else {
              out.ensure(6 * x.length + 2);
              out.cell(x);
              want += csvCell(x);
            }
          }
          expect(decode(out.take())).toBe(want);
          expect(out.pos).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('hands over its bytes and starts a new buffer', () => {
    const out = new ResultBytes(16);
    out.ensure(5);
    out.text('a,é€');
    const first = out.take();
    out.ensure(1);
    out.byte(120);
    expect(decode(first)).toBe('a,é€');
    expect(decode(out.take())).toBe('x');
  });
});

describe('createRowScorer with bytes', () => {
  it('writes exactly the CSV rows it returns as text, good and rejected rows alike', () => {
    const lines = simCsv(simulate({ seed: 3, users: 80, attackRate: 0.05 }, 600))
      .trimEnd()
      .split('\n');
    const mapping = mapColumns([...SIM_CSV_COLUMNS]);
    const ipAt = SIM_CSV_COLUMNS.indexOf('ip');
    // rejected rows whose message needs quotes, and a cell that is not ASCII
    lines[5] = lines[5]!
      .split(',')
      .map((c, i) => (i === ipAt ? '"1,2"' : c))
      .join(',');
    lines[6] = lines[6]!.replace(/^[^,]*/, 'ü"id');
    const opts = { format: 'csv', app: 'batch', defaultAt: 0, withLabel: true } as const;
    const text = createRowScorer({ ...opts, engine: createEngine() });
    const out = new ResultBytes(1024);
    const bytes = createRowScorer({ ...opts, engine: createEngine(), bytes: out });
    const s = createCsvScanner();
    s.push(lines.slice(1).join('\n'), true);
    while (s.next()) {
      const fields = s.problem() ?? s.fields();
      const want = text.csv(fields, s.line, mapping);
      expect(bytes.csv(fields, s.line, mapping)).toBe('');
      expect(decode(out.take())).toBe(want);
    }
    expect(bytes.totals).toEqual(text.totals);
    expect(text.totals.errorCount).toBeGreaterThan(0);
  });
});
