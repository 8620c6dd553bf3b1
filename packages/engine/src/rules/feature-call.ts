import { MONEY_EVENT_TYPES, isEventType, type EventType } from '../events/event-types.js';
import { ENTITY_KINDS, type EntityKind } from '../features/entities.js';
import {
  DAY,
  HOUR,
  MINUTE,
  SECOND,
  count,
  distinct,
  sum,
  type CountSpec,
  type DistinctSpec,
  type SumSpec,
} from '../features/feature-spec.js';

/** Feature functions a rule may call; each call becomes one feature of the plan. @example FEATURE_FUNCTIONS.includes('count'); // true */
export const FEATURE_FUNCTIONS = ['count', 'sum', 'distinct'] as const;
export type FeatureFunction = (typeof FEATURE_FUNCTIONS)[number];

/** The spec a feature call asks for. @example const s: FeatureCallSpec = count({ entity: 'ip', window: HOUR }); */
export type FeatureCallSpec = CountSpec | SumSpec | DistinctSpec;

/** Longest window a rule may ask for (a feature store keeps at most this much history). @example MAX_FEATURE_WINDOW_MS / DAY; // 90 */
export const MAX_FEATURE_WINDOW_MS = 90 * DAY;

const UNITS: ReadonlyMap<string, number> = new Map([
  ['ms', 1],
  ['s', SECOND],
  ['m', MINUTE],
  ['h', HOUR],
  ['d', DAY],
  ['w', 7 * DAY],
]);
const DURATION_RE = /^(\d{1,6})(ms|s|m|h|d|w)$/;
const ENTITIES = new Set<string>(ENTITY_KINDS);

/**
 * Parses a rule duration: a whole number and a unit among ms, s, m, h, d, w.
 * @example parseDuration('24h'); // 86400000
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNITS.get(m[2] ?? '') ?? 0);
  return ms > 0 ? ms : undefined;
}

function isEntity(x: string): x is EntityKind {
  return ENTITIES.has(x);
}

function isFeatureFunction(x: string): x is FeatureFunction {
  return (FEATURE_FUNCTIONS as readonly string[]).includes(x);
}

/**
 * Parses an event-type filter: one type, several joined by `|`, `money` (payment, transfer,
 * withdrawal) or `any` / `*` (every type).
 */
function parseTypes(text: string): readonly EventType[] | string | undefined {
  if (text === 'any' || text === '*') return undefined;
  const out: EventType[] = [];
  for (const raw of text.split('|')) {
    const t = raw.trim();
    if (t === 'money') out.push(...MONEY_EVENT_TYPES);
    else if (isEventType(t)) out.push(t);
    else return `unknown event type '${t}' (use a built-in type, custom:<name>, money or any)`;
  }
  return [...new Set(out)];
}

/** A parsed feature call. @example const c: FeatureCall = { fn: 'count', label: 'count(ip, 1h)', spec: count({ entity: 'ip', window: HOUR }) }; */
export interface FeatureCall {
  readonly fn: FeatureFunction;
  readonly spec: FeatureCallSpec;
  /** The call as written, normalised (`count(user, payment, 1h)`): the label used in evidence. */
  readonly label: string;
}

/**
 * Parses the arguments of a feature call (the text between the parentheses):
 * - `count(entity[, types], window)`: events of the entity in the window, the current one included;
 * - `sum(entity[, types], window)`: total `amount` of the entity's events in the window;
 * - `distinct(of, entity[, types], window)`: distinct values of `of` seen with the current
 *   `entity` in the window (`distinct(device, user, 1d)`: devices this user used today).
 * Entities are {@link ENTITY_KINDS}; types as in `payment`, `payment|transfer`, `money`, `any`.
 * @example parseFeatureCall('count', 'user, payment, 1h'); // { ok: true, value: { spec: count({...}), ... } }
 */
export function parseFeatureCall(
  fn: string,
  argText: string,
): { readonly ok: true; readonly value: FeatureCall } | { readonly ok: false; readonly message: string } {
  const bad = (message: string) => ({ ok: false as const, message: `${fn}(${argText.trim()}): ${message}` });
  if (!isFeatureFunction(fn)) return bad(`unknown feature function '${fn}'`);
  const args = argText.split(',').map((a) => a.trim());
  const entityArgs = fn === 'distinct' ? 2 : 1;
  if (args.length < entityArgs + 1 || args.length > entityArgs + 2) {
    const usage =
      fn === 'distinct' ? 'distinct(of, entity[, types], window)' : `${fn}(entity[, types], window)`;
    return bad(`expected ${usage}`);
  }
  const entities: EntityKind[] = [];
  for (const a of args.slice(0, entityArgs)) {
    if (!isEntity(a)) return bad(`unknown entity '${a}' (one of ${ENTITY_KINDS.join(', ')})`);
    entities.push(a);
  }
  const windowText = args[args.length - 1] ?? '';
  const window = parseDuration(windowText);
  if (window === undefined)
    return bad(
      `'${windowText}' is not a duration (a whole number and ms, s, m, h, d or w, e.g. 30s 5m 1h 7d)`,
    );
  if (window > MAX_FEATURE_WINDOW_MS) return bad(`window ${windowText} is longer than 90 days`);
  let types: readonly EventType[] | undefined;
  if (args.length === entityArgs + 2) {
    const t = parseTypes(args[entityArgs] ?? '');
    if (typeof t === 'string') return bad(t);
    types = t;
  }
  const label = `${fn}(${args.join(', ')})`;
  const first = entities[0] ?? 'user';
  const withTypes = types === undefined ? {} : { types };
  switch (fn) {
    case 'count':
      return { ok: true, value: { fn, label, spec: count({ entity: first, window, ...withTypes }) } };
    case 'sum':
      return {
        ok: true,
        value: { fn, label, spec: sum({ entity: first, field: 'amount', window, ...withTypes }) },
      };
    case 'distinct':
      return {
        ok: true,
        value: {
          fn,
          label,
          spec: distinct({ entity: entities[1] ?? 'user', of: first, window, ...withTypes }),
        },
      };
  }
}
