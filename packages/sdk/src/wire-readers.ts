import { VigilError, type VigilErrorDetail } from './vigil-error.js';
import {
  ACCESS_LEVELS,
  ENFORCEMENT_ACTIONS,
  FLAG_COLORS,
  OUTCOMES,
  RISK_LEVELS,
  SEVERITIES,
  TIERS,
  type AccessLevel,
  type Decision,
  type EnforcementPlan,
  type ModelScore,
  type Signal,
  type StatusEnforcement,
  type UserStatus,
  type WebhookPayload,
} from './wire-types.js';

/*
 * Server answers are read as `unknown` and checked field by field: the SDK never trusts a cast.
 * Required fields are the ones an app acts on; lists and secondary numbers default when a
 * server omits them, so an older or newer server still works.
 */

type Obj = Readonly<Record<string, unknown>>;

class ShapeError extends Error {}

function isObj(u: unknown): u is Obj {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}

function obj(u: unknown, path: string): Obj {
  if (!isObj(u)) throw new ShapeError(`${path} must be an object`);
  return u;
}

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ShapeError(`${path}/${key} must be a string`);
  return v;
}

function optStr(o: Obj, key: string, path: string): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, path);
}

function num(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ShapeError(`${path}/${key} must be a number`);
  return v;
}

function numOr(o: Obj, key: string, path: string, dflt: number): number {
  return o[key] === undefined ? dflt : num(o, key, path);
}

function bool(o: Obj, key: string, path: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new ShapeError(`${path}/${key} must be a boolean`);
  return v;
}

function boolOr(o: Obj, key: string, path: string, dflt: boolean): boolean {
  return o[key] === undefined ? dflt : bool(o, key, path);
}

function oneOf<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[]): T {
  const v = o[key];
  const hit = allowed.find((a) => a === v);
  if (hit === undefined) throw new ShapeError(`${path}/${key} must be one of ${allowed.join(', ')}`);
  return hit;
}

function list<T>(o: Obj, key: string, path: string, item: (u: unknown, p: string) => T): readonly T[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ShapeError(`${path}/${key} must be an array`);
  return v.map((x: unknown, i) => item(x, `${path}/${key}/${i}`));
}

function strItem(u: unknown, p: string): string {
  if (typeof u !== 'string') throw new ShapeError(`${p} must be a string`);
  return u;
}

function epochOrNull(o: Obj, key: string, path: string): number | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  return num(o, key, path);
}

function readSignal(u: unknown, p: string): Signal {
  const o = obj(u, p);
  const alert = optStr(o, 'alert', p);
  const action = o['action'] === undefined ? undefined : oneOf(o, 'action', p, OUTCOMES);
  return {
    code: str(o, 'code', p),
    score: num(o, 'score', p),
    severity: oneOf(o, 'severity', p, SEVERITIES),
    category: str(o, 'category', p),
    reason: str(o, 'reason', p),
    evidence: o['evidence'] === undefined ? {} : obj(o['evidence'], `${p}/evidence`),
    ...(alert === undefined ? {} : { alert }),
    ...(action === undefined ? {} : { action }),
  };
}

function readModel(u: unknown, p: string): ModelScore {
  const o = obj(u, p);
  const version = optStr(o, 'version', p);
  return {
    model: str(o, 'model', p),
    score: num(o, 'score', p),
    live: bool(o, 'live', p),
    contributions: list(o, 'contributions', p, (c, cp) => {
      const co = obj(c, cp);
      return { feature: str(co, 'feature', cp), value: num(co, 'value', cp) };
    }),
    ...(version === undefined ? {} : { version }),
  };
}

function readEnforcementPlan(u: unknown, p: string): EnforcementPlan {
  const o = obj(u, p);
  const features = o['features'] === undefined ? undefined : list(o, 'features', p, strItem);
  return {
    action: oneOf(o, 'action', p, ENFORCEMENT_ACTIONS),
    tier: oneOf(o, 'tier', p, TIERS),
    requiresReview: boolOr(o, 'requiresReview', p, false),
    reviewSlaMs: numOr(o, 'reviewSlaMs', p, 0),
    ...(o['durationMs'] === undefined || o['durationMs'] === null
      ? {}
      : { durationMs: num(o, 'durationMs', p) }),
    ...(features === undefined ? {} : { features }),
  };
}

function readNumberRecord(u: unknown, p: string): Readonly<Record<string, number>> {
  const o = obj(u, p);
  const out: Record<string, number> = {};
  for (const k of Object.keys(o)) out[k] = num(o, k, p);
  return out;
}

