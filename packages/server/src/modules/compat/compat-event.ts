import { createHash } from 'node:crypto';
import { isEventType, type AttrValue, type Decision, type EventType } from '@vigil/engine';
import type { FastifyRequest } from 'fastify';
import { DomainError, type ErrorDetail } from '../../errors.js';
import { canonicalJson, parseStoredJson } from '../../storage/json.js';
import { ulid } from '../../storage/ulid.js';
import type { EventIngest } from '../events/event-ingest.js';

/**
 * Building Vigil events from the source systems' request shapes: field aliases, time formats,
 * event-type aliases, idempotency ids, and validation problems reported at the source's paths.
 */

/** Event fields a source field can fill. */
type EventField =
  | 'ip'
  | 'userAgent'
  | 'device'
  | 'wallet'
  | 'counterparty'
  | 'email'
  | 'session'
  | 'referrer'
  | 'contentHash'
  | 'amount'
  | 'currency'
  | 'merchant'
  | 'terminal'
  | 'tier'
  | 'at';

/** Source spellings (snake_case and camelCase) of event fields. */
const FIELD_ALIASES: Readonly<Record<string, EventField>> = {
  ip: 'ip',
  ip_address: 'ip',
  ipAddress: 'ip',
  client_ip: 'ip',
  clientIp: 'ip',
  user_agent: 'userAgent',
  userAgent: 'userAgent',
  device: 'device',
  device_id: 'device',
  deviceId: 'device',
  device_fingerprint: 'device',
  deviceFingerprint: 'device',
  fingerprint: 'device',
  visitor_id: 'device',
  visitorId: 'device',
  wallet: 'wallet',
  wallet_address: 'wallet',
  walletAddress: 'wallet',
  counterparty: 'counterparty',
  recipient: 'counterparty',
  email: 'email',
  session: 'session',
  session_id: 'session',
  sessionId: 'session',
  referrer: 'referrer',
  referrer_id: 'referrer',
  referrerId: 'referrer',
  referred_by: 'referrer',
  referredBy: 'referrer',
  content_hash: 'contentHash',
  contentHash: 'contentHash',
  image_hash: 'contentHash',
  imageHash: 'contentHash',
  phash: 'contentHash',
  amount: 'amount',
  currency: 'currency',
  merchant: 'merchant',
  merchant_id: 'merchant',
  merchantId: 'merchant',
  terminal: 'terminal',
  terminal_id: 'terminal',
  terminalId: 'terminal',
  tier: 'tier',
  timestamp: 'at',
};

/** Source spellings of the fingerprint attributes the MAF detectors read. */
const ATTR_ALIASES: Readonly<Record<string, string>> = {
  screen_resolution: 'screen',
  screenResolution: 'screen',
  screen: 'screen',
  timezone: 'timezone',
  time_zone: 'timezone',
  canvas: 'canvas',
  canvas_hash: 'canvas',
  canvasHash: 'canvas',
  webgl: 'webgl',
  webgl_hash: 'webgl',
  webglHash: 'webgl',
};

/** Fields whose value is an identifier: numbers are accepted and sent as text. */
const ID_FIELDS = new Set<EventField>([
  'device',
  'merchant',
  'terminal',
  'referrer',
  'session',
  'wallet',
  'counterparty',
]);

/** Source event names that differ from Vigil's. */
const TYPE_ALIASES: Readonly<Record<string, EventType>> = {
  register: 'signup',
  registration: 'signup',
  sign_up: 'signup',
  meme_upload: 'upload',
  image_upload: 'upload',
  nft_upload: 'upload',
  social_interaction: 'social',
  like: 'social',
  comment: 'social',
  share: 'social',
  follow: 'social',
  wallet_connection: 'wallet_connect',
  connect_wallet: 'wallet_connect',
  nft_list: 'nft_listing',
  list_nft: 'nft_listing',
  purchase: 'payment',
  deposit: 'payment',
  bet: 'game_bet',
  game_win: 'game_result',
  fraud: 'fraud_signal',
  cheat: 'cheat_signal',
  report_user: 'user_report',
  bot: 'bot_detection',
  chargeback_alert: 'chargeback_signal',
};

