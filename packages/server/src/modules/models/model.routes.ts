import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { Value } from 'typebox/value';
import { DomainError } from '../../errors.js';
import { principalOf, requiredAppScope } from '../../http/auth-hook.js';
import { responses } from '../../http/schemas.js';
import { hasAdminRole } from '../auth/auth.service.js';
import { FEEDBACK_LABELS, type ModelService } from './model.service.js';
import { ONNX_TRANSFORMS } from './onnx/onnx-package.js';
import { ONNX_RUNTIME_INSTALL } from './onnx/onnx-runtime.js';

const UPLOAD_TYPES = new Map<string, 'csv' | 'ndjson'>([
  ['text/csv', 'csv'],
  ['application/x-ndjson', 'ndjson'],
  ['application/ndjson', 'ndjson'],
]);

const AppQuery = Type.Optional(
  Type.String({ minLength: 1, maxLength: 64, description: 'Admin keys: which app' }),
);
const Any = Type.Unknown();
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

function writeScope(req: FastifyRequest, app: string | undefined): string {
  const p = principalOf(req);
  if (p.role !== 'app' && !hasAdminRole(p.role, 'analyst')) {
    throw new DomainError(
      'forbidden',
      'changing models needs an app key or an admin key with the analyst role or higher',
    );
  }
  return requiredAppScope(req, app);
}

const actorOf = (req: FastifyRequest): string => `key:${principalOf(req).keyId}`;

const EventsTrainBody = Type.Object(
  {
    data_source: Type.Literal('events'),
    label_source: Type.Optional(Type.Literal('labels')),
    model: Type.String({ minLength: 1, maxLength: 16 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    from: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
    to: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
    features: Type.Optional(Type.Array(Type.String(), { maxItems: 64 })),
  },
  { additionalProperties: false },
);

const ImportQuery = Type.Object({
  app: AppQuery,
  format: Type.Optional(Type.Literal('onnx', { description: 'The file format (onnx)' })),
  name: Type.Optional(Type.String({ maxLength: 64, description: 'Registry name (default onnx)' })),
  columns: Type.String({
    minLength: 1,
    maxLength: 4000,
    description: 'Comma-separated live feature names, in the order of the input tensor columns',
  }),
  output: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'The output holding the score' }),
  ),
  class_index: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 1000, description: "The fraud class's column of the output" }),
  ),
  transform: Type.Optional(
    Type.Union(
      ONNX_TRANSFORMS.map((t) => Type.Literal(t)),
      { description: 'sigmoid when the output is a margin/logit' },
    ),
  ),
  missing: Type.Optional(Type.Number({ description: 'Value a missing feature is fed as (default NaN)' })),
  baseline: Type.Optional(
    Type.String({
      maxLength: 8000,
      description: 'Comma-separated reference values, one per column: contributions by occlusion',
    }),
  ),
  file: Type.Optional(Type.String({ maxLength: 200, description: 'The file name, kept for the record' })),
});

const list = (s: string): string[] => s.split(',').map((c) => c.trim());

function numbers(s: string, what: string): number[] {
  return list(s).map((v) => {
    const n = v === '' ? NaN : Number(v);
    if (!Number.isFinite(n)) {
      throw new DomainError('bad_request', `${what} holds '${v}', not a number`, {
        details: [{ path: `/${what}`, message: 'not a number' }],
      });
    }
    return n;
  });
}

function time(v: string | number | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const t = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(t)) throw new DomainError('bad_request', `${what} is not a date`);
  return t;
}

/**
 * The model registry over HTTP: list/get/train (`POST /v1/models` with a CSV/NDJSON body or
 * `{data_source:'events'}`), ONNX import (`POST /v1/models/import`), deploy, shadow, rollback,
 * performance, training jobs, and label feedback (`POST /v1/labels`).
 * @example await app.register(modelRoutes({ models: runtime.models }));
 */