function wrap<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ShapeError) {
      throw new VigilError('invalid_response', `unexpected ${what} from Vigil: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Checks and types a decision from `POST /v1/events`; throws VigilError `invalid_response`.
 * @example const d = readDecision(await res.json());
 */
export function readDecision(u: unknown): Decision {
  return wrap('decision', () => {
    const o = obj(u, '');
    const user = optStr(o, 'user', '');
    return {
      eventId: str(o, 'eventId', ''),
      app: str(o, 'app', ''),
      risk: num(o, 'risk', ''),
      score: num(o, 'score', ''),
      level: oneOf(o, 'level', '', RISK_LEVELS),
      flag: oneOf(o, 'flag', '', FLAG_COLORS),
      outcome: oneOf(o, 'outcome', '', OUTCOMES),
      confidence: numOr(o, 'confidence', '', 0),
      behaviorScore: numOr(o, 'behaviorScore', '', 0),
      accessLevel: o['accessLevel'] === undefined ? 'FULL' : oneOf(o, 'accessLevel', '', ACCESS_LEVELS),
      captcha: boolOr(o, 'captcha', '', false),
      enforcement: readEnforcementPlan(o['enforcement'], '/enforcement'),
      anomalies: list(o, 'anomalies', '', strItem),
      alerts: list(o, 'alerts', '', strItem),
      signals: list(o, 'signals', '', readSignal),
      models: list(o, 'models', '', readModel),
      explanation: list(o, 'explanation', '', strItem),
      failures: list(o, 'failures', '', (f, p) => {
        const fo = obj(f, p);
        return { detector: str(fo, 'detector', p), error: str(fo, 'error', p) };
      }),
      ...(user === undefined ? {} : { user }),
      ...(o['analyzers'] === undefined ? {} : { analyzers: readNumberRecord(o['analyzers'], '/analyzers') }),
    };
  });
}

function readStatusEnforcement(u: unknown, p: string): StatusEnforcement {
  const o = obj(u, p);
  // Older servers name the expiry `endsAt`.
  const expiresAt =
    o['expiresAt'] !== undefined ? epochOrNull(o, 'expiresAt', p) : epochOrNull(o, 'endsAt', p);
  return {
    id: str(o, 'id', p),
    action: str(o, 'action', p),
    status: o['status'] === undefined ? 'active' : str(o, 'status', p),
    expiresAt,
    features: list(o, 'features', p, strItem),
  };
}

/**
 * A clean status: what an unknown user (404) gets.
 * @example cleanStatus('u1', 'shop').blocked; // false
 */
export function cleanStatus(user: string, app: string): UserStatus {
  return {
    user,
    app,
    blocked: false,
    suspended: false,
    suspendedUntil: null,
    restrictedFeatures: [],
    accessLevel: 'FULL',
    behaviorScore: 100,
    risk: 0,
    enforcements: [],
  };
}

/**
 * Checks and types `GET /v1/users/:id/status`; throws VigilError `invalid_response`. `blocked`
 * is required; other fields default to a clean status when a server omits them.
 * @example const s = readUserStatus(await res.json(), 'u1');
 */
export function readUserStatus(u: unknown, user: string): UserStatus {
  return wrap('user status', () => {
    const o = obj(u, '');
    const accessLevel: AccessLevel =
      o['accessLevel'] === undefined ? 'FULL' : oneOf(o, 'accessLevel', '', ACCESS_LEVELS);
    const suspended = o['suspended'] === undefined ? o['status'] === 'suspended' : bool(o, 'suspended', '');
    return {
      user: optStr(o, 'user', '') ?? user,
      app: optStr(o, 'app', '') ?? '',
      blocked: bool(o, 'blocked', ''),
      suspended,
      suspendedUntil: epochOrNull(o, 'suspendedUntil', ''),
      restrictedFeatures: list(o, 'restrictedFeatures', '', strItem),
      accessLevel,
      behaviorScore: numOr(o, 'behaviorScore', '', 100),
      risk: numOr(o, 'risk', '', 0),
      enforcements: list(o, 'enforcements', '', readStatusEnforcement),
    };
  });
}

/**
 * Reads Vigil's error body `{ error, message, details }`; undefined when the body is not one.
 * @example readErrorBody({ error: 'unauthorized', message: 'bad key' })?.error; // 'unauthorized'
 */
export function readErrorBody(
  u: unknown,
):
  | { readonly error: string; readonly message: string; readonly details: readonly VigilErrorDetail[] }
  | undefined {
  if (!isObj(u)) return undefined;
  // Tolerates the nested `{ error: { code, message } }` form as well.
  const e = u['error'];
  const inner = isObj(e) ? e : u;
  const code = isObj(e) ? inner['code'] : e;
  const message = inner['message'];
  if (typeof code !== 'string') return undefined;
  const rawDetails = u['details'];
  const details: VigilErrorDetail[] = [];
  if (Array.isArray(rawDetails)) {
    for (const d of rawDetails) {
      if (isObj(d) && typeof d['path'] === 'string' && typeof d['message'] === 'string') {
        details.push({ path: d['path'], message: d['message'] });
      }
    }
  }
  return { error: code, message: typeof message === 'string' ? message : code, details };
}

/**
 * Checks a webhook body's shape `{ type, app, data, at }`.
 * @example readWebhookPayload(JSON.parse(body)).type; // 'enforcement.created'
 */
export function readWebhookPayload(u: unknown): WebhookPayload {
  const o = obj(u, '');
  const at = o['at'];
  if (typeof at !== 'number' && typeof at !== 'string')
    throw new ShapeError('/at must be a number or a string');
  return {
    type: str(o, 'type', ''),
    app: str(o, 'app', ''),
    data: o['data'] === undefined ? {} : obj(o['data'], '/data'),
    at,
  };
}
