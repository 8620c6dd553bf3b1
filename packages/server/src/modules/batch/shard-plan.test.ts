import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapColumns } from './batch-columns.js';
import { createCsvScanner, csvCell } from './csv-scanner.js';
import { planCsvPart, planEntityShards, planEntityShardsParallel } from './shard-plan.js';

/**
 * The plan as first written (kept as the reference): the file decoded as UTF-8, one string-keyed
 * union-find over 'u'/'d'/'i'-prefixed keys, components packed largest first.
 */
function referenceOwners(text: string, shards: number): number[] {
  const s = createCsvScanner();
  s.push(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, true);
  if (!s.next()) return [];
  const m = mapColumns(s.fields());
  const at = (f: string) => m.columns.find((c) => c.field === f)?.index ?? -1;
  const [u, d, ip, ref] = [at('user'), at('device'), at('ip'), at('referrer')];
  const ids = new Map<string, number>();
  const parent: number[] = [];
  const id = (k: string) => {
    let x = ids.get(k);
    if (x === undefined) {
      x = parent.length;
      parent.push(x);
      ids.set(k, x);
    }
    return x;
  };
  const find = (x: number): number => (parent[x] === x ? x : find(parent[x]!));
  const reps: number[] = [];
  while (s.next()) {
    const cell = (k: number) => (k >= 0 ? s.field(k) : undefined);
    let rep = -1;
    for (const [prefix, v] of [
      ['u', cell(u)],
      ['u', cell(ref)],
      ['d', cell(d)],
      ['i', cell(ip)],
    ] as const) {
      if (v === undefined || v === '') continue;
      const k = id(`${prefix}${v}`);
      if (rep < 0) rep = k;
      else {
        const [ra, rb] = [find(rep), find(k)];
        if (ra !== rb) parent[ra] = rb;
      }
    }
    reps.push(rep);
  }
  const size = new Map<number, number>();
  const roots = reps.map((r) => (r < 0 ? -1 : find(r)));
  for (const r of roots) if (r >= 0) size.set(r, (size.get(r) ?? 0) + 1);
  const order = [...size.keys()].sort((a, b) => size.get(b)! - size.get(a)! || a - b);
  const load = new Array<number>(shards).fill(0);
  const shardOf = new Map<number, number>();
  for (const r of order) {
    let best = 0;
    for (let k = 1; k < shards; k++) if (load[k]! < load[best]!) best = k;
    shardOf.set(r, best);
    load[best]! += size.get(r)!;
  }
  return roots.map((r, i) => (r < 0 ? i % shards : shardOf.get(r)!));
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-plan-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('planEntityShards', () => {
  it('keeps users who share a device, an IP or a referral in one shard', () => {
    const lines = ['id,type,user,device,ip,referrer'];
    // a farm: 6 accounts on one device; a ring: 4 accounts referred by r1; two users on one IP
    for (let i = 0; i < 6; i++) lines.push(`f${i},signup,farm${i},devX,,`);
    for (let i = 0; i < 4; i++) lines.push(`r${i},signup,ring${i},,,r1`);
    lines.push('p1,login,pa,,"10.0.0.1",', 'p2,login,pb,,10.0.0.1,');
    // 40 unrelated users, twice each
    for (let k = 0; k < 2; k++) for (let i = 0; i < 40; i++) lines.push(`s${k}-${i},login,solo${i},d${i},,`);
    lines.push('n1,login,,,,', 'n2,login,,,,');
    const file = path.join(dir, 'plan.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { owners } = planEntityShards(file, 'csv', mapColumns(lines[0]!.split(',')), 2);
    expect(owners.length).toBe(lines.length - 1);
    const farm = [...owners.slice(0, 6)];
    expect(new Set(farm).size).toBe(1);
    expect(new Set(owners.slice(6, 10)).size).toBe(1);
    expect(owners[10]).toBe(owners[11]);
    // the same user keeps its shard
    for (let i = 0; i < 40; i++) expect(owners[12 + i]).toBe(owners[52 + i]);
    // rows without user, device or IP go round-robin by ordinal
    expect([owners[92], owners[93]]).toEqual([92 % 2, 93 % 2]);
    // balanced: both shards get a fair share
    const zero = owners.filter((s) => s === 0).length;
    expect(zero).toBeGreaterThan(35);
    expect(zero).toBeLessThan(59);
  });

  it('gives the reference shards, and where each row starts and its line, on awkward CSV (property)', () => {
    const key = fc.constantFrom('a', 'b', 'ü', 'x y', 'a,b', 'q"q', '', '\u00e9', '日本');
    const filler = fc.constantFrom('', 'z', 'two\nlines', 'c,d', '"');
    const row = fc
      .tuple(key, key, key, key, filler)
      .map(([u, d, ip, ref, f]) => [u, d, ip, ref, f].map((v) => (v === '"' ? v : csvCell(v))).join(','));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(row, fc.constantFrom('\n', '\r\n', '\n\n')), { maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 2, max: 3 }),
        (rows, bom, shards) => {
          const text = `${bom ? '\ufeff' : ''}user,device,ip,referrer,note\n${rows.map(([r, nl]) => r + nl).join('')}`;
          const file = path.join(dir, 'awkward.csv');
          writeFileSync(file, text);
          const header = mapColumns(['user', 'device', 'ip', 'referrer', 'note']);
          const plan = planEntityShards(file, 'csv', header, shards);
          expect([...plan.owners]).toEqual(referenceOwners(text, shards));
          // every row's bytes hold exactly that row, on the line the full scan gives it
          const bytes = readFileSync(file);
          const whole = createCsvScanner();
          whole.push(text.replace(/^\ufeff/, ''), true);
          whole.next();
          const n = plan.owners.length;
          expect(plan.starts).toHaveLength(n + 1);
          expect(plan.starts![n]).toBe(bytes.length);
          for (let r = 0; r < n; r++) {
            expect(whole.next()).toBe(true);
            const one = createCsvScanner();
            one.push(bytes.toString('utf8', plan.starts![r], plan.starts![r + 1]), true);
            expect(one.next()).toBe(true);
            expect(one.fields()).toEqual(whole.fields());
            expect(one.next()).toBe(false);
            expect(plan.lines![r]).toBe(whole.line);
          }
          expect(whole.next()).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('in two parts gives exactly the one-thread plan, also when the split falls inside a record (property)', async () => {
    const key = fc.constantFrom('a', 'b', 'c', 'ü', '', 'x y');
    const note = fc.constantFrom('', 'n', '"two\nlines"', '"\n\n"', '"a,b"');
    const row = fc.tuple(key, key, key, key, note).map((cells) => cells.join(','));
    const header = 'user,device,ip,referrer,note';
    const mapping = mapColumns(header.split(','));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(row, fc.constantFrom('\n', '\r\n', '\n\n')), { maxLength: 30 }),
        fc.integer({ min: 2, max: 3 }),
        fc.boolean(),
        async (rows, shards, fails) => {
          const file = path.join(dir, 'parts.csv');
          writeFileSync(file, `${header}\n${rows.map(([r, nl]) => r + nl).join('')}`);
          const one = planEntityShards(file, 'csv', mapping, shards);
          const two = await planEntityShardsParallel(
            file,
            mapping,
            shards,
            async (from) => {
              if (fails) throw new Error('helper failed');
              return planCsvPart(file, mapping, from);
            },
            0,
          );
          expect([...two.owners]).toEqual([...one.owners]);
          expect([...two.starts!]).toEqual([...one.starts!]);
          expect([...two.lines!]).toEqual([...one.lines!]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('compares keys as UTF-8 decodes them (invalid bytes become the same replacement character)', () => {
    // users \xff and \xfe both decode to U+FFFD: one user with three rows, packed first
    const bytes = Buffer.concat([
      Buffer.from('user,device\n'),
      Buffer.from([0xff]),
      Buffer.from(',d1\n'),
      Buffer.from([0xfe]),
      Buffer.from(',d2\n'),
      Buffer.from([0xfe]),
      Buffer.from(',d3\na,d4\nb,d5\nc,d6\n'),
    ]);
    const file = path.join(dir, 'invalid.csv');
    writeFileSync(file, bytes);
    const { owners } = planEntityShards(file, 'csv', mapColumns(['user', 'device']), 2);
    expect([...owners]).toEqual(referenceOwners(bytes.toString('utf8'), 2));
    expect([...owners]).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('reads NDJSON too', () => {
    const file = path.join(dir, 'plan.ndjson');
    writeFileSync(
      file,
      [
        '{"id":"a","type":"login","user":"u1","device":"d"}',
        'not json',
        '',
        '{"id":"b","type":"login","user":"u2","device":"d"}',
        '{"id":"c","type":"login","user":"u3"}',
      ].join('\n'),
    );
    const { owners } = planEntityShards(file, 'ndjson', undefined, 3);
    expect(owners.length).toBe(4);
    expect(owners[0]).toBe(owners[2]);
    expect(owners[1]).toBe(1 % 3);
  });
});
