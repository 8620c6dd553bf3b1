import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createEngine, simulate } from '@vigil/engine';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { registerAuth } from '../../http/auth-hook.js';
import { registerErrorHandling } from '../../http/error-handler.js';
import { registerJsonParser } from '../../http/json-body.js';
import { ErrorSchema } from '../../http/schemas.js';
import { validatorCompiler } from '../../http/validator.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { createBatchTables } from './batch.migration.js';
import { batchRoutes } from './batch.routes.js';
import { createBatchService, type BatchService } from './batch.service.js';
import { simCsv } from './sim-csv.fixture.js';

/**
 * The batch routes on a real runtime (SQLite), mounted the way app.ts mounts every module: the
 * error handler, JSON parser and auth hook of the server, then the plugin.
 */
let dir: string;
let rt: Runtime;
let app: FastifyInstance;
let batches: BatchService;
let adminKey: string;
let viewerKey: string;
let analystKey: string;
let appA: { id: string; apiKey: string };
let appB: { id: string; apiKey: string };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-batch-'));
  const config = loadConfig({ DATA_DIR: dir, SNAPSHOT_INTERVAL_MS: '0', RATE_LIMIT_PER_SEC: '0' });
  rt = await createRuntime({ config, clock: createFakeClock(Date.UTC(2026, 0, 15, 12)) });
  await createBatchTables(rt.db.kysely, rt.db.dialect);
  const live = rt.engine;
  // what runtime.ts wires: the live engine's detectors and rules on a fresh feature store
  batches = createBatchService(
    {
      db: rt.db,
      clock: rt.clock,
      makeEngine: () => createEngine({ config: live.config, detectors: live.detectors }),
    },
    { chunkRows: 50, sliceMs: 2 },
  );
  await batches.start();
  adminKey = (await rt.keys.create({ role: 'admin', name: 'admin' }, 'test')).key;
  viewerKey = (await rt.keys.create({ role: 'viewer', name: 'viewer' }, 'test')).key;
  analystKey = (await rt.keys.create({ role: 'analyst', name: 'analyst' }, 'test')).key;
  const a = await rt.apps.create('batch-a', 'test');
  const b = await rt.apps.create('batch-b', 'test');
  appA = { id: a.app.id, apiKey: a.apiKey };
  appB = { id: b.app.id, apiKey: b.apiKey };

  const f = Fastify({
    logger: false,
    bodyLimit: config.bodyLimitBytes,
  }).withTypeProvider<TypeBoxTypeProvider>();
  f.addSchema(ErrorSchema);
  f.setValidatorCompiler(validatorCompiler);
  registerErrorHandling(f);
  registerJsonParser(f, { maxDepth: config.jsonMaxDepth });
  registerAuth(f, { auth: rt.auth, limiter: rt.limiter });
  await f.register(batchRoutes({ batches, maxUploadBytes: 1024 * 1024 }));
  await f.ready();
  app = f;
});

