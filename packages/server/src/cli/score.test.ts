import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simCsv } from '../modules/batch/sim-csv.fixture.js';
import { fraudCsv } from '../modules/models/fraud-csv.fixture.js';
import { gruPackageFixture } from '../modules/models/gru-package.fixture.js';
import { createModelStore } from '../modules/models/model.store.js';
import { classifierOnnx } from '../modules/models/onnx/logistic-onnx.fixture.js';
import { skipOnnx } from '../modules/models/onnx/onnx-runtime.fixture.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';
import { runCli } from './cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-score-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function vigil(...argv: string[]) {
  return vigilWith({}, ...argv);
}

async function vigilWith(env: Record<string, string>, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env });
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

describe('vigil score --app', () => {
  let s: TestServer;
  let shop: { readonly id: string; readonly apiKey: string };
  let input: string;
  const csv = [
    'id,type,at,user,amount,device',
    ...Array.from(
      { length: 12 },
      (_, i) => `b${i},payment,2026-01-10T10:${String(i).padStart(2, '0')}:00Z,burst,${900 + i},d1`,
    ),
    ...Array.from(
      { length: 12 },
      (_, i) => `q${i},login,2026-01-10T11:${String(i).padStart(2, '0')}:00Z,u${i % 3},,d${i % 3}`,
    ),
    ...Array.from(
      { length: 6 },
      (_, i) => `w${i},withdrawal,2026-01-10T12:0${i}:00Z,u${i % 3},${20000 + i},d9`,
    ),
  ].join('\n');
  const runBin = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [fileURLToPath(new URL('../../bin/vigil.js', import.meta.url)), 'score', ...args],
      {
        encoding: 'utf8',
        env: { ...process.env, DATA_DIR: '', DATABASE_URL: '' },
      },
    );

  beforeAll(async () => {
    s = await createTestServer();
    shop = await s.createApp();
    // a stored configuration: a rule on large withdrawals
    await s.rt.configs.put(
      shop.id,
      { rules: [{ id: 'big', name: 'Big', expression: 'amount > 10000', score: 0.9, action: 'block' }] },
      'test',
    );
    const train = async (name: string) => {
      const up = await s.app.inject({
        method: 'POST',
        url: `/v1/models?model=gbdt&label=is_fraud&name=${name}`,
        headers: { authorization: `Bearer ${shop.apiKey}`, 'content-type': 'text/csv' },
        payload: fraudCsv(800),
      });
      expect(up.statusCode, up.body).toBe(201);
      return up.json<{ id: string }>().id;
    };
    await s.rt.models.deploy(shop.id, await train('fraud'));
    await s.rt.models.shadow(shop.id, await train('fraud-next'));
    const gru = await createModelStore(s.rt.db).insert({
      appId: shop.id,
      name: 'seq',
      kind: 'gru',
      params: '{}',
      metrics: '{}',
      package: JSON.stringify(gruPackageFixture(5)),
      now: s.clock.now(),
    });
    await s.rt.models.shadow(shop.id, gru.id);
    input = path.join(dir, 'app-events.csv');
    writeFileSync(input, `${csv}\n`);
  });
  afterAll(async () => {
    await s.close();
  });

  it("scores with the app's stored configuration and deployed model as POST /v1/batch does; shadow models are reported apart", async () => {
    const up = await s.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: `Bearer ${shop.apiKey}`, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(up.statusCode).toBe(202);
    await s.rt.batches.idle();
    const batch = (
      await s.call('GET', `/v1/batch/${up.json<{ id: string }>().id}/result?format=json`, {
        key: shop.apiKey,
      })
    ).json<{ id: string; risk: number; outcome: string; signals: string[] }[]>();

    const env = { DATA_DIR: s.rt.config.dataDir };
    const out = path.join(dir, 'app-out.json');
    const r = await vigilWith(
      env,
      'score',
      input,
      '--app',
      shop.id,
      '--workers',
      '1',
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const rows = JSON.parse(readFileSync(out, 'utf8')) as typeof batch;
    expect(rows.map((x) => [x.id, x.risk, x.outcome])).toEqual(batch.map((x) => [x.id, x.risk, x.outcome]));
    expect(rows.find((x) => x.id === 'w0')?.signals).toContain('rule.big');
    const summary = JSON.parse(r.out) as {
      app: { id: string; configVersion: number };
      models: { model: string; version: string; status: string; scored: number }[];
    };
    expect(summary.app).toMatchObject({ id: shop.id, configVersion: 1 });
    expect(summary.models.map((m) => [m.model, m.version, m.status, m.scored]).sort()).toEqual([
      ['fraud', '1', 'deployed', 30],
      ['fraud-next', '1', 'shadow', 30],
      ['seq', '1', 'shadow', 30],
    ]);

    // without --app: no model, no stored rule, so the burst and the withdrawals score lower
    const plain = await vigil('score', input, '--workers', '1', '--format', 'json');
    const plainRows = JSON.parse(plain.out) as typeof batch;
    expect(plainRows[11]!.risk).toBeLessThan(rows[11]!.risk);
    expect(plainRows.find((x) => x.id === 'w0')?.signals).not.toContain('rule.big');

    // two workers (each builds its own hooks) and the text summary; --config replaces the stored one
    const cfg = path.join(dir, 'empty-config.json');
    writeFileSync(cfg, '{}');
    const two = await vigilWith(
      env,
      'score',
      input,
      '--app',
      shop.id,
      '--workers',
      '2',
      '--config',
      cfg,
      '--format',
      'ndjson',
    );
    expect(two.code, two.err).toBe(0);
    expect(two.err).toContain(`app ${shop.id} (`);
    expect(two.err).toContain('configuration from');
    expect(two.err).toMatch(/model fraud v1 \(deployed\): 30 scored, mean 0\.\d+/);
    expect(two.err).toMatch(/model fraud-next v1 \(shadow, not counted\): 30 scored/);
    const twoRows = two.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; signals: string[] });
    expect(twoRows.find((x) => x.id === 'w0')?.signals).not.toContain('rule.big');
  }, 60_000);

  it('through the vigil command (from the sources, not the bundle) with --data-dir', () => {
    const r = runBin(
      input,
      '--app',
      shop.id,
      '--data-dir',
      s.rt.config.dataDir,
      '--workers',
      '1',
      '--json',
      '--out',
      path.join(dir, 'bin-out.csv'),
    );
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { models: unknown[] }).models).toHaveLength(3);
  }, 60_000);

  it('refuses an unknown app (exit 2), a missing database (exit 1) and --data-dir without --app (exit 2)', async () => {
    const env = { DATA_DIR: s.rt.config.dataDir };
    const unknown = await vigilWith(env, 'score', input, '--app', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no app 'nope' in the database at .*vigil\.db/);
    const empty = path.join(dir, 'no-data-here');
    const missing = await vigilWith({}, 'score', input, '--app', shop.id, '--data-dir', empty);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`no database at ${path.join(empty, 'vigil.db')}`);
    expect(existsSync(empty)).toBe(false); // nothing created
    const stray = await vigilWith(env, 'score', input, '--data-dir', empty);
    expect(stray.code).toBe(2);
    expect(stray.err).toContain('--data-dir is only used with --app');
    expect(runBin(input, '--app', 'nope', '--data-dir', s.rt.config.dataDir).status).toBe(2);
  }, 60_000);

  it.skipIf(skipOnnx)(
    'scores with a deployed imported ONNX model in every worker',
    async () => {
      const other = await s.createApp();
      const m = await s.rt.models.importOnnx(other.id, classifierOnnx([0.004], -2), {
        name: 'lr',
        columns: ['amount'],
        createdBy: 'test',
      });
      await s.rt.models.deploy(other.id, m.id);
      const r = await vigilWith(
        { DATA_DIR: s.rt.config.dataDir },
        'score',
        input,
        '--app',
        other.id,
        '--workers',
        '2',
        '--json',
        '--out',
        path.join(dir, 'onnx-out.csv'),
      );
      expect(r.code, r.err).toBe(0);
      const summary = JSON.parse(r.out) as {
        models: { model: string; status: string; scored: number; mean: number }[];
      };
      expect(summary.models).toEqual([
        expect.objectContaining({ model: 'lr', status: 'deployed', scored: 18 }),
      ]);
      // the 12 logins carry no amount: a linear graph fed NaN fails (recorded per decision), no score
      expect(summary.models[0]!.mean).toBeGreaterThan(0.1);
    },
    60_000,
  );
});
