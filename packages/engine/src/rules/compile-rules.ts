import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import Compile from 'typebox/compile';
import type { Detector, DetectorContext, DetectorOutput } from '../detectors/detector.js';
import {
  severityOf,
  type EvidenceValue,
  type Outcome,
  type Severity,
  type Signal,
} from '../detectors/signal.js';
import type { AttrValue, VigilEvent } from '../events/event.js';
import type { Problem, Validated } from '../events/validate-event.js';
import type { FeatureSpec } from '../features/feature-spec.js';
import { FEATURE_FUNCTIONS, parseFeatureCall, type FeatureCall } from './feature-call.js';
import { formatRuleValue, parseTemplate } from './reason-template.js';
import { ATTR_REQUIREMENT_PREFIX, requiredInputs } from './rule-requirements.js';
import { tokenize, type Token } from './rule-tokenizer.js';
import { RULE_SLOTS, featureCallSlot, type RuleSlot } from './rule-variables.js';
import { RULE_LIMITS, RuleDefSchema, ruleOutcome, type RuleDef } from './rule.schema.js';
import { checkRegex } from './safe-regex.js';

/** A validated rule set, ready to run. @example const { detector, features } = compiled; compilePlan(features); */
export interface CompiledRules {
  /** The definitions, as given (disabled ones included). */
  readonly defs: readonly RuleDef[];
  /** Every feature the enabled rules read (named features and feature calls), each once. */
  readonly features: readonly FeatureSpec[];
  /** Detector `rules`: one signal `rule.<id>` per enabled rule that is true for the event. */
  readonly detector: Detector;
}

const ruleChecker = Compile(RuleDefSchema);
const FILE_KEYS = new Set(['rules', '$schema', 'description']);
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CALL_RE = /^([a-z]+)\s*\(([^()]*)\)$/;
const INTERNAL_RE = /_(?:[fr]\d+_*|ty_)/g;

/**
 * Rule variables whose names CEL itself reserves (`type` is the type of types), with the
 * same-length internal name the rewriter substitutes.
 */
const RENAMED: ReadonlyMap<string, string> = new Map([['type', '_ty_']]);
const celName = (name: string): string => RENAMED.get(name) ?? name;

let baseEnv: Environment | undefined;

/** The CEL environment with every named variable declared; built once, cloned per rule set. */
function getBaseEnv(): Environment {
  if (baseEnv) return baseEnv;
  const env = new Environment({
    limits: { maxDepth: RULE_LIMITS.maxDepth, maxAstNodes: RULE_LIMITS.maxAstNodes },
  });
  for (const s of RULE_SLOTS) env.registerVariable(celName(s.info.name), s.info.type);
  // `amount == 100` reads naturally; CEL has no double == int overload of its own. Registering
  // it also registers the mirrored and != forms.
  env.registerOperator('double == int', (a: number, b: bigint) => a === Number(b));
  baseEnv = env;
  return env;
}

/** Everything the rule set shares while it is being compiled. */
interface Registry {
  readonly slots: RuleSlot[];
  readonly slotByName: Map<string, number>;
  readonly slotByKey: Map<string, number>;
  /** CEL variable names (aliases) of each slot. */
  readonly aliases: Map<number, string[]>;
  readonly regexes: { readonly name: string; readonly re: RegExp }[];
  /** Internal identifier -> what the author wrote, for error messages. */
  readonly labels: Map<string, string>;
  counter: number;
}

function internalName(prefix: string, k: number, len: number): string {
  const base = `${prefix}${k}`;
  return base + '_'.repeat(Math.max(0, len - base.length));
}

function featureSlot(reg: Registry, call: FeatureCall, alias: string | undefined): number {
  let idx = reg.slotByKey.get(call.spec.key);
  if (idx === undefined) {
    idx = reg.slots.length;
    const name = alias ?? internalName('_f', reg.counter++, 0);
    reg.slots.push(featureCallSlot(call, name));
    reg.slotByKey.set(call.spec.key, idx);
    reg.aliases.set(idx, [name]);
    reg.labels.set(name, call.label);
  } else if (alias !== undefined) {
    reg.aliases.get(idx)?.push(alias);
    reg.labels.set(alias, call.label);
  }
  return idx;
}

