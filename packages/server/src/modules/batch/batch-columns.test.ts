import fc from 'fast-check';
import { canonicalIp, simulate, validateEvent } from '@vigil/engine';
import { describe, expect, it } from 'vitest';
import { attrValue, mapColumns, parseLabel, rowToEvent } from './batch-columns.js';
import { createCsvScanner } from './csv-scanner.js';
import { SIM_CSV_COLUMNS, simCsvRow } from './sim-csv.fixture.js';

const opts = { app: 'shop', defaultAt: Date.UTC(2026, 0, 1), line: 7 };

describe('mapColumns', () => {
  it('maps field names, aliases, attrs.<key> and a label; ignores the rest with a warning', () => {
    const m = mapColumns([
      'transaction_id',
      'user_id',
      'Timestamp',
      'user_agent',
      'attrs.card',
      'is_fraud',
      'category',
    ]);
    expect(m.columns.map((c) => [c.name, c.field, c.attr])).toEqual([
      ['transaction_id', 'id', undefined],
      ['user_id', 'user', undefined],
      ['Timestamp', 'at', undefined],
      ['user_agent', 'userAgent', undefined],
      ['attrs.card', 'attr', 'card'],
      ['is_fraud', 'label', undefined],
    ]);
    expect(m.userIndex).toBe(1);
    expect(m.labelIndex).toBe(5);
    expect(m.errors).toEqual([]);
    expect(m.warnings).toEqual([
      "column 'category' is not an event field: ignored (name it attrs.category to keep it)",
    ]);
  });

  it('rejects a field filled by two columns and mixing attrs with attrs.<key>', () => {
    expect(mapColumns(['user', 'user_id']).errors).toEqual(["columns 'user' and 'user_id' both fill user"]);
    expect(mapColumns(['attrs', 'attrs.x']).errors).toEqual([
      "use either an 'attrs' JSON column or attrs.<key> columns, not both",
    ]);
  });
});

