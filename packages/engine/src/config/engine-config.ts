import Type from 'typebox';
import Compile from 'typebox/compile';
import { Settings } from 'typebox/system';
import {
  BEHAVIOR_DEFAULTS,
  BehaviorOptionsSchema,
  type BehaviorOverrides,
} from '../detectors/behavior/index.js';
import { createCatalogue } from '../detectors/catalogue.js';
import { LISTS_DEFAULTS, ListsOptionsSchema, type ListsOptions } from '../detectors/lists/index.js';
import { MAF_DEFAULTS, MafOptionsSchema, type MafOverrides } from '../detectors/maf/index.js';
import { ORACLE_DEFAULTS, OracleOptionsSchema, type OracleOptionsInput } from '../detectors/oracle/index.js';
import { SHIELD_DEFAULTS, ShieldOptionsSchema, type ShieldOptionsInput } from '../detectors/shield/index.js';
import type { Problem, Validated } from '../events/validate-event.js';
import { compileRules, RuleDefSchema, type RuleDef } from '../rules/index.js';
import { DEFAULT_POLICY_CONFIG, PolicySchemas, type PolicyConfig } from './policy-config.js';

/**
 * Options of every built-in detector group, as an app configures them (each field optional; the
 * defaults hold the full values), plus detector ids to switch off.
 * @example const d: DetectorsConfig = { ...DEFAULT_ENGINE_CONFIG.detectors, disabled: ['oracle.timing'] };
 */
export interface DetectorsConfig {
  readonly behavior: BehaviorOverrides;
  readonly maf: MafOverrides;
  readonly shield: ShieldOptionsInput;
  readonly oracle: OracleOptionsInput;
  readonly lists: Partial<ListsOptions>;
  /** Ids of catalogue detectors that do not run (e.g. 'oracle.timing'). */
  readonly disabled: readonly string[];
}

/**
 * One app's engine configuration: the decision policy (combination, levels, flags, tier matrix,
 * access, captcha, model modes, explanation), detector options and the app's rules.
 * @example const cfg: EngineConfig = { ...DEFAULT_ENGINE_CONFIG, combination: { ...DEFAULT_ENGINE_CONFIG.combination, method: 'max' } };
 */
export interface EngineConfig extends PolicyConfig {
  readonly detectors: DetectorsConfig;
  /** Analyst rules (CEL), validated and compiled by `compileRules`. */
  readonly rules: readonly RuleDef[];
}

const Closed = { additionalProperties: false } as const;

/**
 * JSON Schema of a complete {@link EngineConfig} (the server's config API and OpenAPI use it).
 * `parseEngineConfig` also checks what a schema cannot: ascending bands, tier-matrix rules, rule
 * expressions and detector ids.
 * @example Compile(EngineConfigSchema).Check(DEFAULT_ENGINE_CONFIG); // true
 */
export const EngineConfigSchema = Type.Object(
  {
    ...PolicySchemas,
    detectors: Type.Object(
      {
        behavior: BehaviorOptionsSchema,
        maf: MafOptionsSchema,
        shield: ShieldOptionsSchema,
        oracle: OracleOptionsSchema,
        lists: ListsOptionsSchema,
        disabled: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 200 }),
      },
      Closed,
    ),
    rules: Type.Array(RuleDefSchema, { maxItems: 1000 }),
  },
  Closed,
);

/**
 * The configuration every app starts from: the specs' policy defaults, every detector group's
 * defaults, nothing disabled, no rules.
 * @example DEFAULT_ENGINE_CONFIG.levels.outcomes.CRITICAL; // 'block'
 */
export const DEFAULT_ENGINE_CONFIG: EngineConfig = deepFreeze({
  ...DEFAULT_POLICY_CONFIG,
  detectors: {
    behavior: BEHAVIOR_DEFAULTS,
    maf: MAF_DEFAULTS,
    shield: SHIELD_DEFAULTS,
    oracle: ORACLE_DEFAULTS,
    lists: LISTS_DEFAULTS,
    disabled: [],
  },
  rules: [],
});

