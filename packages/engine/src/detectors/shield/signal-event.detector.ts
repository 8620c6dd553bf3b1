import Type from 'typebox';
import {
  SIGNAL_EVENT_IMPACTS,
  SIGNAL_EVENT_TYPES,
  isSignalEventType,
  type SignalEventType,
} from '../../events/event-types.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import type { EvidenceValue } from '../signal.js';
import { SEVERITIES, type Severity } from '../signal.js';
import { optEnabled, optUnit } from './shield-options.js';
import { attrNumber, attrString, clamp01, pushSignal, round } from './shield-signal.js';

/** Options of the signal-event detector. */
export interface SignalEventOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Base impact per signal event type, overriding the spec's table (`SIGNAL_EVENT_IMPACTS`). */
  readonly impacts: Readonly<Partial<Record<SignalEventType, number>>>;
}

/** Defaults: the spec's base impacts. @example SIGNAL_EVENT_DEFAULTS.enabled; // true */
export const SIGNAL_EVENT_DEFAULTS: SignalEventOptions = Object.freeze({
  enabled: true,
  impacts: Object.freeze({}),
});

/** Schema of {@link SignalEventOptions} (every field optional). @example Compile(SignalEventOptionsSchema).Check({ impacts: { user_report: 0.4 } }) */
export const SignalEventOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impacts: Type.Optional(
      Type.Object(
        {
          fraud_signal: optUnit('Base impact of fraud_signal (default 0.8)'),
          cheat_signal: optUnit('Base impact of cheat_signal (default 0.7)'),
          user_report: optUnit('Base impact of user_report (default 0.6)'),
          payment_risk: optUnit('Base impact of payment_risk (default 0.9)'),
          behavioral_anomaly: optUnit('Base impact of behavioral_anomaly (default 0.5)'),
          device_reuse: optUnit('Base impact of device_reuse (default 0.8)'),
          velocity_spike: optUnit('Base impact of velocity_spike (default 0.6)'),
          impossible_travel: optUnit('Base impact of impossible_travel (default 0.7)'),
          bot_detection: optUnit('Base impact of bot_detection (default 0.8)'),
          chargeback_signal: optUnit('Base impact of chargeback_signal (default 0.9)'),
          ip_reputation: optUnit('Base impact of ip_reputation (default 0.6)'),
          win_rate_anomaly: optUnit('Base impact of win_rate_anomaly (default 0.7)'),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * How a reporter's `attrs.severity` word scales the base impact: `high` keeps it, lower words
 * shrink it, `critical` raises it (the score is capped at 1).
 */
export const SEVERITY_FACTORS = Object.freeze({
  info: 0.25,
  low: 0.5,
  medium: 0.75,
  high: 1,
  critical: 1.25,
} as const satisfies Record<Severity, number>);

const SEVERITY_WORDS = new Set<string>(SEVERITIES);

function isSeverity(s: string): s is Severity {
  return SEVERITY_WORDS.has(s);
}

const MAX_SOURCE_REASON = 200;

/**
 * Signal events (`fraud_signal`, `payment_risk`, ...) that apps send: each becomes a signal whose
 * score is the type's base impact (specs/cross-app-shield.md), times `attrs.confidence` (0..1)
 * and the factor of `attrs.severity` (a severity word or a number 0..1) when present.
 * Code `shield.signal_event.<type>`, category `report`.
 * @example
 * const d = createSignalEventDetector(SIGNAL_EVENT_DEFAULTS);
 * // fraud_signal from app 'casino' with attrs.confidence 0.5 -> score 0.4
 */
export function createSignalEventDetector(opts: SignalEventOptions): Detector {
  const impacts = new Map<string, number>();
  const codes = new Map<string, string>();
  for (const t of SIGNAL_EVENT_TYPES) {
    impacts.set(t, opts.impacts[t] ?? SIGNAL_EVENT_IMPACTS[t]);
    codes.set(t, `shield.signal_event.${t}`);
  }
  return {
    id: 'shield.signal_event',
    features: [],
    appliesTo: SIGNAL_EVENT_TYPES,
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      if (!isSignalEventType(e.type)) return;
      const base = impacts.get(e.type) ?? 0;
      const code = codes.get(e.type) ?? `shield.signal_event.${e.type}`;
      let factor = 1;
      const confidence = attrNumber(e, 'confidence');
      const useConfidence = confidence !== undefined && confidence >= 0 && confidence <= 1;
      if (useConfidence) factor *= confidence;
      let severity: string | number | undefined;
      const sevWord = attrString(e, 'severity');
      if (sevWord !== undefined) {
        const w = sevWord.toLowerCase();
        if (isSeverity(w)) {
          factor *= SEVERITY_FACTORS[w];
          severity = w;
        }
      } else {
        const sevNum = attrNumber(e, 'severity');
        if (sevNum !== undefined && sevNum >= 0 && sevNum <= 1) {
          factor *= sevNum;
          severity = sevNum;
        }
      }
      const score = clamp01(base * factor);
      const evidence: Record<string, EvidenceValue> = {
        type: e.type,
        app: e.app,
        baseImpact: base,
      };
      let detail = '';
      if (useConfidence) {
        evidence['confidence'] = confidence;
        detail += `, confidence ${confidence}`;
      }
      if (severity !== undefined) {
        evidence['severity'] = severity;
        detail += `, severity ${severity}`;
      }
      const sourceReason = attrString(e, 'reason');
      if (sourceReason !== undefined && sourceReason.length > 0) {
        evidence['sourceReason'] = sourceReason.slice(0, MAX_SOURCE_REASON);
      }
      const who = e.user === undefined ? '' : ` about user ${e.user}`;
      pushSignal(
        out,
        code,
        score,
        'report',
        `App ${e.app} sent ${e.type}${who} (base impact ${base}${detail}): score ${round(score, 2)}.`,
        evidence,
      );
    },
  };
}
