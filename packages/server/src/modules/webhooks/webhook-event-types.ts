/**
 * The kinds of webhook messages Vigil sends (the same list as the SDK's `WEBHOOK_EVENT_TYPES`).
 * @example WEBHOOK_EVENT_TYPES.includes('decision.high_risk'); // true
 */
export const WEBHOOK_EVENT_TYPES = [
  'decision.high_risk',
  'enforcement.created',
  'enforcement.updated',
  'enforcement.lifted',
  'case.resolved',
  'score.updated',
  'anomaly.alert',
  'access.logged',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** @example isWebhookEventType('case.resolved'); // true */
export function isWebhookEventType(s: unknown): s is WebhookEventType {
  return typeof s === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(s);
}

/**
 * The JSON body of every webhook: what happened (`type`), in which app, its data, and when the
 * server produced it (epoch ms). Enforcement messages carry `data.user`.
 */
export interface WebhookPayload {
  readonly type: WebhookEventType;
  readonly app: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly at: number;
}