const checker = Compile(EngineConfigSchema);
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Deeper input is rejected (a configuration is a few levels deep; this also stops cycles). */
const MAX_DEPTH = 16;
/** Schema errors gathered per parse: every problem, but bounded against hostile input. */
const MAX_SCHEMA_ERRORS = 1000;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Deep merge for configuration: objects merge key by key, anything else (arrays included)
 * replaces the base; `undefined` keeps the base. Keys that could pollute prototypes are reported.
 */
function merge(base: unknown, over: unknown, path: string, problems: Problem[], depth = 0): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(over) || !isPlainObject(base)) return copy(over, path, problems, depth);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (FORBIDDEN_KEYS.has(k)) {
      problems.push({ path: `${path}/${k}`, message: 'unknown field' });
      continue;
    }
    out[k] = merge(base[k], v, `${path}/${k}`, problems, depth + 1);
  }
  return out;
}

/** A copy of caller data, so freezing the configuration never freezes the caller's objects. */
function copy(x: unknown, path: string, problems: Problem[], depth: number): unknown {
  if (typeof x !== 'object' || x === null) return x;
  if (depth > MAX_DEPTH) {
    problems.push({ path, message: `nested deeper than ${MAX_DEPTH} levels` });
    return undefined;
  }
  if (Array.isArray(x)) return x.map((v, i) => copy(v, `${path}/${i}`, problems, depth + 1));
  if (!isPlainObject(x)) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (FORBIDDEN_KEYS.has(k)) problems.push({ path: `${path}/${k}`, message: 'unknown field' });
    else out[k] = copy(v, `${path}/${k}`, problems, depth + 1);
  }
  return out;
}

/** Schema errors as problems: one per path, unions and enums summarised as their allowed values. */
function schemaProblems(value: unknown): Problem[] {
  const problems: Problem[] = [];
  const allowed = new Map<string, unknown[]>();
  // TypeBox buffers 8 errors by default (a global setting); one enum mismatch alone can fill that
  // with its per-literal errors. Raise it for this synchronous call only.
  const previous = Settings.Get().maxErrors;
  let errors: ReturnType<typeof checker.Errors>;
  try {
    Settings.Set({ maxErrors: MAX_SCHEMA_ERRORS });
    errors = checker.Errors(value);
  } finally {
    Settings.Set({ maxErrors: previous });
  }
  for (const e of errors) {
    if (e.keyword === 'const') {
      const list = allowed.get(e.instancePath) ?? [];
      list.push(Reflect.get(e.params, 'allowedValue'));
      allowed.set(e.instancePath, list);
    }
  }
  const seen = new Set<string>();
  for (const e of errors) {
    const path = e.instancePath === '' ? '/' : e.instancePath;
    let msg: string;
    if (e.keyword === 'additionalProperties' || e.keyword === 'const') continue;
    if (e.message === 'schema is false') msg = 'unknown field';
    else if (e.keyword === 'anyOf' && allowed.has(e.instancePath))
      msg = `must be one of ${(allowed.get(e.instancePath) ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    else if (e.keyword === 'enum') {
      const values: unknown = Reflect.get(e.params, 'allowedValues');
      msg = Array.isArray(values)
        ? `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`
        : e.message;
    } else msg = e.message;
    const key = `${path}\n${msg}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message: msg });
  }
  return problems;
}

function ascending(
  problems: Problem[],
  path: string,
  names: readonly string[],
  values: readonly number[],
): void {
  for (let i = 1; i < values.length; i++) {
    const a = values[i - 1] ?? 0;
    const b = values[i] ?? 0;
    if (!(a < b)) {
      problems.push({
        path: `${path}/${names[i] ?? ''}`,
        message: `must be greater than ${names[i - 1] ?? ''} (${a})`,
      });
    }
  }
}

