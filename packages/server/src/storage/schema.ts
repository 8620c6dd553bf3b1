import type { Generated } from 'kysely';

/**
 * Row types of every table, snake_case as stored. They stay inside `server/src/storage` and the
 * stores, which map them to camelCase domain types. Times are epoch milliseconds; ids are ULIDs.
 */

/** Roles an API key can have: `app` keys are scoped to one app; the others are admin roles. */
export const KEY_ROLES = ['app', 'viewer', 'analyst', 'admin'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

/** Admin roles, weakest first: each can do everything the roles before it can. */
export const ADMIN_ROLES = ['viewer', 'analyst', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export interface AppsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  /** Set for `app` keys, null for admin keys. */
  app_id: string | null;
  role: KeyRole;
  name: string;
  /** The first characters of the key, shown in listings. */
  prefix: string;
  /** sha256 of the full key, hex. */
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface UsersTable {
  app_id: string;
  user_id: string;
  tier: string | null;
  behavior_score: number;
  status: string;
  access_level: string;
  peak_risk: number;
  last_risk: number;
  last_score: number;
  last_level: string;
  event_count: number;
  first_seen: number;
  last_seen: number;
  updated_at: number;
}

export interface EventsTable {
  /** Insertion order over all apps; replay walks it. */
  seq: Generated<number>;
  app_id: string;
  /** The app's event id: the idempotency key, unique per app. */
  id: string;
  type: string;
  at: number;
  user_id: string | null;
  received_at: number;
  /** The normalised event as JSON. */
  payload: string;
  /** The event's wallet / device (copies of the payload fields, indexed; migration 0970). */
  wallet: string | null;
  device: string | null;
}

export interface DecisionsTable {
  /** The seq of the event this decision answers (one decision per event). */
  event_seq: number;
  app_id: string;
  event_id: string;
  user_id: string | null;
  type: string;
  at: number;
  risk: number;
  score: number;
  level: string;
  outcome: string;
  flag: string;
  created_at: number;
  /** The full decision as JSON. */
  payload: string;
}

export interface SignalsTable {
  decision_seq: number;
  idx: number;
  app_id: string;
  user_id: string | null;
  code: string;
  score: number;
  category: string;
  severity: string;
  at: number;
}

export interface ListsTable {
  id: string;
  app_id: string;
  kind: string;
  value: string;
  verdict: string;
  label: string;
  weight: number;
  expires_at: number | null;
  created_at: number;
  created_by: string;
}

export interface RulesTable {
  id: string;
  app_id: string;
  name: string;
  version: number;
  expression: string;
  action: string | null;
  status: string;
  description: string;
  created_at: number;
  created_by: string;
}

export interface ConfigsTable {
  app_id: string;
  version: number;
  body: string;
  created_at: number;
  created_by: string;
}

export interface ModelsTable {
  id: string;
  app_id: string;
  name: string;
  version: number;
  kind: string;
  status: string;
  params: string;
  metrics: string;
  artifact: Buffer | null;
  created_at: number;
}

export interface EnforcementsTable {
  id: string;
  app_id: string;
  user_id: string;
  action: string;
  status: string;
  reason: string;
  decision_seq: number | null;
  features: string;
  starts_at: number;
  ends_at: number | null;
  lifted_at: number | null;
  created_by: string;
  created_at: number;
}

export interface CasesTable {
  id: string;
  app_id: string;
  user_id: string | null;
  status: string;
  priority: string;
  reason: string;
  decision_seq: number | null;
  assignee: string | null;
  sla_due_at: number | null;
  resolution: string | null;
  created_at: number;
  updated_at: number;
  resolved_at: number | null;
}

export interface WebhookEndpointsTable {
  id: string;
  app_id: string;
  url: string;
  secret: string;
  events: string;
  enabled: number;
  created_at: number;
  disabled_at: number | null;
  /** 0930 */
  description: string;
  /** Still signs deliveries (next to `secret`) until `previous_secret_expires_at` (0930). */
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  updated_at: number;
}

export interface OutboxTable {
  id: string;
  app_id: string;
  topic: string;
  payload: string;
  created_at: number;
  available_at: number;
  attempts: number;
  delivered_at: number | null;
  last_error: string | null;
  /** pending | delivered | dead (0930) */
  status: string;
  /** The lease of the dispatcher working on the row; only its holder records the result (0930). */
  claim_token: string | null;
  dead_at: number | null;
}

/** One delivery attempt of a webhook message to an endpoint (0930). */
export interface WebhookDeliveriesTable {
  id: string;
  app_id: string;
  endpoint_id: string;
  /** The outbox row carrying the message. */
  message_id: string;
  /** The webhook-id header: the same for every attempt and replay of a message. */
  webhook_id: string;
  type: string;
  attempt: number;
  /** delivered | failed | dead */
  status: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  /** At most 1 KB of the receiver's answer. */
  response_body: string | null;
  next_attempt_at: number | null;
  created_at: number;
}

export interface JobRunsTable {
  id: string;
  job: string;
  status: string;
  started_at: number;
  finished_at: number | null;
  details: string | null;
}

export interface AlertsTable {
  id: string;
  app_id: string;
  user_id: string | null;
  type: string;
  severity: string;
  decision_seq: number | null;
  payload: string;
  created_at: number;
  acknowledged_at: number | null;
}

export interface FeatureSnapshotsTable {
  id: string;
  created_at: number;
  /** Every event with seq <= last_seq is reflected in the bytes. */
  last_seq: number;
  size: number;
  bytes: Buffer;
}

export interface AuditLogTable {
  seq: Generated<number>;
  id: string;
  at: number;
  actor: string;
  action: string;
  app_id: string | null;
  target: string | null;
  /** Canonical JSON. */
  details: string;
  prev_hash: string;
  hash: string;
}

/** The whole database, as Kysely sees it. */
export interface DB {
  apps: AppsTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  events: EventsTable;
  decisions: DecisionsTable;
  signals: SignalsTable;
  lists: ListsTable;
  rules: RulesTable;
  configs: ConfigsTable;
  models: ModelsTable;
  enforcements: EnforcementsTable;
  cases: CasesTable;
  webhook_endpoints: WebhookEndpointsTable;
  outbox: OutboxTable;
  webhook_deliveries: WebhookDeliveriesTable;
  job_runs: JobRunsTable;
  alerts: AlertsTable;
  feature_snapshots: FeatureSnapshotsTable;
  audit_log: AuditLogTable;
}