export function modelRoutes(deps: {
  readonly models: ModelService;
  readonly maxUploadBytes?: number;
}): FastifyPluginAsyncTypebox {
  const { models } = deps;
  const maxUploadBytes = deps.maxUploadBytes ?? 64 * 1024 * 1024;
  return async (app) => {
    app.addContentTypeParser(
      [...UPLOAD_TYPES.keys(), 'application/octet-stream'],
      { parseAs: 'buffer', bodyLimit: maxUploadBytes },
      (_r, body, done) => done(null, body),
    );
    const read = { config: { auth: 'app-or-viewer' as const } };

    app.get(
      '/v1/models',
      {
        ...read,
        schema: {
          tags: ['models'],
          summary: 'Model versions of the app',
          querystring: Type.Object({ app: AppQuery }),
        },
      },
      async (req) => ({ items: await models.list(requiredAppScope(req, req.query.app)) }),
    );

    app.post(
      '/v1/models',
      {
        ...read,
        bodyLimit: maxUploadBytes,
        schema: {
          tags: ['models'],
          summary:
            'Train a model from an uploaded file (text/csv, application/x-ndjson) or from the event log with labels',
          description:
            'Upload: ?model=gbdt|rf|iforest|gru&label=<column>&name=&time_split=col:YYYY-MM-DD. Files up to 50,000 rows train in the request (201 with the model); larger ones as a background job (202 with the job, GET /v1/models/jobs/:id). JSON body {data_source:"events", label_source:"labels", model, from, to}: features computed from the event log as live scoring computes them, labels from POST /v1/labels and case decisions.',
          querystring: Type.Object({
            app: AppQuery,
            model: Type.Optional(Type.String({ maxLength: 16 })),
            label: Type.Optional(Type.String({ maxLength: 200 })),
            name: Type.Optional(Type.String({ maxLength: 64 })),
            time_split: Type.Optional(Type.String({ maxLength: 250 })),
          }),
          response: responses({ 201: Any, 202: Any, 400: Type.Ref('Error') }),
        },
      },
      async (req, reply) => {
        const appId = writeScope(req, req.query.app);
        const mime = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const format = UPLOAD_TYPES.get(mime);
        if (format !== undefined) {
          if (!Buffer.isBuffer(req.body)) throw new DomainError('bad_request', 'empty upload');
          const kind = req.query.model ?? 'gbdt';
          const r = await models.trainFromFile(appId, format, req.body, {
            name: req.query.name ?? kind,
            kind,
            label: req.query.label,
            timeSplit: req.query.time_split,
            createdBy: actorOf(req),
          });
          if ('job' in r)
            return reply.code(202).header('location', `/v1/models/jobs/${r.job.id}`).send(r.job);
          return reply.code(201).send(r.model);
        }
        if (mime !== 'application/json')
          throw new DomainError('unsupported_media_type', 'send text/csv, application/x-ndjson or JSON');
        const body: unknown = req.body;
        if (!Value.Check(EventsTrainBody, body)) {
          throw new DomainError(
            'bad_request',
            'body must be {data_source:"events", label_source:"labels", model, from?, to?, name?, features?}',
          );
        }
        const from = time(body.from, 'from');
        const to = time(body.to, 'to');
        const m = await models.trainFromEvents(appId, {
          name: body.name ?? body.model,
          kind: body.model,
          createdBy: actorOf(req),
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          ...(body.features !== undefined ? { features: body.features } : {}),
        });
        return reply.code(201).send(m);
      },
    );

    app.post(
      '/v1/models/import',
      {
        ...read,
        bodyLimit: maxUploadBytes,
        schema: {
          tags: ['models'],
          summary: 'Import a model trained elsewhere (ONNX) as a new version',
          description: `Body: the .onnx file (application/octet-stream). columns= names the live features fed to the graph's single [rows, features] float32/float64 input, in order. The score is one float tensor output ([rows], [rows, 1] or [rows, classes]: output=, class_index=, default the positive class of two); sklearn-onnx's ZipMap output (a sequence of maps) is not supported: convert with zipmap=False. Needs the optional onnxruntime-node (${ONNX_RUNTIME_INSTALL}); without it the import is refused with 400. The version is then deployed, shadowed and rolled back like any other.`,
          querystring: ImportQuery,
          response: responses({ 201: Any, 400: Type.Ref('Error') }),
        },
      },
      async (req, reply) => {
        const appId = writeScope(req, req.query.app);
        const mime = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (mime !== 'application/octet-stream') {
          throw new DomainError('unsupported_media_type', 'send the .onnx file as application/octet-stream');
        }
        const body: unknown = req.body;
        const bytes = Buffer.isBuffer(body) ? new Uint8Array(body) : new Uint8Array(0);
        const q = req.query;
        const m = await models.importOnnx(appId, bytes, {
          name: q.name ?? 'onnx',
          columns: list(q.columns),
          createdBy: actorOf(req),
          ...(q.output !== undefined ? { output: q.output } : {}),
          ...(q.class_index !== undefined ? { classIndex: q.class_index } : {}),
          ...(q.transform !== undefined ? { transform: q.transform } : {}),
          ...(q.missing !== undefined ? { missing: q.missing } : {}),
          ...(q.baseline !== undefined ? { baseline: numbers(q.baseline, 'baseline') } : {}),
          ...(q.file !== undefined ? { file: q.file } : {}),
        });
        return reply.code(201).send(m);
      },
    );

    app.get(
      '/v1/models/jobs/:id',
      {
        ...read,
        schema: {
          tags: ['models'],
          summary: 'Progress of a training job',
          params: IdParams,
          querystring: Type.Object({ app: AppQuery }),
        },
      },
      async (req) => models.job(requiredAppScope(req, req.query.app), req.params.id),
    );

    app.post(
      '/v1/models/rollback',
      {
        ...read,
        schema: {
          tags: ['models'],
          summary: 'Re-deploy the previously deployed version of a model name',
          querystring: Type.Object({ app: AppQuery }),
          body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }),
        },
      },
      async (req) => models.rollback(writeScope(req, req.query.app), req.body.name),
    );

    app.post(
      '/v1/models/deploy',
      {
        ...read,
        schema: {
          tags: ['models'],
          summary: 'Deploy a model version ({model_id})',
          querystring: Type.Object({ app: AppQuery }),
          body: Type.Object({
            model_id: Type.String({ minLength: 1, maxLength: 64 }),
            mode: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('shadow')])),
          }),
        },
      },
      async (req) => {
        const appId = writeScope(req, req.query.app);
        return req.body.mode === 'shadow'
          ? models.shadow(appId, req.body.model_id)
          : models.deploy(appId, req.body.model_id);
      },
    );

    app.get(
      '/v1/models/:id',
      {
        ...read,
        schema: {
          tags: ['models'],
          summary: 'One model version',
          params: IdParams,
          querystring: Type.Object({ app: AppQuery }),
        },
      },
      async (req) => models.get(requiredAppScope(req, req.query.app), req.params.id),
    );

    app.post(
      '/v1/models/:id/deploy',
      {
        ...read,
        schema: {
          tags: ['models'],
          summary: 'Deploy (the previous live version is retired, kept for rollback)',
          params: IdParams,
          querystring: Type.Object({ app: AppQuery }),
        },
      },
      async (req) => models.deploy(writeScope(req, req.query.app), req.params.id),
    );

    app.post(
      '/v1/models/:id/shadow',
      {
        ...read,
        schema: {
          tags: ['models'],
          summary: 'Score in shadow mode (reported in decision.models with live=false, never counted)',
          params: IdParams,
          querystring: Type.Object({ app: AppQuery }),
        },
      },
      async (req) => models.shadow(writeScope(req, req.query.app), req.params.id),
    );

    app.get(
      '/v1/models/:id/performance',
      {
        ...read,
        schema: {
          tags: ['models'],
          summary:
            'Stored evaluation metrics, live score distribution and PSI drift against the training scores',
          params: IdParams,
          querystring: Type.Object({ app: AppQuery, since: Type.Optional(Type.Integer({ minimum: 0 })) }),
        },
      },
      async (req) => models.performance(requiredAppScope(req, req.query.app), req.params.id, req.query.since),
    );

    app.get(
      '/v1/models/:id/report',
      {
        ...read,
        schema: {
          tags: ['models'],
          summary: 'HTML evaluation report of the held-out scores stored at training time',
          description:
            'Four panels (score distributions by class, ROC, PR, confusion matrix) and the metrics table. 404 when the version keeps no held-out scores.',
          params: IdParams,
          querystring: Type.Object({ app: AppQuery }),
        },
      },
      async (req, reply) => {
        const html = await models.report(requiredAppScope(req, req.query.app), req.params.id);
        return reply.type('text/html; charset=utf-8').send(html);
      },
    );

    app.post(
      '/v1/labels',
      {
        ...read,
        schema: {
          tags: ['models'],
          summary:
            'Label feedback for retraining: an event or a user is fraud, chargeback, false_positive or legit',
          querystring: Type.Object({ app: AppQuery }),
          body: Type.Object(
            {
              event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              user: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              label: Type.Union(FEEDBACK_LABELS.map((l) => Type.Literal(l))),
            },
            { additionalProperties: false },
          ),
          response: responses({ 201: Any }),
        },
      },
      async (req, reply) => {
        const appId = writeScope(req, req.query.app);
        const r = await models.label(
          appId,
          {
            label: req.body.label,
            ...(req.body.event_id !== undefined ? { eventId: req.body.event_id } : {}),
            ...(req.body.user !== undefined ? { user: req.body.user } : {}),
          },
          actorOf(req),
        );
        return reply.code(201).send(r);
      },
    );
  };
}
