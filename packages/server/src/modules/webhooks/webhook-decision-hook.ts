import type { Decision, VigilEvent } from '@vigil/engine';
import type { CommittedDecision, DecisionCommitHook } from '../events/event-ingest.js';
import type { WebhookEmit, WebhookService } from './webhook.service.js';

/** Most signals and explanation lines a decision webhook carries. */
const MAX_SIGNALS = 10;
const MAX_EXPLANATION = 5;

/** Whether a decision is reported as `decision.high_risk` (level HIGH or CRITICAL). @example isHighRisk(d) */
export function isHighRisk(d: Pick<Decision, 'level'>): boolean {
  return d.level === 'HIGH' || d.level === 'CRITICAL';
}

/** Whether a decision is reported as `anomaly.alert` (flag RED or any alert). @example isAnomalyAlert(d) */
export function isAnomalyAlert(d: Pick<Decision, 'flag' | 'alerts'>): boolean {
  return d.flag === 'RED' || d.alerts.length > 0;
}

function decisionData(event: VigilEvent, d: Decision): Record<string, unknown> {
  return {
    eventId: event.id,
    eventType: event.type,
    user: event.user ?? null,
    at: event.at,
    risk: d.risk,
    score: d.score,
    level: d.level,
    flag: d.flag,
    outcome: d.outcome,
    alerts: d.alerts,
    anomalies: d.anomalies,
    signals: d.signals.slice(0, MAX_SIGNALS).map((s) => ({
      code: s.code,
      score: s.score,
      severity: s.severity,
      reason: s.reason,
    })),
    explanation: d.explanation.slice(0, MAX_EXPLANATION),
    enforcement: {
      action: d.enforcement.action,
      tier: d.enforcement.tier,
      ...(d.enforcement.durationMs !== undefined ? { durationMs: d.enforcement.durationMs } : {}),
      ...(d.enforcement.features !== undefined ? { features: d.enforcement.features } : {}),
    },
  };
}

/**
 * The messages a batch of committed decisions produces: `decision.high_risk` for level HIGH or
 * CRITICAL, `anomaly.alert` for flag RED or a non-empty `alerts` (both for a decision that is both).
 * @example decisionWebhooks([{ seq: 1, event, decision }]); // [{ app, type: 'decision.high_risk', data }]
 */
export function decisionWebhooks(committed: readonly CommittedDecision[]): readonly WebhookEmit[] {
  const out: WebhookEmit[] = [];
  for (const { event, decision } of committed) {
    const high = isHighRisk(decision);
    const alert = isAnomalyAlert(decision);
    if (!high && !alert) continue;
    const data = decisionData(event, decision);
    if (high) out.push({ app: event.app, type: 'decision.high_risk', data });
    if (alert) out.push({ app: event.app, type: 'anomaly.alert', data });
  }
  return out;
}

/**
 * The event intake's commit hook that enqueues decision webhooks in the decision's own
 * transaction, then wakes the dispatcher once it committed.
 * @example createEventIngest(deps, { commitHooks: [webhookDecisionHook(webhooks, () => dispatcher.wake())] });
 */
export function webhookDecisionHook(
  webhooks: Pick<WebhookService, 'emitMany'>,
  wake: () => void = () => {},
): DecisionCommitHook {
  let enqueued = false;
  return {
    needed: (decided) => decided.some(({ decision }) => isHighRisk(decision) || isAnomalyAlert(decision)),
    async onCommit(tx, committed) {
      const items = decisionWebhooks(committed);
      enqueued = items.length > 0 && (await webhooks.emitMany(tx, items)) > 0;
    },
    afterCommit() {
      if (enqueued) wake();
      enqueued = false;
    },
  };
}
