import Type, { type Static } from 'typebox';
import { OUTCOMES, SEVERITIES, type Outcome } from '../detectors/signal.js';

/** Limits on rule sets, checked at load time. @example RULE_LIMITS.maxExpressionLength; // 2000 */
export const RULE_LIMITS = Object.freeze({
  /** Characters in one expression. */
  maxExpressionLength: 2000,
  /** Nesting depth of one expression (parentheses, operators, member access). */
  maxDepth: 32,
  /** Syntax-tree nodes in one expression. */
  maxAstNodes: 1000,
  /** Rules in one set. */
  maxRules: 1000,
});

/**
 * One business rule, as JSON. The expression is CEL over the event fields, named features and
 * feature calls (see `RULE_VARIABLES` and `parseFeatureCall`).
 * @example Compile(RuleDefSchema).Check({ id: 'big', expression: 'amount > 10000', score: 0.8 }); // true
 */
export const RuleDefSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
      description: 'Stable id; the signal code is rule.<id>',
    }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    expression: Type.String({
      minLength: 1,
      maxLength: RULE_LIMITS.maxExpressionLength,
      description: 'CEL, e.g. amount > 10000 && count(user, payment, 1h) > 3',
    }),
    score: Type.Number({ minimum: 0, maximum: 1, description: 'Signal score when the rule matches' }),
    action: Type.Optional(
      Type.String({
        pattern: '^[a-z][a-z0-9_]{0,63}$',
        description: "An outcome or a hint such as 'flag_for_review' (see ACTION_HINT_OUTCOMES)",
      }),
    ),
    outcome: Type.Optional(
      Type.Enum(OUTCOMES, { description: 'Outcome the match demands (overrides action)' }),
    ),
    reason: Type.Optional(
      Type.String({
        maxLength: 500,
        description: 'Reason text; {{amount}}, {{attrs.key}}, {{count(user, 1h)}} are filled in',
      }),
    ),
    severity: Type.Optional(Type.Enum(SEVERITIES)),
    enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
  },
  { additionalProperties: false },
);

/** One rule definition (plain JSON data). @example const r: RuleDef = { id: 'big', expression: 'amount > 10000', score: 0.8 }; */
export type RuleDef = Static<typeof RuleDefSchema>;

/**
 * The outcome each well-known action hint asks for (the ML spec's business rules). A hint that
 * is not listed here is only reported in the signal's evidence.
 * @example ACTION_HINT_OUTCOMES.flag_for_review; // 'review'
 */
export const ACTION_HINT_OUTCOMES = Object.freeze({
  allow: 'allow',
  challenge: 'challenge',
  review: 'review',
  block: 'block',
  flag_for_review: 'review',
  manual_review: 'review',
  additional_verification: 'challenge',
  location_verification: 'challenge',
  step_up: 'challenge',
  deny: 'block',
} as const satisfies Record<string, Outcome>);

/**
 * The outcome a rule demands: `outcome` when set, else the outcome of a known `action` hint.
 * @example ruleOutcome({ id: 'a', expression: 'true', score: 1, action: 'flag_for_review' }); // 'review'
 */
export function ruleOutcome(def: Pick<RuleDef, 'action' | 'outcome'>): Outcome | undefined {
  if (def.outcome !== undefined) return def.outcome;
  return def.action === undefined ? undefined : HINTS.get(def.action);
}

const HINTS: ReadonlyMap<string, Outcome> = new Map(Object.entries(ACTION_HINT_OUTCOMES));