describe('rowToEvent', () => {
  const m = mapColumns([
    'id',
    'type',
    'at',
    'user',
    'amount',
    'ip',
    'lat',
    'lon',
    'country',
    'attrs.won',
    'attrs.n',
    'attrs.code',
    'label',
  ]);

  it('builds a normalised event (canonical IP, upper-case country, typed attrs, label kept apart)', () => {
    const r = rowToEvent(
      [
        'e1',
        'payment',
        '2026-01-05T10:00:00Z',
        'u1',
        '12.50',
        '::FFFF:1.2.3.4',
        '48.85',
        '2.35',
        'fr',
        'true',
        '42',
        '007',
        '1',
      ],
      m,
      opts,
    );
    expect(r).toEqual({
      ok: true,
      label: 1,
      event: {
        id: 'e1',
        app: 'shop',
        type: 'payment',
        at: Date.UTC(2026, 0, 5, 10),
        user: 'u1',
        amount: 12.5,
        ip: canonicalIp('::FFFF:1.2.3.4'),
        geo: { lat: 48.85, lon: 2.35, country: 'FR' },
        attrs: { won: true, n: 42, code: '007' },
      },
    });
  });

  it('fills a missing id from the line, a missing at from the default; epoch seconds become ms', () => {
    const r = rowToEvent(['', 'login', '', 'u1', '', '', '', '', '', '', '', '', ''], m, opts);
    expect(r.ok && r.event).toMatchObject({ id: 'line-7', at: opts.defaultAt });
    const s = rowToEvent(['e', 'login', '1767571232', '', '', '', '', '', '', '', '', '', ''], m, opts);
    expect(s.ok && s.event.at).toBe(1_767_571_232_000);
    const ms = rowToEvent(['e', 'login', '1767571232597', '', '', '', '', '', '', '', '', '', ''], m, opts);
    expect(ms.ok && ms.event.at).toBe(1_767_571_232_597);
  });

  it('lists every problem of a bad row in one message', () => {
    const r = rowToEvent(
      ['e', 'bogus', 'yesterday', 'u', '-3', '1.2.3', '95', '', 'FRA', '', '', '', 'maybe'],
      m,
      opts,
    );
    expect(r).toEqual({
      ok: false,
      label: undefined,
      message:
        "type: unknown event type 'bogus' (use a built-in type or custom:<name>); at: must be an ISO 8601 date-time or epoch milliseconds; amount: must be between 0 and 1e15; ip: '1.2.3' is not an IPv4 or IPv6 address; geo.lat: must be a number from -90 to 90; geo.country: must be a 2-letter country code",
    });
  });

  it('rejects a row without a type unless a default is given', () => {
    const mm = mapColumns(['id', 'user']);
    expect(rowToEvent(['e', 'u'], mm, opts)).toEqual({
      ok: false,
      message: 'type: required',
      label: undefined,
    });
    const r = rowToEvent(['e', 'u'], mm, { ...opts, defaultType: 'payment' });
    expect(r.ok && r.event.type).toBe('payment');
  });

  it('agrees with validateEvent on 5,000 simulated events written as CSV', () => {
    const sims = simulate({ seed: 3, users: 300 }, 5000);
    const mapping = mapColumns([...SIM_CSV_COLUMNS]);
    const s = createCsvScanner();
    s.push(`${SIM_CSV_COLUMNS.join(',')}\n${sims.map(simCsvRow).join('\n')}\n`, true);
    s.next(); // header
    let i = 0;
    while (s.next()) {
      const sim = sims[i++]!;
      const r = rowToEvent(s.fields(), mapping, { app: 'sim', defaultAt: 0, line: s.line });
      const v = validateEvent(sim.event, { now: sim.event.at });
      expect(v.ok).toBe(true);
      expect(r).toEqual({ ok: true, event: v.ok ? v.value : undefined, label: sim.label.malicious ? 1 : 0 });
    }
    expect(i).toBe(5000);
  });

  it('accepts and normalises exactly what validateEvent does for string fields (property)', () => {
    const cols = [
      'id',
      'type',
      'user',
      'tier',
      'currency',
      'ip',
      'device',
      'email',
      'wallet',
      'session',
    ] as const;
    const mapping = mapColumns([...cols]);
    const value = fc.oneof(
      fc.constant(''),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 140 }),
      fc.constantFrom(
        'login',
        'payment',
        'custom:quest_done',
        'Custom:x',
        'gold',
        'vip',
        '10.0.0.1',
        '::1',
        'a@b.co',
        ' A@B.CO ',
        'usd',
      ),
      fc.string({ minLength: 126, maxLength: 260 }),
    );
    fc.assert(
      fc.property(fc.array(value, { minLength: cols.length, maxLength: cols.length }), (cells) => {
        const input: Record<string, string> = {};
        cols.forEach((c, i) => {
          if (cells[i] !== '') input[c] = cells[i]!;
        });
        if (input['id'] === undefined) input['id'] = 'line-7';
        const v = validateEvent(input, { now: opts.defaultAt, app: 'shop' });
        const r = rowToEvent(cells, mapping, opts);
        expect(r.ok).toBe(v.ok);
        if (r.ok && v.ok) expect(r.event).toEqual(v.value);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads IP cells as canonicalIp does, dotted-quad shortcut included (property)', () => {
    const mapping = mapColumns(['type', 'ip']);
    const ipOf = (cell: string): string | undefined => {
      const r = rowToEvent(['login', cell], mapping, opts);
      return r.ok ? r.event.ip : undefined;
    };
    for (const cell of ['1.2.3.4', '0.0.0.0', '255.255.255.255', '10.0.0.1', '::ffff:1.2.3.4'])
      expect(ipOf(cell)).toBe(canonicalIp(cell));
    for (const cell of [
      '01.2.3.4',
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '1.2.3.',
      '1.2.3.4 ',
      '1.2.3.04',
    ])
      expect(ipOf(cell)).toBe(canonicalIp(cell));
    const part = fc.constantFrom(
      '0',
      '1',
      '9',
      '00',
      '01',
      '25',
      '99',
      '100',
      '255',
      '256',
      '999',
      '1000',
      '',
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(part, fc.constantFrom('.', ':', 'a', ' ')), { minLength: 1, maxLength: 12 }),
        (pieces) => {
          const cell = pieces.join('');
          if (cell === '') return;
          expect(ipOf(cell)).toBe(cell.length < 2 ? undefined : canonicalIp(cell));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('cells', () => {
  it('types attr cells conservatively', () => {
    expect([
      attrValue('12'),
      attrValue('-1.5'),
      attrValue('007'),
      attrValue('1e3'),
      attrValue('true'),
      attrValue('null'),
      attrValue('12345678901234567'),
    ]).toEqual([12, -1.5, '007', '1e3', true, null, '12345678901234567']);
  });
  it('reads labels', () => {
    expect(['1', 'TRUE', 'fraud', '0', 'no', 'legit', '?'].map(parseLabel)).toEqual([
      1,
      1,
      1,
      0,
      0,
      0,
      undefined,
    ]);
  });
});
