import type { Facets, FlagColor } from '../detectors/detector.js';
import type { AlertType, Outcome, Signal } from '../detectors/signal.js';
import type { VigilEvent } from '../events/event.js';
import type { PolicyConfig } from '../config/policy-config.js';
import { analyzerEnsemble, createCombiner } from './combine.js';
import type { Decision, DetectorFailure, ModelScore, RiskLevel } from './decision.js';
import { analyzerSentence, explainDecision, type ExplanationItem } from './explain.js';
import {
  accessLevelOf,
  compileEnforcement,
  enforcementBandOf,
  flagOfRisk,
  riskLevelFor,
  maxFlag,
  maxOutcome,
} from './policy-rules.js';

/**
 * Everything the decision stage needs about one event once detectors and models have run.
 * @example policy.decide({ event, signals: out.signals, facets: out.facets, models: [], failures: [] });
 */
export interface DecisionInput {
  readonly event: VigilEvent;
  /** In detector order; the decision keeps a sorted copy. */
  readonly signals: readonly Signal[];
  readonly facets: Readonly<Facets>;
  /** Live and shadow model scores (shadow ones are reported, never counted). */
  readonly models: readonly ModelScore[];
  readonly failures: readonly DetectorFailure[];
}

/**
 * The escalation matrix of the anomaly flagger: the outcome a flag asks for given the behaviour
 * score, with one sentence saying why, or undefined for none. The engine passes MAF's `escalate`.
 * @example const e: Escalation = (flag, score) => (flag === 'RED' && score < 20 ? { outcome: 'block', reason: 'RED, very low trust.' } : undefined);
 */
export type Escalation = (
  flag: FlagColor,
  behaviorScore: number,
) => { readonly outcome: Outcome; readonly reason: string } | undefined;

/** Options of {@link createPolicy}. @example createPolicy(config, { escalate: (f, s) => escalate(f, s) }); */
export interface PolicyOptions {
  /** Flag × behaviour-score escalation; it may raise the outcome, never lower it. Default: none. */
  readonly escalate?: Escalation;
}

/** The decision stage compiled for one configuration. @example const p: Policy = createPolicy(DEFAULT_POLICY_CONFIG); */
export interface Policy {
  readonly config: PolicyConfig;
  /** Combines the evidence and applies the policy. Never throws on any input; returns a fresh object. */
  decide(input: DecisionInput): Decision;
}

/** A signal's score at or above this counts as a strong family for the confidence. @example severityOf(STRONG_SIGNAL); // 'medium' */
export const STRONG_SIGNAL = 0.4;

const EMPTY: readonly never[] = Object.freeze([]);

function byScoreDesc(a: Signal, b: Signal): number {
  return b.score - a.score;
}

/**
 * Confidence of a decision, 0..1: the mean of
 * - margin: how far the score sits from the nearest risk-level edge, saturating at 10 points (a
 *   score of 50 is clearly MEDIUM, one of 41 barely is);
 * - support: for a risky outcome (anything but allow), 1 − 0.5ⁿ where n is the number of distinct
 *   signal families with strong evidence (score ≥ 0.4), so independent families agreeing raise it;
 *   for allow, 0.5ⁿ: each strong family that the outcome went against lowers it.
 * A list verdict (block- or allow-listed) is certain: 1.
 * @example confidenceOf(50.5, { LOW: 21, MEDIUM: 41, HIGH: 61, CRITICAL: 81 }, true, 2); // 0.875
 */
export function confidenceOf(
  rawScore: number,
  bands: PolicyConfig['levels']['bands'],
  risky: boolean,
  strongFamilies: number,
): number {
  let d = Math.abs(rawScore - (bands.LOW - 0.5));
  const m = Math.abs(rawScore - (bands.MEDIUM - 0.5));
  if (m < d) d = m;
  const h = Math.abs(rawScore - (bands.HIGH - 0.5));
  if (h < d) d = h;
  const c = Math.abs(rawScore - (bands.CRITICAL - 0.5));
  if (c < d) d = c;
  const margin = d >= 10 ? 1 : d / 10;
  const half = 0.5 ** strongFamilies;
  const support = risky ? 1 - half : half;
  return Math.round((0.5 * margin + 0.5 * support) * 1000) / 1000;
}

/**
 * Compiles the decision stage for a configuration. Per event it:
 * 1. combines the signals, analyzer facets and live model scores into a risk (see `combine`);
 * 2. applies list actions: a `block` action forces outcome block and lifts the risk to the CRITICAL
 *    floor; an `allow` action (allow-listed) forces allow, observe and no captcha unless a `block`
 *    action is also present; other signal actions (challenge, review) raise the outcome;
 * 3. derives score = round(risk·100), level from the bands, outcome from the level;
 * 4. flag = max(MAF facet flag, risk-derived flag); the escalation matrix may raise the outcome;
 * 5. enforcement from the tier matrix at the risk (the event's tier, or the default tier), access
 *    level and captcha from the behaviour score, confidence, explanation, alerts and anomalies.
 * @example
 * const policy = createPolicy(DEFAULT_POLICY_CONFIG);
 * policy.decide({ event, signals: [], facets: {}, models: [], failures: [] }).outcome; // 'allow'
 */