/** Longest attribute name an event takes. */
const MAX_ATTR_NAME = 64;

const CUSTOM_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/**
 * A source event name as a Vigil event type: built-in names as they are, known aliases mapped
 * (`meme_upload` → `upload`), any other well-formed name as `custom:<name>`; undefined otherwise.
 * @example toEventType('meme_upload'); // 'upload'   toEventType('quest_done'); // 'custom:quest_done'
 */
export function toEventType(name: string): EventType | undefined {
  const n = name.trim().toLowerCase();
  const alias = TYPE_ALIASES[n];
  if (alias !== undefined) return alias;
  if (isEventType(n)) return n;
  return CUSTOM_NAME_RE.test(n) ? `custom:${n}` : undefined;
}

/**
 * A source timestamp as the event's `at`: epoch seconds (below 1e11, fractions allowed) become
 * milliseconds, epoch milliseconds are rounded, strings pass through (ISO 8601, checked by the
 * engine), numeric strings are read as numbers.
 * @example toEventTime(1736942400); // 1736942400000   toEventTime('2026-01-15T12:00:00Z'); // '2026-01-15T12:00:00Z'
 */
export function toEventTime(v: unknown): unknown {
  if (typeof v === 'string' && /^\d+(?:\.\d+)?$/.test(v.trim())) return toEventTime(Number(v));
  if (typeof v !== 'number' || !Number.isFinite(v)) return v;
  return Math.round(v < 1e11 ? v * 1000 : v);
}

