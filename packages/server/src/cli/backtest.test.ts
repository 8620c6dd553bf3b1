import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import type { BacktestRecord } from '../modules/backtests/backtest.store.js';
import { createRuntime } from '../runtime.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { runCli } from './cli.js';

const T0 = Date.UTC(2026, 0, 10);
let dir: string;
let app: string;
let candidateFile: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-backtest-'));
  const clock = createFakeClock(T0);
  const rt = await createRuntime({ config: loadConfig({ DATA_DIR: dir, SNAPSHOT_INTERVAL_MS: '0' }), clock });
  try {
    app = (await rt.apps.create('backtest-cli', 'test')).app.id;
    const events = [
      { id: 'c1', user: 'u1', amount: 20 },
      { id: 'c2', user: 'u2', amount: 1500 },
      { id: 'c3', user: 'u3', amount: 40 },
      { id: 'c4', user: 'u4', amount: 9000 },
    ];
    for (const e of events) {
      const r = await rt.ingest.submit(app, { ...e, type: 'payment', currency: 'USD' });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      clock.advance(60_000);
    }
  } finally {
    await rt.close();
  }
  candidateFile = path.join(dir, 'candidate.json');
  writeFileSync(
    candidateFile,
    JSON.stringify({ rules: [{ id: 'big', expression: 'amount > 1000', score: 1, outcome: 'block' }] }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function vigil(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: { DATA_DIR: dir } });
  return { code, out, err };
}

const range = ['--from', new Date(T0).toISOString(), '--to', new Date(T0 + 10 * 60_000).toISOString()];

describe('vigil backtest', () => {
  it('prints a readable report: counts, changes, newly blocked users, metrics and cost', async () => {
    const r = await vigil('backtest', '--app', app, '--config', candidateFile, ...range);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('events: 4 replayed (0 warm-up only), 4 compared, 2 with a different outcome');
    expect(r.out).toMatch(/block\s+0\s+2\s+\+2/);
    expect(r.out).toContain('outcome changes: allow -> block: 1, review -> block: 1'); // 9000 went to review by default
    expect(r.out).toContain('users newly blocked: 2 (u2, u4)');
    expect(r.out).toContain('0 fraud, 0 legitimate, 4 unlabelled (excluded)');
  });

  it('--json prints the stored job with its report; costs and the live baseline are passed through', async () => {
    const r = await vigil(
      'backtest',
      '--app',
      app,
      '--config',
      candidateFile,
      ...range,
      '--baseline',
      'live',
      '--review-cost',
      '7',
      '--json',
    );
    expect(r.code).toBe(0);
    const job = JSON.parse(r.out) as BacktestRecord;
    expect(job.status).toBe('done');
    expect(job.baseline).toBe('live');
    expect(job.createdBy).toBe('cli');
    expect(job.costs.reviewCost).toBe(7);
    expect(job.processed).toBe(job.total);
    expect(job.result?.events.compared).toBe(4);
    expect(job.result?.users.newlyBlockedUsers).toEqual(['u2', 'u4']);
  });

  it('an invalid candidate prints every problem with its path and exits 1', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ rules: [{ id: 'x', expression: 'amount >', score: 3 }], access: { full: 'x' } }),
    );
    const r = await vigil('backtest', '--app', app, '--config', bad, ...range);
    expect(r.code).toBe(1);
    expect(r.err).toContain('invalid candidate configuration (validation_failed)');
    expect(r.err).toMatch(/\/rules\/0/);
    expect(r.err).toMatch(/\/access\/full/);
  });

  it('usage errors exit 2: missing flags, bad times, from after to is 1 with the path', async () => {
    expect((await vigil('backtest', '--config', candidateFile, ...range)).code).toBe(2);
    expect((await vigil('backtest', '--app', app, ...range)).code).toBe(2);
    expect(
      (await vigil('backtest', '--app', app, '--config', candidateFile, '--from', 'soon', '--to', '1')).code,
    ).toBe(2);
    const reversed = await vigil(
      'backtest',
      '--app',
      app,
      '--config',
      candidateFile,
      '--from',
      '2000',
      '--to',
      '1000',
    );
    expect(reversed.code).toBe(1);
    expect(reversed.err).toContain('/from: must not be after to');
    expect((await vigil('backtest', '--help')).out).toContain('Usage: vigil backtest');
  });
});
