import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isEventType, type EventType } from '@vigil/engine';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import { principalOf, requiredAppScope, appScope } from '../../http/auth-hook.js';
import { responses } from '../../http/schemas.js';
import { hasAdminRole } from '../auth/auth.service.js';
import {
  ANALYSIS_MODELS,
  classify,
  DEFAULT_CONTAMINATION,
  evaluate,
  metricsCsv,
  rowsCsv,
  summarize,
} from './batch-analyze.js';
import {
  AnalyzeBodySchema,
  BatchIdParams,
  BatchJobSchema,
  BatchListQuery,
  BatchListSchema,
  BatchResultQuery,
  BatchUploadQuery,
  MAX_INLINE_ROWS,
} from './batch.schemas.js';
import type { BatchService } from './batch.service.js';
import type { BatchRecord } from './batch.store.js';
import {
  createRowScorer,
  resultColumns,
  resultRowCsv,
  type InputFormat,
  type ResultRow,
} from './row-scorer.js';
import { parseStoredJson } from '../../storage/json.js';

/** Content types of uploads and the input format each means. */
const UPLOAD_TYPES: ReadonlyMap<string, InputFormat> = new Map([
  ['text/csv', 'csv'],
  ['application/x-ndjson', 'ndjson'],
  ['application/ndjson', 'ndjson'],
  ['application/jsonl', 'ndjson'],
]);

/** Options of {@link batchRoutes}. */
export interface BatchRoutesDeps {
  readonly batches: BatchService;
  /** Largest upload in bytes. Default 64 MiB. */
  readonly maxUploadBytes?: number;
}

/** A job as the API shows it. */
function shown(b: BatchRecord) {
  return {
    id: b.id,
    app: b.appId,
    status: b.status,
    format: b.inputFormat,
    total: b.total,
    processed: b.processed,
    scored: b.scored,
    errors: b.rejected,
    firstErrors: b.errorSample.map((e) => ({ line: e.line, message: e.message })),
    warnings: [...b.options.warnings],
    withLabel: b.withLabel,
    bytes: b.inputBytes,
    summary: b.summary,
    message: b.message,
    createdAt: b.createdAt,
    startedAt: b.startedAt,
    finishedAt: b.finishedAt,
    links: { self: `/v1/batch/${b.id}`, result: `/v1/batch/${b.id}/result` },
  };
}

/** Uploads need an app key, or an admin key with the analyst role naming the app. */
function writeScope(req: FastifyRequest, app: string | undefined): string {
  const p = principalOf(req);
  if (p.role !== 'app' && !hasAdminRole(p.role, 'analyst')) {
    throw new DomainError(
      'forbidden',
      'batch uploads need an app key or an admin key with the analyst role or higher',
    );
  }
  return requiredAppScope(req, app);
}

function actorOf(req: FastifyRequest): string {
  return `key:${principalOf(req).keyId}`;
}

function defaultTypeOf(type: string | undefined): EventType | undefined {
  if (type === undefined) return undefined;
  if (!isEventType(type)) {
    throw new DomainError('validation_failed', 'invalid query', {
      details: [{ path: '/type', message: `unknown event type '${type}'` }],
    });
  }
  return type;
}

async function* resultLines(batches: BatchService, id: string): AsyncIterable<string> {
  for await (const chunk of batches.results(id)) {
    let pos = 0;
    while (pos < chunk.length) {
      let nl = chunk.indexOf('\n', pos);
      if (nl === -1) nl = chunk.length;
      if (nl > pos) yield chunk.slice(pos, nl);
      pos = nl + 1;
    }
  }
}

async function loadRows(batches: BatchService, id: string): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for await (const line of resultLines(batches, id)) rows.push(parseStoredJson<ResultRow>(line));
  return rows;
}

/**
 * Batch scoring over HTTP: `POST /v1/batch` (CSV or NDJSON body, 202 with the job), `GET /v1/batch`,
 * `GET /v1/batch/:id` (progress), `GET /v1/batch/:id/result?format=csv|json|ndjson`, and
 * `POST /v1/batch/analyze` (`{ data_source, analysis_type, models, output_format }`).
 * @example await app.register(batchRoutes({ batches: runtime.batches }));
 */
