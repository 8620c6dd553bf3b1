import {
  canonicalIp,
  isCanonicalIpv4,
  isEventType,
  TIERS,
  type AttrValue,
  type Geo,
  type EventType,
  type Tier,
  type VigilEvent,
} from '@vigil/engine';

/**
 * The event field a batch column fills. `geo.*` are the parts of `geo`; `attr` is one `attrs` key
 * (`attrs.<key>` columns); `attrs` is a whole JSON object; `label` is ground truth (0/1, true/false,
 * fraud/normal) kept for evaluation and never sent to the engine.
 */
export const BATCH_FIELDS = [
  'id',
  'app',
  'type',
  'at',
  'user',
  'tier',
  'amount',
  'currency',
  'ip',
  'device',
  'userAgent',
  'geo.lat',
  'geo.lon',
  'geo.country',
  'wallet',
  'counterparty',
  'merchant',
  'terminal',
  'email',
  'referrer',
  'contentHash',
  'session',
  'attrs',
  'attr',
  'label',
] as const;
export type BatchField = (typeof BATCH_FIELDS)[number];

/** Column names understood besides the event's own field names, compared without case, `_`, `-`, `.` or spaces. */
const ALIASES: Readonly<Record<string, Exclude<BatchField, 'attr'>>> = {
  id: 'id',
  eventid: 'id',
  transactionid: 'id',
  txid: 'id',
  app: 'app',
  type: 'type',
  eventtype: 'type',
  at: 'at',
  timestamp: 'at',
  time: 'at',
  eventtime: 'at',
  user: 'user',
  userid: 'user',
  accountid: 'user',
  tier: 'tier',
  amount: 'amount',
  currency: 'currency',
  ip: 'ip',
  ipaddress: 'ip',
  device: 'device',
  deviceid: 'device',
  devicefingerprint: 'device',
  useragent: 'userAgent',
  lat: 'geo.lat',
  latitude: 'geo.lat',
  geolat: 'geo.lat',
  lon: 'geo.lon',
  lng: 'geo.lon',
  longitude: 'geo.lon',
  geolon: 'geo.lon',
  country: 'geo.country',
  geocountry: 'geo.country',
  wallet: 'wallet',
  counterparty: 'counterparty',
  merchant: 'merchant',
  merchantid: 'merchant',
  terminal: 'terminal',
  terminalid: 'terminal',
  email: 'email',
  referrer: 'referrer',
  contenthash: 'contentHash',
  session: 'session',
  sessionid: 'session',
  attrs: 'attrs',
  label: 'label',
  isfraud: 'label',
  fraud: 'label',
  malicious: 'label',
};

/** One input column and where its cells go. */
export interface BatchColumn {
  readonly index: number;
  readonly name: string;
  readonly field: BatchField;
  /** The attrs key of an `attrs.<key>` column. */
  readonly attr?: string;
  /** How an `attrs.<key>` cell is typed: `auto` (numbers, true/false, null) or forced by a `:string`/`:number`/`:boolean` suffix. */
  readonly attrType?: AttrType;
}

/** Types an `attrs.<key>:<type>` column can force. */
export const ATTR_TYPES = ['auto', 'string', 'number', 'boolean'] as const;
export type AttrType = (typeof ATTR_TYPES)[number];
const ATTR_SUFFIX_RE = /^(.*):(string|number|boolean)$/;

function isAttrType(x: string): x is AttrType {
  return (ATTR_TYPES as readonly string[]).includes(x);
}

/** How the columns of a CSV header map onto events. */
export interface ColumnMapping {
  readonly names: readonly string[];
  /** Mapped columns, in file order (ignored ones left out). */
  readonly columns: readonly BatchColumn[];
  /** Index of the user column (the shard key), or -1. */
  readonly userIndex: number;
  /** Index of the label column, or -1. */
  readonly labelIndex: number;
  /** Header problems that stop the run (a field named twice, a bad attrs key). */
  readonly errors: readonly string[];
  /** Header notes that do not stop it (ignored columns). */
  readonly warnings: readonly string[];
}

function squash(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_.-]+/g, '');
}