function decodeStringLiteral(text: string): string | undefined {
  try {
    const v: unknown = getBaseEnv().evaluate(text);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Result of rewriting one expression for CEL. */
interface Rewritten {
  /** Same length as the source: feature calls and `matches` calls replaced by internal names. */
  readonly expression: string;
  /** Slots the expression reads. */
  readonly used: ReadonlySet<number>;
}

function at(src: string, pos: number): string {
  if (pos >= src.trimEnd().length) return 'at the end of the expression';
  const near = src.slice(pos, pos + 30);
  return `at column ${pos + 1} ('${near}${src.length > pos + 30 ? '...' : ''}')`;
}

const ruleIndex = (p: Problem): number => Number(/^\/rules\/(\d+)/.exec(p.path)?.[1] ?? -1);

/**
 * Finds feature calls and `matches` patterns with the tokenizer (never inside string literals,
 * never as methods like `list.sum()`), turns them into variables / precompiled regex functions
 * of exactly the same length (so CEL error positions still point into the author's text), and
 * notes which named variables the expression reads.
 */
function rewrite(
  src: string,
  reg: Registry,
): { ok: true; value: Rewritten } | { ok: false; message: string } {
  const lexed = tokenize(src);
  if (!lexed.ok) return { ok: false, message: `${lexed.message} ${at(src, lexed.at)}` };
  const tokens = lexed.tokens;
  const used = new Set<number>();
  let out = '';
  let cursor = 0;
  const punct = (t: Token | undefined, text: string): boolean => t?.kind === 'punct' && t.text === text;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (tok?.kind !== 'ident') continue;
    const afterDot = punct(tokens[i - 1], '.');
    const isCall = punct(tokens[i + 1], '(');
    if (tok.text === 'matches' && isCall) {
      const lit = tokens[i + 2];
      const close = tokens[i + 3];
      const dot = tokens[i - 1];
      if (!afterDot || !dot || lit?.kind !== 'string' || !punct(close, ')') || !close)
        return {
          ok: false,
          message: `matches() takes one string literal pattern: value.matches("^abc") ${at(src, tok.start)}`,
        };
      const pattern = decodeStringLiteral(lit.text);
      if (pattern === undefined)
        return { ok: false, message: `matches() pattern must be a string ${at(src, lit.start)}` };
      const unsafe = checkRegex(pattern);
      if (unsafe !== undefined)
        return { ok: false, message: `matches() pattern rejected: ${unsafe} ${at(src, lit.start)}` };
      const span = close.end - dot.start;
      const name = internalName('_r', reg.counter++, span - 3);
      reg.regexes.push({ name, re: new RegExp(pattern) });
      reg.labels.set(name, `matches(${lit.text})`);
      out += `${src.slice(cursor, dot.start)}.${name}()`;
      cursor = close.end;
      i += 3;
      continue;
    }
    if (afterDot) continue;
    if (tok.text.startsWith('_'))
      return { ok: false, message: `identifiers starting with '_' are reserved ${at(src, tok.start)}` };
    if (isCall && (FEATURE_FUNCTIONS as readonly string[]).includes(tok.text)) {
      let j = i + 2;
      while (j < tokens.length && !punct(tokens[j], ')')) {
        if (punct(tokens[j], '('))
          return {
            ok: false,
            message: `unexpected '(' inside ${tok.text}() ${at(src, tokens[j]?.start ?? 0)}`,
          };
        j++;
      }
      const close = tokens[j];
      const open = tokens[i + 1];
      if (!close || !open) return { ok: false, message: `unclosed ${tok.text}( ${at(src, tok.start)}` };
      const call = parseFeatureCall(tok.text, src.slice(open.end, close.start));
      if (!call.ok) return { ok: false, message: `${call.message} ${at(src, tok.start)}` };
      const name = internalName('_f', reg.counter++, close.end - tok.start);
      used.add(featureSlot(reg, call.value, name));
      out += src.slice(cursor, tok.start) + name;
      cursor = close.end;
      i = j;
      continue;
    }
    const named = isCall ? undefined : reg.slotByName.get(tok.text);
    if (named === undefined) continue;
    used.add(named);
    const renamed = RENAMED.get(tok.text);
    if (renamed !== undefined) {
      out += src.slice(cursor, tok.start) + renamed;
      cursor = tok.end;
    }
  }
  out += src.slice(cursor);
  return { ok: true, value: { expression: out, used } };
}

/** A placeholder of a reason: a slot, or an attribute read at render time. */
type ReasonPart = { readonly text: string } | { readonly slot: number } | { readonly attr: string };

function compileReason(
  text: string,
  reg: Registry,
): { ok: true; parts: readonly ReasonPart[]; used: readonly number[] } | { ok: false; message: string } {
  const parts: ReasonPart[] = [];
  const used: number[] = [];
  for (const p of parseTemplate(text)) {
    if (p.kind === 'text') {
      parts.push({ text: p.text });
      continue;
    }
    const ref = p.ref;
    if (ref.startsWith(ATTR_REQUIREMENT_PREFIX) && ref.length > ATTR_REQUIREMENT_PREFIX.length) {
      parts.push({ attr: ref.slice(ATTR_REQUIREMENT_PREFIX.length) });
      continue;
    }
    const named = IDENT_RE.test(ref) ? reg.slotByName.get(ref) : undefined;
    if (named !== undefined && ref !== 'attrs') {
      parts.push({ slot: named });
      used.push(named);
      continue;
    }
    const m = CALL_RE.exec(ref);
    if (m) {
      const call = parseFeatureCall(m[1] ?? '', m[2] ?? '');
      if (!call.ok) return { ok: false, message: `placeholder {{${ref}}}: ${call.message}` };
      const idx = featureSlot(reg, call.value, undefined);
      parts.push({ slot: idx });
      used.push(idx);
      continue;
    }
    return {
      ok: false,
      message: `unknown placeholder {{${ref}}} (use a rule variable, attrs.<key> or a feature call)`,
    };
  }
  return { ok: true, parts, used };
}

function errorText(err: unknown, src: string, reg: Registry): string {
  let summary = 'invalid expression';
  let start: number | undefined;
  if (err instanceof Error) {
    const s: unknown = Reflect.get(err, 'summary');
    summary = typeof s === 'string' && s !== '' ? s : (err.message.split('\n')[0] ?? err.message);
    const range: unknown = Reflect.get(err, 'range');
    if (typeof range === 'object' && range !== null) {
      const st: unknown = Reflect.get(range, 'start');
      if (typeof st === 'number') start = st;
    }
  }
  summary = summary.replace(INTERNAL_RE, (name) => reg.labels.get(name) ?? name);
  return start === undefined ? summary : `${summary} ${at(src, start)}`;
}

/** One rule ready to run. */
interface RunnableRule {
  readonly def: RuleDef;
  readonly program: ParseResult;
  readonly requiredVars: readonly string[];
  readonly requiredAttrs: readonly string[];
  readonly code: string;
  readonly severity: Severity;
  readonly outcome: Outcome | undefined;
  readonly evidenceSlots: readonly number[];
  readonly reason: readonly ReasonPart[] | undefined;
  /** Every slot the expression and the reason read. */
  readonly slots: readonly number[];
}

function rulesOf(input: unknown, problems: Problem[]): readonly unknown[] | undefined {
  if (Array.isArray(input)) {
    const rows: readonly unknown[] = input;
    return rows;
  }
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const rules: unknown = Reflect.get(input, 'rules');
    for (const k of Object.keys(input))
      if (!FILE_KEYS.has(k)) problems.push({ path: `/${k}`, message: 'unknown field' });
    if (Array.isArray(rules)) {
      const rows: readonly unknown[] = rules;
      return rows;
    }
  }
  problems.push({ path: '/', message: 'expected an array of rules or { "rules": [...] }' });
  return undefined;
}