export function batchRoutes(deps: BatchRoutesDeps): FastifyPluginAsyncTypebox {
  const maxUploadBytes = deps.maxUploadBytes ?? 64 * 1024 * 1024;
  return async (app) => {
    app.addContentTypeParser(
      [...UPLOAD_TYPES.keys()],
      { parseAs: 'buffer', bodyLimit: maxUploadBytes },
      (_req, body, done) => done(null, body),
    );

    app.post(
      '/v1/batch',
      {
        bodyLimit: maxUploadBytes,
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['batch'],
          summary: 'Upload a CSV or NDJSON file of events for background scoring (202 with the job)',
          description:
            "Content-Type text/csv (a header row; columns are event fields, attrs.<key> columns and an optional label) or application/x-ndjson (one event per line). The job scores with the app's detectors and rules on its own feature store: live features are not changed. Bad rows are reported by line and do not stop the others.",
          querystring: BatchUploadQuery,
          response: responses({ 202: BatchJobSchema, 413: Type.Ref('Error'), 415: Type.Ref('Error') }),
        },
      },
      async (req, reply) => {
        const appId = writeScope(req, req.query.app);
        const mime = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const format = UPLOAD_TYPES.get(mime);
        if (format === undefined || !Buffer.isBuffer(req.body)) {
          throw new DomainError('unsupported_media_type', 'send text/csv or application/x-ndjson');
        }
        const defaultType = defaultTypeOf(req.query.type);
        const job = await deps.batches.submit({
          appId,
          format,
          body: req.body,
          createdBy: actorOf(req),
          ...(defaultType !== undefined ? { defaultType } : {}),
        });
        return reply.code(202).header('location', `/v1/batch/${job.id}`).send(shown(job));
      },
    );

    app.get(
      '/v1/batch',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['batch'],
          summary: 'Batch jobs, newest first',
          querystring: BatchListQuery,
          response: responses({ 200: BatchListSchema }),
        },
      },
      async (req) => {
        const appId = appScope(req, req.query.app);
        const items = await deps.batches.list(appId, req.query.limit ?? 50);
        return { items: items.map(shown) };
      },
    );

    app.get(
      '/v1/batch/:id',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['batch'],
          summary: 'A batch job: status, processed/total rows, rejected rows (first ones by line)',
          params: BatchIdParams,
          response: responses({ 200: BatchJobSchema }),
        },
      },
      async (req) => shown(await deps.batches.get(req.params.id, appScope(req, undefined))),
    );

    app.get(
      '/v1/batch/:id/result',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['batch'],
          summary: 'The results of a finished job: one row per input row, in input order',
          description: 'format=csv (default), json (an array) or ndjson. 409 while the job is not done.',
          params: BatchIdParams,
          querystring: BatchResultQuery,
          response: responses({
            200: Type.String({ description: 'CSV, JSON or NDJSON' }),
            409: Type.Ref('Error'),
          }),
        },
      },
      async (req, reply) => {
        const job = await deps.batches.get(req.params.id, appScope(req, undefined));
        if (job.status !== 'done') {
          throw new DomainError(
            'conflict',
            job.status === 'failed'
              ? `batch ${job.id} failed: ${job.message ?? 'unknown error'}`
              : `batch ${job.id} is ${job.status}: ${job.processed} of ${job.total} rows done`,
          );
        }
        const format = req.query.format ?? 'csv';
        const lines = resultLines(deps.batches, job.id);
        async function* body(): AsyncIterable<string> {
          if (format === 'csv') {
            yield `${resultColumns(job.withLabel).join(',')}\n`;
            for await (const l of lines)
              yield `${resultRowCsv(parseStoredJson<ResultRow>(l), job.withLabel)}\n`;
          } else if (format === 'ndjson') {
            for await (const l of lines) yield `${l}\n`;
          } else {
            let first = true;
            for await (const l of lines) {
              yield first ? `[\n${l}` : `,\n${l}`;
              first = false;
            }
            yield first ? '[]\n' : '\n]\n';
          }
        }
        const types = { csv: 'text/csv', json: 'application/json', ndjson: 'application/x-ndjson' } as const;
        return reply
          .header('content-type', `${types[format]}; charset=utf-8`)
          .header('content-disposition', `attachment; filename="batch-${job.id}.${format}"`)
          .send(Readable.from(body()));
      },
    );

    app.post(
      '/v1/batch/analyze',
      {
        // inline rows can be larger than an ordinary JSON request
        bodyLimit: maxUploadBytes,
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['batch'],
          summary: 'Analyse a finished batch or inline rows: summary, risk_score, classic or evaluation',
          description: `data_source is a batch id (string or {"batch": id}) or {"rows": [events]} (at most ${MAX_INLINE_ROWS}, scored now on a fresh feature store). models: ${ANALYSIS_MODELS.join(', ')}. output_format json (default) or csv.`,
          body: AnalyzeBodySchema,
          response: responses({ 200: Type.Unknown(), 409: Type.Ref('Error') }),
        },
      },
      async (req, reply) => {
        const b = req.body;
        const models = b.models ?? ['engine'];
        const unknownModels = models.filter((m) => !(ANALYSIS_MODELS as readonly string[]).includes(m));
        if (unknownModels.length > 0) {
          throw new DomainError('validation_failed', 'unknown model', {
            details: unknownModels.map((m) => ({
              path: '/models',
              message: `'${m}' is not available (available: ${ANALYSIS_MODELS.join(', ')})`,
            })),
          });
        }
        const src = b.data_source;
        let rows: ResultRow[];
        let withLabel: boolean;
        let source: Record<string, unknown>;
        if (typeof src === 'string' || 'batch' in src) {
          const id = typeof src === 'string' ? src : src.batch;
          const job = await deps.batches.get(id, appScope(req, undefined));
          if (job.status !== 'done') {
            throw new DomainError('conflict', `batch ${job.id} is ${job.status}; analyse it once it is done`);
          }
          rows = await loadRows(deps.batches, job.id);
          withLabel = job.withLabel;
          source = { batch: job.id, rows: rows.length };
        } else {
          const appId = requiredAppScope(req, b.app);
          const scorer = createRowScorer({
            engine: deps.batches.engineFor(appId),
            format: 'ndjson',
            app: appId,
            defaultAt: Date.now(),
            withLabel: true,
          });
          rows = src.rows.map((r, i) => parseStoredJson<ResultRow>(scorer.json(r, i + 1)));
          withLabel = rows.some((r) => r.label !== null && r.label !== undefined);
          source = { rows: rows.length };
        }
        const type = b.analysis_type;
        const generatedAt = new Date().toISOString();
        const csv = b.output_format === 'csv';
        const send = (json: Record<string, unknown>, text: string) =>
          csv ? reply.header('content-type', 'text/csv; charset=utf-8').send(text) : reply.send(json);
        const head = { analysis_type: type, models, data_source: source, generated_at: generatedAt };
        switch (type) {
          case 'summary': {
            const s = summarize(rows);
            return send({ ...head, summary: s }, metricsCsv({ ...s }));
          }
          case 'risk_score':
            return send({ ...head, summary: summarize(rows), rows }, rowsCsv(rows, withLabel));
          case 'classic': {
            const c = classify(rows, b.contamination ?? DEFAULT_CONTAMINATION);
            const { isAnomaly, ...verdict } = c;
            return send(
              { ...head, classic: verdict, rows: rows.map((r, i) => ({ ...r, is_anomaly: isAnomaly[i] })) },
              rowsCsv(rows, withLabel, isAnomaly),
            );
          }
          case 'evaluation': {
            const e = evaluate(rows);
            if (e === undefined) {
              throw new DomainError('validation_failed', 'evaluation needs labels', {
                details: [
                  {
                    path: '/data_source',
                    message: 'no scored row has a label (label/is_fraud column, or a label field)',
                  },
                ],
              });
            }
            return send({ ...head, evaluation: e, summary: summarize(rows) }, metricsCsv({ ...e }));
          }
        }
      },
    );
  };
}