afterAll(async () => {
  await app?.close();
  await batches?.close();
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

const upload = (key: string, body: string, type = 'text/csv', query = '') =>
  app.inject({
    method: 'POST',
    url: `/v1/batch${query}`,
    headers: { authorization: `Bearer ${key}`, 'content-type': type },
    payload: body,
  });

const get = (key: string, url: string) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

const analyze = (key: string, body: unknown) =>
  app.inject({
    method: 'POST',
    url: '/v1/batch/analyze',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });

const CSV = [
  'id,type,at,user,amount,ip,attrs.card,is_fraud',
  'e1,payment,2026-01-10T10:00:00Z,u1,12.5,1.2.3.4,c1,0',
  'e2,payment,2026-01-10T10:01:00Z,u1,abc,1.2.3.4,c1,0',
  'e3,bogus,2026-01-10T10:02:00Z,u2,1,1.2.3.5,c2,1',
  'e4,login,2026-01-10T10:03:00Z,"u, 3",,5.6.7.8,,0',
  'e5,payment,2026-01-10T10:04:00Z,u2',
  'e6,payment,2026-01-10T10:05:00Z,u2,15000,1.2.3.5,c3,1',
  '',
].join('\n');

describe('POST /v1/batch and progress', () => {
  let id: string;
  it('accepts a CSV upload with 202, the job and its location', async () => {
    const res = await upload(appA.apiKey, CSV);
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ app: appA.id, status: 'queued', format: 'csv', total: 6, withLabel: true });
    expect(res.headers['location']).toBe(`/v1/batch/${body.id}`);
    id = body.id;
  });

  it('finishes in the background: processed = total, bad rows counted and listed by line', async () => {
    await batches.idle();
    const res = await get(appA.apiKey, `/v1/batch/${id}`);
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b).toMatchObject({ status: 'done', total: 6, processed: 6, scored: 3, errors: 3 });
    expect(b.firstErrors).toEqual([
      { line: 3, message: 'amount: must be a number' },
      { line: 4, message: "type: unknown event type 'bogus' (use a built-in type or custom:<name>)" },
      { line: 6, message: 'expected 8 fields, found 4' },
    ]);
    expect(
      b.summary.byOutcome.allow +
        b.summary.byOutcome.challenge +
        b.summary.byOutcome.review +
        b.summary.byOutcome.block,
    ).toBe(3);
  });

  it('serves the results in input order as CSV, JSON and NDJSON', async () => {
    const csv = await get(appA.apiKey, `/v1/batch/${id}/result?format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('line,id,user,type,risk,score,level,outcome,flag,signals,label,error');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['2', '3', '4', '5', '6', '7']);
    expect(lines[1]).toMatch(/^2,e1,u1,payment,[\d.]+,\d+,[A-Z]+,[a-z]+,[A-Z]+,[^,]*,0,$/);
    expect(lines[4]).toMatch(/^5,e4,"u, 3",login,/);
    expect(lines[5]).toBe('6,,,,,,,,,,,"expected 8 fields, found 4"');
    const json = await get(appA.apiKey, `/v1/batch/${id}/result?format=json`);
    const rows = json.json<{ line: number }[]>();
    expect(rows.map((r: { line: number }) => r.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(rows[5]).toMatchObject({ id: 'e6', user: 'u2', type: 'payment', label: 1, error: null });
    const nd = await get(appA.apiKey, `/v1/batch/${id}/result?format=ndjson`);
    expect(
      nd.body
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { line: number }).line),
    ).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('never touches the live feature state', () => {
    expect(rt.engine.store.stats().entities).toBe(0);
  });

  it("scopes jobs to their app: another app's key gets 404, a viewer admin sees it", async () => {
    expect((await get(appB.apiKey, `/v1/batch/${id}`)).statusCode).toBe(404);
    expect((await get(appB.apiKey, `/v1/batch/${id}/result`)).statusCode).toBe(404);
    expect((await get(viewerKey, `/v1/batch/${id}`)).statusCode).toBe(200);
    const list = await get(appB.apiKey, '/v1/batch');
    expect(list.json().items).toEqual([]);
    const mine = (await get(appA.apiKey, '/v1/batch')).json<{ items: { id: string }[] }>();
    expect(mine.items.map((b) => b.id)).toEqual([id]);
    expect((await get(appA.apiKey, `/v1/batch?app=${appB.id}`)).statusCode).toBe(403);
  });
});

describe('POST /v1/batch: who and what', () => {
  it('admin uploads need the analyst role and ?app', async () => {
    expect((await upload(viewerKey, CSV, 'text/csv', `?app=${appA.id}`)).statusCode).toBe(403);
    expect((await upload(analystKey, CSV)).statusCode).toBe(400);
    const ok = await upload(analystKey, CSV, 'text/csv', `?app=${appA.id}`);
    expect(ok.statusCode).toBe(202);
    expect(ok.json().app).toBe(appA.id);
    expect((await upload(adminKey, CSV, 'text/csv', `?app=${appA.id}`)).statusCode).toBe(202);
    await batches.idle();
  });

  it('refuses bad uploads with a 4xx and details', async () => {
    const noKey = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'text/csv' },
      payload: CSV,
    });
    expect(noKey.statusCode).toBe(401);
    const badHeader = await upload(appA.apiKey, 'id,user,user_id\n1,a,b\n');
    expect(badHeader.statusCode).toBe(400);
    expect(badHeader.json()).toMatchObject({
      error: 'validation_failed',
      details: [{ path: '/line/1', message: "columns 'user' and 'user_id' both fill user" }],
    });
    const empty = await upload(appA.apiKey, 'id,type\n');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toBe('the upload has no rows');
    expect((await upload(appA.apiKey, '')).statusCode).toBe(400);
    const wrongType = await upload(appA.apiKey, CSV, 'text/plain');
    expect(wrongType.statusCode).toBe(415);
    const tooBig = await upload(appA.apiKey, `id,type\n${'x,login\n'.repeat(150_000)}`);
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().error).toBe('payload_too_large');
    const badDefault = await upload(appA.apiKey, CSV, 'text/csv', '?type=nope');
    expect(badDefault.statusCode).toBe(400);
  });

  it('uses ?type for rows without a type, and reads NDJSON with labels', async () => {
    const typed = await upload(appA.apiKey, 'id,user,amount\nt1,u9,5\n', 'text/csv', '?type=payment');
    expect(typed.statusCode).toBe(202);
    const nd = await upload(
      appA.apiKey,
      '{"id":"n1","type":"login","user":"u1","label":0}\n\nnot json\n{"id":"n2","type":"payment","user":"u1","amount":5,"is_fraud":true}\n',
      'application/x-ndjson',
    );
    expect(nd.statusCode).toBe(202);
    expect(nd.json()).toMatchObject({ format: 'ndjson', total: 3, withLabel: true });
    await batches.idle();
    const t = (await get(appA.apiKey, `/v1/batch/${typed.json().id}/result?format=json`)).json();
    expect(t[0]).toMatchObject({ id: 't1', type: 'payment', error: null });
    const rows = (await get(appA.apiKey, `/v1/batch/${nd.json().id}/result?format=json`)).json<
      { line: number; label: number | null; error: string | null }[]
    >();
    expect(
      rows.map((r: { line: number; label: number | null; error: string | null }) => [
        r.line,
        r.label,
        r.error?.slice(0, 14) ?? null,
      ]),
    ).toEqual([
      [1, 0, null],
      [3, null, 'not valid JSON'],
      [4, 1, null],
    ]);
  });
});

describe('POST /v1/batch/analyze', () => {
  let labelled: string;
  beforeAll(async () => {
    const sims = simulate({ seed: 5, users: 300, attackRate: 0.1 }, 2000);
    const res = await upload(appA.apiKey, simCsv(sims));
    expect(res.statusCode).toBe(202);
    labelled = res.json().id;
  });

  it('answers 409 while the batch is not done, then evaluates it against its labels', async () => {
    const early = await analyze(appA.apiKey, { data_source: labelled, analysis_type: 'summary' });
    expect([200, 409]).toContain(early.statusCode);
    await batches.idle();
    const res = await analyze(appA.apiKey, {
      data_source: { batch: labelled },
      analysis_type: 'evaluation',
      models: ['engine'],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      analysis_type: 'evaluation',
      models: ['engine'],
      data_source: { batch: labelled, rows: 2000 },
    });
    const e = body.evaluation;
    expect(e.labelled).toBe(2000);
    expect(e.tp + e.fp + e.tn + e.fn).toBe(2000);
    expect(e.positives).toBeGreaterThan(50);
    expect(e.rocAuc).toBeGreaterThan(0.6);
    expect(e.precision).toBeCloseTo(e.tp / (e.tp + e.fp), 4);
    expect(typeof body.generated_at).toBe('string');
  });

  it('summary and classic as CSV', async () => {
    const s = await analyze(appA.apiKey, {
      data_source: labelled,
      analysis_type: 'summary',
      output_format: 'csv',
    });
    expect(s.statusCode).toBe(200);
    expect(s.body).toMatch(/^metric,value\nrows,2000\nscored,2000\nrejected,0\n/);
    const c = await analyze(appA.apiKey, {
      data_source: labelled,
      analysis_type: 'classic',
      contamination: 0.1,
      output_format: 'csv',
    });
    const lines = c.body.trim().split('\n');
    expect(lines[0]).toBe('line,id,user,type,risk,score,level,outcome,flag,signals,label,error,is_anomaly');
    const anomalies = lines.slice(1).filter((l) => l.endsWith(',1')).length;
    expect(anomalies).toBeGreaterThan(0);
    expect(anomalies).toBeLessThanOrEqual(2000);
  });

  it('scores inline rows on a fresh store (risk_score), never the live one', async () => {
    const res = await analyze(appA.apiKey, {
      data_source: { rows: [{ id: 'i1', type: 'login', user: 'x' }, { id: 'i2', type: 'nope' }, 'junk'] },
      analysis_type: 'risk_score',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ rows: { line: number; error: string | null }[]; summary: unknown }>();
    expect(body.rows.map((r) => [r.line, r.error === null])).toEqual([
      [1, true],
      [2, false],
      [3, false],
    ]);
    expect(body.summary).toMatchObject({ rows: 3, scored: 1, rejected: 2 });
    expect(rt.engine.store.stats().entities).toBe(0);
  });

  it('refuses unknown models, other apps, missing labels and bad bodies', async () => {
    const m = await analyze(appA.apiKey, {
      data_source: labelled,
      analysis_type: 'summary',
      models: ['lstm'],
    });
    expect(m.statusCode).toBe(400);
    expect(m.json().details[0].message).toBe("'lstm' is not available (available: engine)");
    expect((await analyze(appB.apiKey, { data_source: labelled, analysis_type: 'summary' })).statusCode).toBe(
      404,
    );
    const noLabels = await analyze(appA.apiKey, {
      data_source: { rows: [{ id: 'a', type: 'login' }] },
      analysis_type: 'evaluation',
    });
    expect(noLabels.statusCode).toBe(400);
    expect((await analyze(appA.apiKey, { data_source: labelled, analysis_type: 'lstm' })).statusCode).toBe(
      400,
    );
    expect((await analyze(appA.apiKey, { analysis_type: 'summary' })).statusCode).toBe(400);
    expect(
      (
        await analyze(adminKey, {
          data_source: { rows: [{ id: 'a', type: 'login' }] },
          analysis_type: 'summary',
        })
      ).statusCode,
    ).toBe(400);
  });
});