function evidenceValue(v: unknown): EvidenceValue {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  return null;
}

function attrText(attrs: Readonly<Record<string, AttrValue>> | undefined, key: string): string {
  if (attrs === undefined || !Object.prototype.hasOwnProperty.call(attrs, key)) return 'n/a';
  return formatRuleValue(attrs[key]);
}

/**
 * Validates and compiles a rule set: the JSON shape of every rule, unique ids, and every
 * expression (parsed and type-checked against the declared variables, feature calls resolved,
 * `matches` patterns checked for catastrophic backtracking). Accepts an array of rules or
 * `{ "rules": [...] }`; problem paths always read `/rules/<index>/<field>`. Never throws.
 *
 * Variables: `type amount currency user tier ip device country email_domain merchant wallet
 * counterparty hour attrs`, the named features `transactions_per_hour distance_from_home_km
 * account_age_days` (see RULE_VARIABLES), and feature calls `count(entity[, types], window)`,
 * `sum(entity[, types], window)`, `distinct(of, entity[, types], window)`. A rule that needs a
 * value the event lacks (no amount, first event of a user, ...) or that errors is false.
 * `distance_from_home_km` approximates "home" by the user's last known location (the previous
 * event with a geo) unless the event carries `attrs.home_lat` / `attrs.home_lon`.
 * @example
 * const r = compileRules({ rules: [{ id: 'big', expression: 'amount > 10000', score: 0.8, action: 'flag_for_review' }] });
 * if (r.ok) engineDetectors.push(r.value.detector); else console.log(r.problems); // [{ path: '/rules/0/expression', message }]
 */