/** Checks a schema-valid configuration for what the schema cannot express. */
function semanticProblems(c: EngineConfig): Problem[] {
  const problems: Problem[] = [];
  const b = c.levels.bands;
  ascending(
    problems,
    '/levels/bands',
    ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
    [b.LOW, b.MEDIUM, b.HIGH, b.CRITICAL],
  );
  ascending(problems, '/flags', ['yellow', 'red'], [c.flags.yellow, c.flags.red]);
  const eb = c.enforcement.bands;
  ascending(
    problems,
    '/enforcement/bands',
    ['elevated', 'high', 'severe'],
    [eb.elevated, eb.high, eb.severe],
  );
  const a = c.access;
  ascending(problems, '/access', ['limited', 'restricted', 'full'], [a.limited, a.restricted, a.full]);
  for (const [tier, row] of Object.entries(c.enforcement.tiers)) {
    for (const band of ['elevated', 'high', 'severe'] as const) {
      const cell = row[band];
      const path = `/enforcement/tiers/${tier}/${band}`;
      if (cell.action === 'temp_suspend' && !(cell.durationMs !== undefined && cell.durationMs > 0))
        problems.push({ path: `${path}/durationMs`, message: 'a temp_suspend needs a duration (ms > 0)' });
      if (cell.action === 'permanent_ban' && (tier === 'vip' || tier === 'platinum') && !cell.review)
        problems.push({
          path: `${path}/review`,
          message: `a permanent ban of a ${tier} user needs human approval (review: true)`,
        });
    }
  }
  const rules = compileRules(c.rules);
  // compileRules already reports paths as /rules/<index>/<field>.
  if (!rules.ok)
    for (const p of rules.problems)
      problems.push({ path: p.path.startsWith('/rules') ? p.path : `/rules${p.path}`, message: p.message });
  else {
    try {
      const ids = new Set(
        createCatalogue({ ...c, detectors: { ...c.detectors, disabled: [] } }).map((d) => d.id),
      );
      c.detectors.disabled.forEach((id, i) => {
        if (!ids.has(id))
          problems.push({
            path: `/detectors/disabled/${i}`,
            message: `unknown detector '${id}' (known: ${[...ids].join(', ')})`,
          });
      });
    } catch (err) {
      problems.push({
        path: '/detectors',
        message: err instanceof Error ? err.message : 'invalid detector options',
      });
    }
  }
  return problems;
}

function deepFreeze<T>(x: T): T {
  if (typeof x !== 'object' || x === null) return x;
  for (const v of Object.values(x)) deepFreeze(v);
  return Object.freeze(x);
}

/**
 * Validates an app's configuration: deep-merges the input over {@link DEFAULT_ENGINE_CONFIG}
 * (objects key by key, arrays replaced), checks the result against {@link EngineConfigSchema} and
 * the rules a schema cannot express (ascending bands, a duration for every temp suspend, human
 * approval for a VIP/platinum permanent ban, compilable rules, known detector ids), and lists
 * every problem with its path. Never throws. The value is deeply frozen.
 * @example
 * const r = parseEngineConfig({ combination: { method: 'max' }, enforcement: { bands: { elevated: 0.5 } } });
 * if (!r.ok) console.log(r.problems); // [{ path: '/enforcement/...', message: '...' }]
 */
export function parseEngineConfig(input: unknown): Validated<EngineConfig> {
  try {
    if (input !== undefined && input !== null && !isPlainObject(input))
      return { ok: false, problems: [{ path: '/', message: 'must be an object' }] };
    const problems: Problem[] = [];
    const merged = merge(DEFAULT_ENGINE_CONFIG, input ?? {}, '', problems);
    if (!checker.Check(merged)) {
      problems.push(...schemaProblems(merged));
      if (problems.length === 0) problems.push({ path: '/', message: 'invalid configuration' });
      return { ok: false, problems };
    }
    problems.push(...semanticProblems(merged));
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, value: deepFreeze(merged) };
  } catch (err) {
    return {
      ok: false,
      problems: [
        {
          path: '/',
          message: `invalid configuration: ${err instanceof Error ? err.message : 'unknown error'}`,
        },
      ],
    };
  }
}
