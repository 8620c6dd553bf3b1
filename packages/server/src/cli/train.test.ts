import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fraudCsv } from '../modules/models/fraud-csv.fixture.js';
import { runCli } from './cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: { DATA_DIR: dir } },
  };
}

describe('vigil train / evaluate / models', () => {
  it('trains on a CSV with a time split, prints the report and metrics, writes the package; evaluate scores a test file', async () => {
    const days = fraudCsv(600)
      .trimEnd()
      .split('\n')
      .map((l, i) => (i === 0 ? `day,${l}` : `2026-01-${String(1 + (i % 20)).padStart(2, '0')},${l}`));
    const train = path.join(dir, 'train.csv');
    writeFileSync(train, `${days.join('\n')}\n`);
    const out = path.join(dir, 'model.json');
    const t = io();
    const code = await runCli(
      [
        'train',
        '--data',
        train,
        '--label',
        'is_fraud',
        '--model',
        'gbdt',
        '--time-split',
        'day:2026-01-16',
        '--out',
        out,
        '--app',
        'x',
      ],
      t.io,
    );
    expect(t.err.join('')).toBe('');
    expect(code).toBe(0);
    const text = t.out.join('');
    expect(text).toMatch(/is_fraud/);
    expect(text).toMatch(/time day:2026-01-16/);
    const auc = Number(/ROC-AUC (\d\.\d+)/.exec(text)?.[1]);
    expect(auc).toBeGreaterThan(0.95);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ kind: 'gbdt', label: 'is_fraud' });

    const test = path.join(dir, 'test.csv');
    writeFileSync(test, fraudCsv(300, 42));
    const e = io();
    expect(await runCli(['evaluate', '--model', out, '--data', test, '--json'], e.io)).toBe(0);
    const m = JSON.parse(e.out.join('')) as { rocAuc: number; rows: number };
    expect(m.rows).toBe(300);
    expect(m.rocAuc).toBeGreaterThan(0.95);

    // mismatched columns at prediction time
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'amount,is_fraud\n1,0\n2,1\n');
    const b = io();
    expect(await runCli(['evaluate', '--model', out, '--data', bad], b.io)).toBe(1);
    expect(b.err.join('')).toMatch(/user_count_1h/);
  });

  it('registers, lists, deploys and rolls back through the database', async () => {
    const data = path.join(dir, 'd.csv');
    writeFileSync(data, fraudCsv(300));
    const a = io();
    expect(await runCli(['apps', 'create', 'cli-shop', '--json'], a.io)).toBe(0);
    const app = (JSON.parse(a.out.join('')) as { id: string }).id;
    for (const model of ['gbdt', 'rf']) {
      const r = io();
      expect(
        await runCli(
          [
            'train',
            '--data',
            data,
            '--label',
            'is_fraud',
            '--model',
            model,
            '--app',
            app,
            '--register',
            '--name',
            'fraud',
          ],
          r.io,
        ),
      ).toBe(0);
    }
    const l = io();
    await runCli(['models', 'list', '--app', app, '--json'], l.io);
    const list = JSON.parse(l.out.join('')) as { id: string; version: number }[];
    expect(list.map((m) => m.version)).toEqual([2, 1]);
    const d1 = io();
    expect(await runCli(['models', 'deploy', list[1]!.id, '--app', app], d1.io)).toBe(0);
    expect(await runCli(['models', 'deploy', list[0]!.id, '--app', app], io().io)).toBe(0);
    const rb = io();
    expect(await runCli(['models', 'rollback', 'fraud', '--app', app, '--json'], rb.io)).toBe(0);
    expect(JSON.parse(rb.out.join(''))).toMatchObject({ id: list[1]!.id, status: 'deployed' });
  });

  it('answers clearly for gru, unknown models and a missing label', async () => {
    const data = path.join(dir, 'g.csv');
    writeFileSync(data, fraudCsv(50));
    const g = io();
    expect(await runCli(['train', '--data', data, '--model', 'gru', '--label', 'is_fraud'], g.io)).toBe(1);
    expect(g.err.join('')).toMatch(/"user" is not in the data/);
    const n = io();
    expect(await runCli(['train', '--data', data, '--model', 'gbdt'], n.io)).toBe(1);
    expect(n.err.join('')).toMatch(/supervised/);
  });
});