export function compileRules(input: unknown): Validated<CompiledRules> {
  const problems: Problem[] = [];
  const list = rulesOf(input, problems);
  if (!list) return { ok: false, problems };
  if (list.length > RULE_LIMITS.maxRules)
    return { ok: false, problems: [{ path: '/rules', message: `at most ${RULE_LIMITS.maxRules} rules` }] };

  const reg: Registry = {
    slots: [...RULE_SLOTS],
    slotByName: new Map(RULE_SLOTS.map((s, i) => [s.info.name, i])),
    slotByKey: new Map(),
    aliases: new Map(RULE_SLOTS.map((s, i) => [i, [celName(s.info.name)]])),
    regexes: [],
    labels: new Map([...RENAMED].map(([name, internal]) => [internal, name])),
    counter: 0,
  };
  const ids = new Map<string, number>();
  const prepared: {
    index: number;
    def: RuleDef;
    rewritten: Rewritten;
    reason: { parts: readonly ReasonPart[]; used: readonly number[] } | undefined;
  }[] = [];

  list.forEach((raw, index) => {
    const path = `/rules/${index}`;
    if (!ruleChecker.Check(raw)) {
      const errs = ruleChecker
        .Errors(raw)
        .filter((e) => e.message !== 'must not have additional properties')
        .map((e) => ({
          path: `${path}${e.instancePath}`,
          message: e.message === 'schema is false' ? 'unknown field' : e.message,
        }));
      problems.push(...(errs.length > 0 ? errs : [{ path, message: 'invalid rule' }]));
      return;
    }
    const def = raw;
    const seen = ids.get(def.id);
    if (seen !== undefined)
      problems.push({ path: `${path}/id`, message: `duplicate rule id '${def.id}' (also /rules/${seen})` });
    else ids.set(def.id, index);
    const rw = rewrite(def.expression, reg);
    if (!rw.ok) {
      problems.push({ path: `${path}/expression`, message: rw.message });
      return;
    }
    let reason: { parts: readonly ReasonPart[]; used: readonly number[] } | undefined;
    if (def.reason !== undefined) {
      const r = compileReason(def.reason, reg);
      if (!r.ok) problems.push({ path: `${path}/reason`, message: r.message });
      else reason = r;
    }
    prepared.push({ index, def, rewritten: rw.value, reason });
  });

  const env = getBaseEnv().clone();
  reg.slots.forEach((s, i) => {
    if (i < RULE_SLOTS.length) return;
    for (const name of reg.aliases.get(i) ?? []) env.registerVariable(name, s.info.type);
  });
  for (const { name, re } of reg.regexes)
    env.registerFunction(`string.${name}(): bool`, (s: string) => re.test(s));

  const nullable = new Set<string>();
  reg.slots.forEach((s, i) => {
    if (s.info.optional) for (const n of reg.aliases.get(i) ?? []) nullable.add(n);
  });

  const runnable: RunnableRule[] = [];
  for (const p of prepared) {
    const path = `/rules/${p.index}/expression`;
    const src = p.def.expression;
    let program: ParseResult;
    try {
      program = env.parse(p.rewritten.expression);
    } catch (err) {
      problems.push({ path, message: errorText(err, src, reg) });
      continue;
    }
    const checked = program.check();
    if (!checked.valid) {
      problems.push({ path, message: errorText(checked.error, src, reg) });
      continue;
    }
    if (checked.type !== 'bool' && checked.type !== 'dyn') {
      problems.push({
        path,
        message: `a rule must be a boolean expression; this one is ${checked.type ?? 'unknown'}`,
      });
      continue;
    }
    const required = requiredInputs(program.ast, nullable);
    const attrsSlot = reg.slotByName.get('attrs');
    runnable.push({
      def: p.def,
      program,
      requiredVars: [...required].filter((k) => !k.startsWith(ATTR_REQUIREMENT_PREFIX)),
      requiredAttrs: [...required]
        .filter((k) => k.startsWith(ATTR_REQUIREMENT_PREFIX))
        .map((k) => k.slice(ATTR_REQUIREMENT_PREFIX.length)),
      code: `rule.${p.def.id}`,
      severity: p.def.severity ?? severityOf(p.def.score),
      outcome: ruleOutcome(p.def),
      evidenceSlots: [...p.rewritten.used].filter((i) => i !== attrsSlot).sort((a, b) => a - b),
      reason: p.reason?.parts,
      slots: [...p.rewritten.used, ...(p.reason?.used ?? [])],
    });
  }
  if (problems.length > 0)
    return { ok: false, problems: problems.sort((a, b) => ruleIndex(a) - ruleIndex(b)) };

  const enabled = runnable.filter((r) => r.def.enabled !== false);
  const usedSlots = new Set<number>();
  for (const r of enabled) for (const i of r.slots) usedSlots.add(i);
  const bound = [...usedSlots]
    .sort((a, b) => a - b)
    .map((i) => ({
      slot: i,
      read: reg.slots[i]?.read ?? (() => undefined),
      names: reg.aliases.get(i) ?? [],
    }));
  const features: FeatureSpec[] = [];
  const keys = new Set<string>();
  for (const b of bound)
    for (const s of reg.slots[b.slot]?.specs ?? [])
      if (!keys.has(s.key)) {
        keys.add(s.key);
        features.push(s);
      }
  const primary = (i: number): string => reg.aliases.get(i)?.[0] ?? '';
  const detector = createRulesDetector(enabled, bound, features, reg.slots, primary);
  return { ok: true, value: { defs: runnable.map((r) => r.def), features, detector } };
}

