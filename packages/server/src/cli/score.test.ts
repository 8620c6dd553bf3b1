import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simCsv } from '../modules/batch/sim-csv.fixture.js';
import { runCli } from './cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-score-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function vigil(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {} });
  return { code, out, err };
}

describe('vigil score', () => {
  it('scores a CSV file into --out and reports bad rows by line', async () => {
    const input = path.join(dir, 'in.csv');
    const good = simCsv(simulate({ seed: 4, users: 50 }, 200))
      .trimEnd()
      .split('\n');
    // line 4 and line 10 get broken; the header is line 1
    good[3] = good[3]!.replace(
      /,login,|,payment,|,transfer,|,game_bet,|,game_result,|,social,|,upload,|,withdrawal,|,signup,|,wallet_connect,|,nft_listing,|,referral,/,
      ',oops,',
    );
    good[9] = 'too,few';
    writeFileSync(input, `${good.join('\n')}\n`);
    const out = path.join(dir, 'out.csv');
    const errors = path.join(dir, 'errors.csv');
    const r = await vigil('score', input, '--out', out, '--workers', '2', '--errors', errors, '--json');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as {
      rows: number;
      scored: number;
      rejected: number;
      errors: { line: number }[];
      workers: number;
    };
    expect(summary).toMatchObject({ rows: 200, scored: 198, rejected: 2, workers: 2 });
    expect(summary.errors.map((e) => e.line)).toEqual([4, 10]);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(201);
    expect(lines[0]).toBe('line,id,user,type,risk,score,level,outcome,flag,signals,label,error');
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 2),
    );
    expect(lines[3]).toMatch(/type: unknown event type 'oops'/);
    expect(lines[9]).toMatch(/^10,,,,,,,,,,,"expected 35 fields, found 2"$/);
    expect(readFileSync(errors, 'utf8').split('\n').slice(0, 2)).toEqual([
      'line,message',
      "4,type: unknown event type 'oops' (use a built-in type or custom:<name>)",
    ]);
  });

  it('writes results to standard output and the summary to standard error', async () => {
    const input = path.join(dir, 'small.csv');
    writeFileSync(input, 'id,type,user,amount,extra\ne1,payment,u1,5,x\n');
    const r = await vigil('score', input, '--format', 'json', '--workers', '1');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as { id: string; outcome: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 'e1', outcome: 'allow' });
    expect(r.err).toContain('scored 1 rows (1 scored, 0 rejected)');
    expect(r.err).toContain(
      "note: column 'extra' is not an event field: ignored (name it attrs.extra to keep it)",
    );
  });

  it('takes --type for rows without one and --config for the app configuration', async () => {
    const input = path.join(dir, 'untyped.csv');
    writeFileSync(input, 'transaction_id,user_id,amount\nt1,u1,20000\n');
    const config = path.join(dir, 'app.json');
    writeFileSync(
      config,
      JSON.stringify({
        rules: [{ id: 'big', name: 'Big', expression: 'amount > 10000', score: 0.9, action: 'block' }],
      }),
    );
    const r = await vigil(
      'score',
      input,
      '--type',
      'payment',
      '--config',
      config,
      '--format',
      'ndjson',
      '--workers',
      '1',
    );
    expect(r.code).toBe(0);
    const row = JSON.parse(r.out.trim()) as { id: string; type: string; signals: string[] };
    expect(row).toMatchObject({ id: 't1', type: 'payment' });
    expect(row.signals).toContain('rule.big');
  });

  it('the vigil command runs score from its bundle with the same results and exit codes', async () => {
    const bin = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));
    const input = path.join(dir, 'bundled.csv');
    writeFileSync(input, simCsv(simulate({ seed: 5, users: 60 }, 400)));
    const inProcess = path.join(dir, 'in-process.csv');
    expect((await vigil('score', input, '--out', inProcess, '--workers', '2')).code).toBe(0);
    const out = path.join(dir, 'bundled-out.csv');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [bin, 'score', ...args], { encoding: 'utf8' });
    const r = run(input, '--out', out, '--workers', '2', '--json', '--no-progress');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 400, scored: 400, workers: 2, shardBy: 'entity' });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(inProcess, 'utf8'));
    const usage = run('--workers', '0');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('Usage: vigil score');
    expect(run(path.join(dir, 'missing.csv')).status).toBe(1);
  }, 60_000);

  it('answers usage errors with exit code 2 and unusable input with 1', async () => {
    expect((await vigil('score')).code).toBe(2);
    expect((await vigil('score', 'a.csv', '--workers', '0')).code).toBe(2);
    expect((await vigil('score', 'a.csv', '--format', 'xml')).code).toBe(2);
    expect((await vigil('score', 'a.csv', '--type', 'nope')).code).toBe(2);
    const unwritable = await vigil(
      'score',
      path.join(dir, 'small.csv'),
      '--out',
      path.join(dir, 'no', 'such', 'dir.csv'),
    );
    expect(unwritable.code).toBe(1);
    expect(unwritable.err).toMatch(/ENOENT/);
    const missing = await vigil('score', path.join(dir, 'missing.csv'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read/);
    const help = await vigil('score', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: vigil score');
    expect((await vigil('--help')).out).toContain('score <file>');
  });
});
