import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fraudCsv } from '../modules/models/fraud-csv.fixture.js';
import { simulatorCsv } from '../modules/models/sim-csv.fixture.js';
import { runCli } from './cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-gru-'));
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

const PANELS = ['Score distribution by class', 'ROC curve', 'Precision-recall curve', 'Confusion matrix'];

function expectReport(reportDir: string): void {
  for (const f of ['report.svg', 'report.html', 'results.csv', 'results.json'])
    expect(existsSync(path.join(reportDir, f)), f).toBe(true);
  const svg = readFileSync(path.join(reportDir, 'report.svg'), 'utf8');
  for (const p of PANELS) expect(svg).toContain(p);
  const json = JSON.parse(readFileSync(path.join(reportDir, 'results.json'), 'utf8')) as {
    generatedAt: string;
    metrics: { rocAuc: number };
  };
  expect(json.generatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect(json.metrics.rocAuc).toBeGreaterThan(0.5);
}

describe('vigil train --model gru and evaluation reports', () => {
  it('trains a gru from an event file, writes the package and the held-out report; evaluate scores a test file', async () => {
    const data = path.join(dir, 'events.csv');
    writeFileSync(data, simulatorCsv(6000));
    const test = path.join(dir, 'test.csv');
    writeFileSync(test, simulatorCsv(3000, 9));
    const out = path.join(dir, 'gru.json');
    const t = io();
    const code = await runCli(
      [
        'train',
        '--data',
        data,
        '--label',
        'is_fraud',
        '--model',
        'gru',
        '--epochs',
        '5',
        '--out',
        out,
        '--report-dir',
        path.join(dir, 'train-report'),
      ],
      t.io,
    );
    expect(code, t.err.join('')).toBe(0);
    expect(t.out.join('')).toMatch(/trained gru on \d+ rows \(users 80\/20\)/);
    expect(t.out.join('')).toMatch(/ROC-AUC 0\.\d{4}/);
    expectReport(path.join(dir, 'train-report'));
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ kind: 'gru', preprocessor: null });

    const e = io();
    const ecode = await runCli(
      ['evaluate', '--model', out, '--data', test, '--report-dir', path.join(dir, 'eval-report')],
      e.io,
    );
    expect(ecode, e.err.join('')).toBe(0);
    expect(e.out.join('')).toMatch(/rows \d+, positives \d+/);
    expectReport(path.join(dir, 'eval-report'));
  });

  it('evaluate writes the report for a tabular model too; gru without a label is refused', async () => {
    const train = path.join(dir, 'tab.csv');
    writeFileSync(train, fraudCsv(500));
    const pkg = path.join(dir, 'rf.json');
    const t = io();
    expect(
      await runCli(
        ['train', '--data', train, '--label', 'is_fraud', '--model', 'rf', '--out', pkg, '--json'],
        t.io,
      ),
    ).toBe(0);
    const e = io();
    const rd = path.join(dir, 'rf-report');
    expect(
      await runCli(['evaluate', '--model', pkg, '--data', train, '--report-dir', rd, '--json'], e.io),
    ).toBe(0);
    expect(JSON.parse(e.out.join('')).report).toHaveLength(4);
    expectReport(rd);
    const g = io();
    expect(await runCli(['train', '--data', train, '--model', 'gru'], g.io)).toBe(1);
    expect(g.err.join('')).toMatch(/gru model is supervised/);
  });
});