/**
 * Maps a CSV header onto event fields: the event's own field names (`userAgent` or `user_agent`),
 * a few common aliases (`user_id`, `transaction_id`, `timestamp`, `ip_address`, `lat`/`lon`),
 * `attrs.<key>` columns (cells typed automatically: numbers, true/false, null; or forced with a
 * `:string`, `:number` or `:boolean` suffix, e.g. `attrs.card:string`) and a `label`/`is_fraud`
 * column. Unknown columns are ignored with a warning.
 * @example
 * const m = mapColumns(['id', 'type', 'user_id', 'attrs.card']);
 * m.userIndex; // 2
 */
export function mapColumns(names: readonly string[]): ColumnMapping {
  const columns: BatchColumn[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  let userIndex = -1;
  let labelIndex = -1;
  names.forEach((raw, index) => {
    const name = raw.trim();
    if (name.toLowerCase().startsWith('attrs.') && name.length > 6) {
      const typed = ATTR_SUFFIX_RE.exec(name.slice(6));
      const attr = typed ? typed[1]! : name.slice(6);
      const hint = typed?.[2];
      const attrType: AttrType = hint !== undefined && isAttrType(hint) ? hint : 'auto';
      if (attr.length > 64)
        errors.push(`column ${index + 1} '${name}': attrs keys have at most 64 characters`);
      const key = `attrs.${attr}`;
      const before = seen.get(key);
      if (before !== undefined) errors.push(`columns '${before}' and '${name}' both fill attrs.${attr}`);
      seen.set(key, name);
      columns.push({ index, name, field: 'attr', attr, attrType });
      return;
    }
    const field = ALIASES[squash(name)];
    if (field === undefined) {
      warnings.push(
        name === ''
          ? `column ${index + 1} has no name: ignored`
          : `column '${name}' is not an event field: ignored (name it attrs.${name} to keep it)`,
      );
      return;
    }
    const before = seen.get(field);
    if (before !== undefined) {
      errors.push(`columns '${before}' and '${name}' both fill ${field}`);
      return;
    }
    seen.set(field, name);
    if (field === 'user') userIndex = index;
    if (field === 'label') labelIndex = index;
    columns.push({ index, name, field });
  });
  if (seen.has('attrs') && columns.some((c) => c.field === 'attr')) {
    errors.push("use either an 'attrs' JSON column or attrs.<key> columns, not both");
  }
  return { names, columns, userIndex, labelIndex, errors, warnings };
}

/** What {@link rowToEvent} makes of one row. */
export type RowEvent =
  | { readonly ok: true; readonly event: VigilEvent; readonly label: number | undefined }
  | { readonly ok: false; readonly message: string; readonly label: number | undefined };

/** Options of {@link rowToEvent}. */
export interface RowEventOptions {
  /** `app` of rows without an app column. */
  readonly app: string;
  /** Event time of rows without `at`. */
  readonly defaultAt: number;
  /** Event type of rows without `type` (otherwise such a row is an error). */
  readonly defaultType?: EventType;
  /** 1-based line of the row: rows without an id get `line-<n>`. */
  readonly line: number;
}

const TIER_SET = new Set<string>(TIERS);
function isTier(x: string): x is Tier {
  return TIER_SET.has(x);
}
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Attr cells read as numbers: plain decimals without leading zeros and at most 15 significant digits. */
const ATTR_NUMBER_RE = /^-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?$/;
const DIGITS_RE = /^\d{1,16}(?:\.\d{1,6})?$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const EMAIL_RE = /^[^\s@]+@([^\s@]+\.[^\s@]+)$/;
/** Epoch values below this are seconds (1e11 s is the year 5138; 1e11 ms is March 1973). */
const SECONDS_BELOW = 1e11;

/** Unicode code points of a string, the unit JSON Schema lengths count. */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function tooLong(s: string, max: number): boolean {
  return s.length > max && (s.length > max * 2 || codePoints(s) > max);
}

function tooShort(s: string, min: number): boolean {
  return s.length < min || (s.length < min * 2 && codePoints(s) < min);
}

/** Reads a label cell: 1/true/yes/fraud/malicious → 1, 0/false/no/normal/legit → 0. */
export function parseLabel(cell: string): number | undefined {
  switch (cell.trim().toLowerCase()) {
    case '1':
    case 'true':
    case 'yes':
    case 'fraud':
    case 'malicious':
      return 1;
    case '0':
    case 'false':
    case 'no':
    case 'normal':
    case 'legit':
      return 0;
    default:
      return undefined;
  }
}

/** A CSV attr cell as a typed value: numbers, true/false and null are typed, the rest stays text. */
export function attrValue(cell: string): AttrValue {
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  if (cell === 'null') return null;
  if (ATTR_NUMBER_RE.test(cell)) return Number(cell);
  return cell;
}

/** Recently seen IP cells and their canonical form (null: not an IP): a user's events repeat their IPs. */
const ipCache = new Map<string, string | null>();
const IP_CACHE_MAX = 65_536;

function cachedCanonicalIp(cell: string): string | undefined {
  if (isCanonicalIpv4(cell)) return cell;
  const hit = ipCache.get(cell);
  if (hit !== undefined) return hit ?? undefined;
  const ip = canonicalIp(cell);
  if (ipCache.size >= IP_CACHE_MAX) ipCache.clear();
  ipCache.set(cell, ip ?? null);
  return ip;
}

function bad(problems: string[], field: string, message: string): void {
  problems.push(`${field}: ${message}`);
}

/** Mutable build of a VigilEvent. */
type Draft = { -readonly [K in keyof VigilEvent]: VigilEvent[K] };

/**
 * Turns one CSV row into a validated, normalised event with the same rules and normal form as
 * `validateEvent` (lengths in code points, the event type vocabulary, canonical IPs, lower-cased
 * e-mails and wallets, upper-cased currency and country), without building an intermediate object
 * and running the schema checker: the batch path scores hundreds of thousands of rows a second.
 * Empty cells are absent fields. `at` takes ISO 8601 or epoch milliseconds (epoch seconds below
 * 1e11). Every problem of the row is reported in one message.
 * @example
 * const m = mapColumns(['id', 'type', 'user', 'amount']);
 * rowToEvent(['e1', 'payment', 'u1', '12.5'], m, { app: 'batch', defaultAt: 0, line: 2 }); // { ok: true, event: {...} }
 */
export function rowToEvent(
  fields: readonly string[],
  mapping: ColumnMapping,
  opts: RowEventOptions,
): RowEvent {
  const problems: string[] = [];
  let label: number | undefined;
  let id: string | undefined;
  let app: string | undefined;
  let type: EventType | undefined;
  let at: number | undefined;
  let lat: number | undefined;
  let lon: number | undefined;
  let country: string | undefined;
  let attrs: Record<string, AttrValue> | undefined;
  let attrCount = 0;
  let user: string | undefined;
  let tier: Tier | undefined;
  let amount: number | undefined;
  let currency: string | undefined;
  let ip: string | undefined;
  let device: string | undefined;
  let userAgent: string | undefined;
  let geo: Geo | undefined;
  let wallet: string | undefined;
  let counterparty: string | undefined;
  let merchant: string | undefined;
  let terminal: string | undefined;
  let email: string | undefined;
  let emailDomain: string | undefined;
  let referrer: string | undefined;
  let contentHash: string | undefined;
  let session: string | undefined;

  const cols = mapping.columns;
  for (let i = 0; i < cols.length; i++) {
    const col = cols[i]!;
    const v = fields[col.index];
    if (v === undefined || v === '') continue;
    switch (col.field) {
      case 'id':
        if (tooLong(v, 128)) bad(problems, 'id', 'must be at most 128 characters');
        else id = v;
        break;
      case 'app':
        if (tooLong(v, 200)) bad(problems, 'app', 'must be at most 200 characters');
        else app = v;
        break;
      case 'type':
        if (tooLong(v, 80)) bad(problems, 'type', 'must be at most 80 characters');
        else if (!isEventType(v))
          bad(problems, 'type', `unknown event type '${v}' (use a built-in type or custom:<name>)`);
        else type = v;
        break;
      case 'at': {
        let ms: number;
        if (DIGITS_RE.test(v)) {
          const n = Number(v);
          ms = n < SECONDS_BELOW ? Math.round(n * 1000) : n;
          if (!Number.isInteger(ms)) {
            bad(problems, 'at', 'epoch milliseconds must be an integer');
            break;
          }
        } else if (v.length <= 40 && ISO_RE.test(v)) {
          ms = Date.parse(v);
        } else ms = Number.NaN;
        if (Number.isNaN(ms)) bad(problems, 'at', 'must be an ISO 8601 date-time or epoch milliseconds');
        else at = ms;
        break;
      }
      case 'user':
        if (tooLong(v, 200)) bad(problems, 'user', 'must be at most 200 characters');
        else user = v;
        break;
      case 'tier':
        if (!isTier(v)) bad(problems, 'tier', `must be one of ${TIERS.join(', ')}`);
        else tier = v;
        break;
      case 'amount': {
        const n = NUMBER_RE.test(v) ? Number(v) : Number.NaN;
        if (!Number.isFinite(n)) bad(problems, 'amount', 'must be a number');
        else if (n < 0 || n > 1e15) bad(problems, 'amount', 'must be between 0 and 1e15');
        else amount = n;
        break;
      }
      case 'currency':
        if (tooLong(v, 12)) bad(problems, 'currency', 'must be at most 12 characters');
        else currency = v.toUpperCase();
        break;
      case 'ip': {
        const canonical = tooShort(v, 2) || tooLong(v, 45) ? undefined : cachedCanonicalIp(v);
        if (canonical === undefined)
          bad(problems, 'ip', `'${v.slice(0, 60)}' is not an IPv4 or IPv6 address`);
        else ip = canonical;
        break;
      }
      case 'device':
        if (tooLong(v, 200)) bad(problems, 'device', 'must be at most 200 characters');
        else device = v;
        break;
      case 'userAgent':
        if (tooLong(v, 1000)) bad(problems, 'userAgent', 'must be at most 1000 characters');
        else userAgent = v;
        break;
      case 'geo.lat': {
        const n = NUMBER_RE.test(v) ? Number(v) : Number.NaN;
        if (!(n >= -90 && n <= 90)) bad(problems, 'geo.lat', 'must be a number from -90 to 90');
        else lat = n;
        break;
      }
      case 'geo.lon': {
        const n = NUMBER_RE.test(v) ? Number(v) : Number.NaN;
        if (!(n >= -180 && n <= 180)) bad(problems, 'geo.lon', 'must be a number from -180 to 180');
        else lon = n;
        break;
      }
      case 'geo.country':
        if (codePoints(v) !== 2) bad(problems, 'geo.country', 'must be a 2-letter country code');
        else country = v.toUpperCase();
        break;
      case 'wallet':
        if (tooLong(v, 128)) bad(problems, 'wallet', 'must be at most 128 characters');
        else wallet = v.toLowerCase();
        break;
      case 'counterparty':
        if (tooLong(v, 128)) bad(problems, 'counterparty', 'must be at most 128 characters');
        else counterparty = v.toLowerCase();
        break;
      case 'merchant':
        if (tooLong(v, 200)) bad(problems, 'merchant', 'must be at most 200 characters');
        else merchant = v;
        break;
      case 'terminal':
        if (tooLong(v, 200)) bad(problems, 'terminal', 'must be at most 200 characters');
        else terminal = v;
        break;
      case 'email': {
        if (tooShort(v, 3) || tooLong(v, 254)) {
          bad(problems, 'email', 'must be 3 to 254 characters');
          break;
        }
        const lower = v.trim().toLowerCase();
        const m = EMAIL_RE.exec(lower);
        if (!m) bad(problems, 'email', 'not an e-mail address');
        else {
          email = lower;
          emailDomain = m[1]!;
        }
        break;
      }
      case 'referrer':
        if (tooLong(v, 200)) bad(problems, 'referrer', 'must be at most 200 characters');
        else referrer = v;
        break;
      case 'contentHash':
        if (tooLong(v, 128)) bad(problems, 'contentHash', 'must be at most 128 characters');
        else contentHash = v.toLowerCase();
        break;
      case 'session':
        if (tooLong(v, 200)) bad(problems, 'session', 'must be at most 200 characters');
        else session = v;
        break;
      case 'attrs': {
        const parsed = parseAttrsJson(v);
        if (typeof parsed === 'string') bad(problems, 'attrs', parsed);
        else {
          attrs = parsed;
          attrCount = Object.keys(parsed).length;
        }
        break;
      }
      case 'attr': {
        const key = col.attr!;
        if (tooLong(v, 2000)) {
          bad(problems, `attrs.${key}`, 'must be at most 2000 characters');
          break;
        }
        const typed = typedAttr(v, col.attrType ?? 'auto');
        if (typed === undefined) {
          bad(problems, `attrs.${key}`, `must be a ${col.attrType ?? 'value'}`);
          break;
        }
        (attrs ??= {})[key] = typed;
        attrCount++;
        break;
      }
      case 'label':
        label = parseLabel(v);
        break;
    }
  }
  if (attrCount > 64) bad(problems, 'attrs', 'at most 64 attributes');
  if (lat !== undefined || lon !== undefined || country !== undefined) {
    if (lat !== undefined && lon !== undefined)
      geo = country === undefined ? { lat, lon } : { lat, lon, country };
    else if (!problems.some((p) => p.startsWith('geo.')))
      bad(problems, 'geo', 'needs both geo.lat and geo.lon');
  }
  type ??= opts.defaultType;
  if (type === undefined && !problems.some((p) => p.startsWith('type:'))) bad(problems, 'type', 'required');
  if (problems.length > 0 || type === undefined) return { ok: false, message: problems.join('; '), label };

  const out: Draft = {
    id: id ?? `line-${opts.line}`,
    app: app ?? opts.app,
    type,
    at: at ?? opts.defaultAt,
  };
  if (user !== undefined) out.user = user;
  if (tier !== undefined) out.tier = tier;
  if (amount !== undefined) out.amount = amount;
  if (currency !== undefined) out.currency = currency;
  if (ip !== undefined) out.ip = ip;
  if (device !== undefined) out.device = device;
  if (userAgent !== undefined) out.userAgent = userAgent;
  if (geo !== undefined) out.geo = geo;
  if (wallet !== undefined) out.wallet = wallet;
  if (counterparty !== undefined) out.counterparty = counterparty;
  if (merchant !== undefined) out.merchant = merchant;
  if (terminal !== undefined) out.terminal = terminal;
  if (email !== undefined) out.email = email;
  if (emailDomain !== undefined) out.emailDomain = emailDomain;
  if (referrer !== undefined) out.referrer = referrer;
  if (contentHash !== undefined) out.contentHash = contentHash;
  if (session !== undefined) out.session = session;
  if (attrs !== undefined) out.attrs = attrs;
  return { ok: true, event: out, label };
}

function typedAttr(cell: string, type: AttrType): AttrValue | undefined {
  switch (type) {
    case 'auto':
      return attrValue(cell);
    case 'string':
      return cell;
    case 'number': {
      const n = NUMBER_RE.test(cell) ? Number(cell) : Number.NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean': {
      const b = parseLabel(cell);
      return b === undefined ? undefined : b === 1;
    }
  }
}

function parseAttrsJson(text: string): Record<string, AttrValue> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'must be a JSON object';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be a JSON object';
  const out: Record<string, AttrValue> = {};
  const entries: [string, unknown][] = Object.entries(v);
  for (const [k, x] of entries) {
    if (k === '__proto__') return 'the key "__proto__" is not allowed';
    if (tooLong(k, 64)) return `key '${k.slice(0, 20)}…' is longer than 64 characters`;
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) return `${k} must be a finite number`;
      out[k] = x;
    } else if (typeof x === 'string') {
      if (tooLong(x, 2000)) return `${k} must be at most 2000 characters`;
      out[k] = x;
    } else if (typeof x === 'boolean' || x === null) out[k] = x;
    else return `${k} must be a string, number, boolean or null`;
  }
  return out;
}
