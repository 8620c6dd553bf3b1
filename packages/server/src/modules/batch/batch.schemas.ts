import { OUTCOMES, RISK_LEVELS } from '@vigil/engine';
import Type from 'typebox';
import { EpochMs, literalUnion } from '../../http/schemas.js';
import { ANALYSIS_OUTPUTS, ANALYSIS_TYPES } from './batch-analyze.js';
import { BATCH_STATUSES } from './batch.store.js';
import { INPUT_FORMATS, RESULT_FORMATS } from './row-scorer.js';

/** Most inline rows `POST /v1/batch/analyze` scores in the request. */
export const MAX_INLINE_ROWS = 10_000;

const counts = <const T extends readonly string[]>(keys: T) =>
  Type.Object(
    Object.fromEntries(keys.map((k) => [k, Type.Integer()])) as Record<
      T[number],
      ReturnType<typeof Type.Integer>
    >,
  );

/** A batch job. */
export const BatchJobSchema = Type.Object({
  id: Type.String(),
  app: Type.String(),
  status: literalUnion([...BATCH_STATUSES]),
  format: literalUnion([...INPUT_FORMATS]),
  total: Type.Integer({ description: 'data rows in the upload' }),
  processed: Type.Integer({ description: 'rows whose results are stored' }),
  scored: Type.Integer(),
  errors: Type.Integer({ description: 'rejected rows (each has its error in the results)' }),
  firstErrors: Type.Array(Type.Object({ line: Type.Integer(), message: Type.String() }), {
    description: 'the first rejected rows, by line',
  }),
  warnings: Type.Array(Type.String(), { description: 'header notes, e.g. ignored columns' }),
  withLabel: Type.Boolean(),
  bytes: Type.Integer(),
  summary: Type.Union([
    Type.Object({ byLevel: counts(RISK_LEVELS), byOutcome: counts(OUTCOMES) }),
    Type.Null(),
  ]),
  message: Type.Union([Type.String(), Type.Null()]),
  createdAt: EpochMs,
  startedAt: Type.Union([EpochMs, Type.Null()]),
  finishedAt: Type.Union([EpochMs, Type.Null()]),
  links: Type.Object({ self: Type.String(), result: Type.String() }),
});

export const BatchListSchema = Type.Object({ items: Type.Array(BatchJobSchema) });

export const BatchIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const BatchUploadQuery = Type.Object(
  {
    app: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'admin keys: the app' })),
    type: Type.Optional(
      Type.String({ minLength: 1, maxLength: 80, description: 'event type of rows without one' }),
    ),
  },
  { additionalProperties: false },
);

export const BatchListQuery = Type.Object(
  {
    app: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);

export const BatchResultQuery = Type.Object(
  { format: Type.Optional(literalUnion([...RESULT_FORMATS])) },
  { additionalProperties: false },
);

/** The ML spec's analyze request. */
export const AnalyzeBodySchema = Type.Object(
  {
    data_source: Type.Union([
      Type.String({ minLength: 1, maxLength: 64, description: 'a batch id' }),
      Type.Object({ batch: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      Type.Object(
        { rows: Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_INLINE_ROWS }) },
        { additionalProperties: false },
      ),
    ]),
    analysis_type: literalUnion([...ANALYSIS_TYPES]),
    models: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 16 })),
    output_format: Type.Optional(literalUnion([...ANALYSIS_OUTPUTS])),
    contamination: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 0.5,
        description: 'classic: share of rows called anomalous (default 0.05)',
      }),
    ),
    app: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'admin keys with inline rows: the app' }),
    ),
  },
  { additionalProperties: false },
);
