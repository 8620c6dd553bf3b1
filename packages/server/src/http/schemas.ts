import Type, { type TSchema } from 'typebox';

/** The error body every route documents. */
export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'Machine-readable code, e.g. validation_failed' }),
    message: Type.String(),
    details: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
  },
  { $id: 'Error', description: 'Every 4xx/5xx answer has this shape' },
);

const errorRef = Type.Ref('Error');

/** Standard error responses for a route, plus its success responses. */
export function responses<T extends Record<number, TSchema>>(ok: T) {
  return {
    ...ok,
    400: errorRef,
    401: errorRef,
    403: errorRef,
    404: errorRef,
    429: errorRef,
  };
}

/** A string enum from an `as const` vocabulary. @example literalUnion(['a', 'b']) */
export function literalUnion<const T extends string[]>(
  values: readonly [...T],
  opts: { description?: string } = {},
) {
  return Type.Enum(values, opts);
}

/** Epoch milliseconds. */
export const EpochMs = Type.Integer({ minimum: 0, description: 'epoch milliseconds' });