export function createPolicy(config: PolicyConfig, opts: PolicyOptions = {}): Policy {
  const plans = compileEnforcement(config.enforcement);
  const bands = config.levels.bands;
  const criticalFloor = bands.CRITICAL / 100;
  const escalate = opts.escalate;
  const combiner = createCombiner(config);

  function decide(input: DecisionInput): Decision {
    const { event, facets } = input;
    const n = input.signals.length;
    const signals: readonly Signal[] =
      n === 0 ? EMPTY : n === 1 ? input.signals.slice() : input.signals.slice().sort(byScoreDesc);

    let blockListed = false;
    let allowListed = false;
    let actionOutcome: Outcome = 'allow';
    let alerts: AlertType[] | undefined;
    for (const s of signals) {
      if (s.alert !== undefined) {
        if (alerts === undefined) alerts = [s.alert];
        else if (!alerts.includes(s.alert)) alerts.push(s.alert);
      }
      const a = s.action;
      if (a === undefined) continue;
      if (a === 'block') blockListed = true;
      else if (a === 'allow') allowListed = true;
      else actionOutcome = maxOutcome(actionOutcome, a);
    }
    const analyzers = facets.analyzers;

    // Rounded to 1e-9 so float noise (1 − (1 − 0.75) = 0.7500000000000001) does not reach reports.
    let risk = Math.round(combiner.risk(signals, input.models, analyzers) * 1e9) / 1e9;
    if (blockListed && !(risk >= criticalFloor)) risk = criticalFloor;
    const rawScore = risk * 100;
    const score = Math.round(rawScore);
    const level: RiskLevel = riskLevelFor(score, bands);
    const levelOutcome = config.levels.outcomes[level];
    let outcome = maxOutcome(levelOutcome, actionOutcome);
    if (blockListed) outcome = 'block';

    const flag = maxFlag(facets.flag ?? 'GREEN', flagOfRisk(risk, config.flags));
    const behaviorScore = facets.behaviorScore ?? config.access.defaultBehaviorScore;
    let notes: string[] | undefined;
    if (escalate !== undefined) {
      const e = escalate(flag, behaviorScore);
      if (e !== undefined && maxOutcome(outcome, e.outcome) !== outcome) {
        (notes ??= []).push(`Escalated from ${outcome} to ${e.outcome}: ${e.reason}`);
        outcome = e.outcome;
      }
    }
    if (blockListed) (notes ??= []).push('Outcome forced to block by a block-list entry.');
    const allowForced = allowListed && !blockListed;
    if (allowForced) {
      if (outcome !== 'allow')
        (notes ??= []).push(`Outcome forced to allow by an allow-list entry (would have been ${outcome}).`);
      outcome = 'allow';
    }

    const tierPlans = plans[event.tier ?? config.enforcement.defaultTier];
    const band = allowForced ? undefined : enforcementBandOf(risk, config.enforcement.bands);
    const enforcement = band === undefined ? tierPlans.observe : tierPlans[band];
    const captcha =
      !allowForced &&
      (behaviorScore <= config.captcha.threshold || (config.captcha.onChallenge && outcome === 'challenge'));
    const confidence =
      blockListed || allowListed
        ? 1
        : confidenceOf(rawScore, bands, outcome !== 'allow', combiner.families(STRONG_SIGNAL));

    let extra: ExplanationItem[] | readonly never[] = EMPTY;
    if (analyzers !== undefined) {
      const e = analyzerEnsemble(analyzers, config);
      if (e * 100 >= bands.LOW - 0.5) extra = [{ score: e, text: analyzerSentence(analyzers, e) }];
    }
    const explanation = explainDecision(signals, input.models, extra, config.explanation);
    if (notes !== undefined) for (const note of notes) explanation.push(note);

    const d: { -readonly [K in keyof Decision]: Decision[K] } = {
      eventId: event.id,
      app: event.app,
      risk,
      score,
      level,
      flag,
      outcome,
      confidence,
      behaviorScore,
      accessLevel: accessLevelOf(behaviorScore, config.access),
      captcha,
      enforcement,
      anomalies: facets.anomalies === undefined ? EMPTY : facets.anomalies.slice(),
      alerts: alerts ?? EMPTY,
      signals,
      models: input.models.length === 0 ? EMPTY : input.models.slice(),
      explanation,
      failures: input.failures.length === 0 ? EMPTY : input.failures.slice(),
    };
    if (event.user !== undefined) d.user = event.user;
    if (analyzers !== undefined) d.analyzers = { ...analyzers };
    return d;
  }

  return { config, decide };
}