function createRulesDetector(
  rules: readonly RunnableRule[],
  bound: readonly { readonly read: (ctx: DetectorContext) => unknown; readonly names: readonly string[] }[],
  features: readonly FeatureSpec[],
  slots: readonly RuleSlot[],
  primary: (slot: number) => string,
): Detector {
  // One context reused for every event (detectors run synchronously, one event at a time).
  const vars = new Map<string, unknown>();
  const evidenceKeys = rules.map((r) =>
    r.evidenceSlots.map((i) => ({ label: slots[i]?.label ?? '', name: primary(i) })),
  );
  const reasonParts = rules.map((r) => r.reason?.map((p) => ('slot' in p ? { name: primary(p.slot) } : p)));

  function signalOf(k: number, r: RunnableRule, event: VigilEvent): Signal {
    const evidence: Record<string, EvidenceValue> = { rule: r.def.id };
    const shown: string[] = [];
    for (const e of evidenceKeys[k] ?? []) {
      const v = vars.get(e.name);
      evidence[e.label] = evidenceValue(v);
      shown.push(`${e.label} = ${formatRuleValue(v)}`);
    }
    if (r.def.action !== undefined) evidence['action'] = r.def.action;
    let reason: string;
    const parts = reasonParts[k];
    if (parts !== undefined) {
      reason = '';
      for (const p of parts) {
        if ('text' in p) reason += p.text;
        else if ('name' in p) reason += formatRuleValue(vars.get(p.name));
        else reason += attrText(event.attrs, p.attr);
      }
    } else {
      const values = shown.length > 0 ? ` (${shown.join(', ')})` : '';
      reason = `Rule '${r.def.name ?? r.def.id}' matched: ${r.def.expression}${values}.`;
    }
    const s: { -readonly [K in keyof Signal]: Signal[K] } = {
      code: r.code,
      score: r.def.score,
      severity: r.severity,
      category: 'rule',
      reason,
      evidence,
    };
    if (r.outcome !== undefined) s.action = r.outcome;
    return s;
  }

  return {
    id: 'rules',
    features,
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      if (rules.length === 0) return;
      for (const b of bound) {
        const v = b.read(ctx);
        for (const n of b.names) vars.set(n, v);
      }
      const attrs = ctx.event.attrs;
      next: for (let k = 0; k < rules.length; k++) {
        const r = rules[k];
        if (r === undefined) continue;
        for (const n of r.requiredVars) if (vars.get(n) === undefined) continue next;
        for (const a of r.requiredAttrs)
          if (attrs === undefined || !Object.prototype.hasOwnProperty.call(attrs, a)) continue next;
        let result: unknown;
        try {
          result = r.program(vars);
        } catch {
          continue; // a rule that errors on this event (missing key, bad conversion) is false
        }
        if (result === true) out.signals.push(signalOf(k, r, ctx.event));
      }
    },
  };
}
