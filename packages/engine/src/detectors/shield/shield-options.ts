import Type from 'typebox';
import { BUILTIN_EVENT_TYPES } from '../../events/event-types.js';

/**
 * Schema of an optional on/off switch for one detector.
 * @example Type.Object({ enabled: optEnabled() })
 */
export const optEnabled = () =>
  Type.Optional(Type.Boolean({ description: 'Run this detector (default true)' }));

/**
 * Schema of an optional number in 0..1 (scores, shares, ratios).
 * @example Type.Object({ impact: optUnit('Highest score') })
 */
export const optUnit = (description: string) =>
  Type.Optional(Type.Number({ minimum: 0, maximum: 1, description }));

/**
 * Schema of an optional number > 0 (thresholds, speeds, factors).
 * @example Type.Object({ maxSpeedKmh: optPositive('Fastest plausible travel') })
 */
export const optPositive = (description: string) =>
  Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e12, description }));

/**
 * Schema of an optional whole number >= 1 (counts).
 * @example Type.Object({ minAccounts: optCount('Accounts that make a device shared') })
 */
export const optCount = (description: string) =>
  Type.Optional(Type.Integer({ minimum: 1, maximum: 1e9, description }));

/**
 * Schema of an optional duration in milliseconds (1 s .. 400 days).
 * @example Type.Object({ windowMs: optDuration('Window') })
 */
export const optDuration = (description: string) =>
  Type.Optional(Type.Integer({ minimum: 1000, maximum: 400 * 86_400_000, description }));

/**
 * Schema of an optional hour of the day (0..23).
 * @example Type.Object({ nightStartHour: optHour('First night hour') })
 */
export const optHour = (description: string) =>
  Type.Optional(Type.Integer({ minimum: 0, maximum: 23, description }));

/**
 * Schema of an optional, non-empty list of built-in event types.
 * @example Type.Object({ types: optEventTypes('Event types checked') })
 */
export const optEventTypes = (description: string) =>
  Type.Optional(
    Type.Array(Type.Union(BUILTIN_EVENT_TYPES.map((t) => Type.Literal(t))), {
      minItems: 1,
      maxItems: 64,
      uniqueItems: true,
      description,
    }),
  );

/**
 * Schema of an optional list of short strings (labels, patterns).
 * @example Type.Object({ listLabels: optStrings('Labels that count') })
 */
export const optStrings = (description: string) =>
  Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 256, description }));

/**
 * Shallow merge of a detector's defaults with an app's overrides; `undefined` values keep the
 * default (JavaScript callers may pass them despite the types). The result is frozen.
 * @example mergeOptions({ a: 1, b: 2 }, { b: 3 }); // { a: 1, b: 3 }
 */
export function mergeOptions<T extends object>(defaults: T, patch: Partial<T> | undefined): Readonly<T> {
  const out: T = { ...defaults };
  if (patch !== undefined) {
    for (const k of Object.keys(patch)) {
      if (!Object.prototype.hasOwnProperty.call(defaults, k)) continue;
      const key = k as keyof T;
      const v = patch[key];
      if (v !== undefined) out[key] = v;
    }
  }
  return Object.freeze(out);
}