function isScalar(v: unknown): v is AttrValue {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An event under construction, remembering where each field came from in the request. */
export interface EventDraft {
  /** Sets an event field from the request path it came from. */
  set(field: string, value: unknown, sourcePath: string): void;
  /** Sets a free attribute. */
  attr(key: string, value: AttrValue, sourcePath: string): void;
  /**
   * Maps a source object's fields: known aliases to event fields, fingerprint fields to the
   * attributes the detectors read, other scalars to attributes; nested values are ignored.
   */
  absorb(source: Readonly<Record<string, unknown>>, basePath: string): void;
  readonly input: Readonly<Record<string, unknown>>;
  /** The request path of an event path (`/ip` → `/metadata/ip_address`). */
  sourcePath(eventPath: string): string;
}

/**
 * Starts an event draft.
 * @example const d = createEventDraft(); d.set('user', 'u1', '/user_id'); d.absorb(body.metadata, '/metadata');
 */
export function createEventDraft(): EventDraft {
  const input: Record<string, unknown> = {};
  const attrs: Record<string, AttrValue> = {};
  const paths = new Map<string, string>();
  const draft: EventDraft = {
    input,
    set(f, value, sourcePath) {
      input[f] = value;
      paths.set(`/${f}`, sourcePath);
    },
    attr(key, value, sourcePath) {
      attrs[key] = value;
      input['attrs'] = attrs;
      paths.set(`/attrs/${key}`, sourcePath);
      if (!paths.has('/attrs')) paths.set('/attrs', sourcePath.slice(0, sourcePath.lastIndexOf('/')) || '/');
    },
    absorb(source, basePath) {
      for (const [key, value] of Object.entries(source)) {
        const path = `${basePath}/${key}`;
        const f = FIELD_ALIASES[key];
        if (f !== undefined) {
          if (value === undefined || value === null) continue;
          if (f === 'at') draft.set('at', toEventTime(value), path);
          else if (f === 'tier' && typeof value === 'string') draft.set('tier', value.toLowerCase(), path);
          else if (f === 'amount' && typeof value === 'string' && /^\d+(?:\.\d+)?$/.test(value.trim()))
            draft.set('amount', Number(value), path);
          else if (ID_FIELDS.has(f) && typeof value === 'number') draft.set(f, String(value), path);
          else draft.set(f, value, path);
          continue;
        }
        if (key === 'location' || key === 'geo') {
          if (isRecord(value)) {
            const lat = value['lat'] ?? value['latitude'];
            const lon = value['lon'] ?? value['lng'] ?? value['longitude'];
            if (lat !== undefined || lon !== undefined) {
              const geo: Record<string, unknown> = { lat, lon };
              if (typeof value['country'] === 'string') geo['country'] = value['country'].toUpperCase();
              draft.set('geo', geo, path);
            } else if (typeof value['country'] === 'string')
              draft.attr('country', value['country'], `${path}/country`);
          }
          continue;
        }
        const attr = ATTR_ALIASES[key] ?? key;
        if (!isScalar(value)) continue;
        if (attr.length > MAX_ATTR_NAME) {
          throw new DomainError('validation_failed', 'invalid event', {
            details: [{ path, message: `field names are at most ${MAX_ATTR_NAME} characters` }],
          });
        }
        draft.attr(attr, value, path);
      }
    },
    sourcePath(eventPath) {
      let best = '';
      for (const k of paths.keys()) {
        if ((eventPath === k || eventPath.startsWith(`${k}/`)) && k.length > best.length) best = k;
      }
      if (best === '') return eventPath;
      return `${paths.get(best) ?? ''}${eventPath.slice(best.length)}` || '/';
    },
  };
  return draft;
}

const IDEMPOTENCY_RE = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The event id of a compatibility request: the `Idempotency-Key` header, else an id the body
 * carries, else (when the body carries its own time, so an identical body is a retry) a hash of
 * the route and body, else a fresh ULID.
 * @example eventIdFor(req, 'bse', { explicit: body.event_id, body, timed: body.metadata?.timestamp !== undefined, now });
 */
export function eventIdFor(
  req: Pick<FastifyRequest, 'headers'>,
  prefix: string,
  o: { readonly explicit?: unknown; readonly body: unknown; readonly timed: boolean; readonly now: number },
): string {
  const header = req.headers['idempotency-key'];
  if (header !== undefined) {
    if (typeof header !== 'string' || !IDEMPOTENCY_RE.test(header)) {
      throw new DomainError('validation_failed', 'invalid Idempotency-Key header', {
        details: [
          {
            path: '/headers/idempotency-key',
            message: 'must be 1-128 characters: letters, digits and ._:@/+=-',
          },
        ],
      });
    }
    return header;
  }
  if (typeof o.explicit === 'string' && o.explicit !== '') return o.explicit;
  if (typeof o.explicit === 'number' && Number.isFinite(o.explicit)) return String(o.explicit);
  if (o.timed) {
    return `${prefix}-${createHash('sha256').update(prefix).update(canonicalJson(o.body)).digest('hex').slice(0, 40)}`;
  }
  return `${prefix}-${ulid(o.now)}`;
}

/** A decided event and whether it was a re-sent id. */
export interface Submitted {
  readonly decision: Decision;
  readonly duplicate: boolean;
}

/**
 * Submits a draft through the durable intake. Validation problems come back as `validation_failed`
 * at the request's own paths.
 * @example const { decision } = await submitDraft(ingest, appId, draft);
 */
export async function submitDraft(
  ingest: Pick<EventIngest, 'submit'>,
  appId: string,
  draft: EventDraft,
): Promise<Submitted> {
  const r = await ingest.submit(appId, draft.input);
  if (!r.ok) {
    const details: ErrorDetail[] = r.problems.map((p) => ({
      path: draft.sourcePath(p.path),
      message: p.message,
    }));
    throw new DomainError('validation_failed', 'invalid event', { details });
  }
  return { decision: r.decision ?? parseStoredJson<Decision>(r.json), duplicate: r.duplicate };
}

/** A source user id as text (numbers are accepted). @example userIdOf(42); // '42' */
export function userIdOf(v: string | number): string {
  return typeof v === 'number' ? String(v) : v;
}

/** Rounds to `digits` decimals. @example round(0.123456, 3); // 0.123 */
export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
