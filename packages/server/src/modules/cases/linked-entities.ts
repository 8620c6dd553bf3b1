import { sql } from 'kysely';
import type { Db } from '../../storage/database.js';

/** Identifier kinds that link accounts. */
export const LINK_KINDS = ['device', 'ip', 'wallet', 'email'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

/** One identifier of the user and the other users of the same app seen with it. */
export interface LinkedEntity {
  readonly kind: LinkKind;
  readonly value: string;
  /** Other users (at most `maxUsers`), in no particular order. */
  readonly users: readonly string[];
  /** True when more users share it than listed. */
  readonly more: boolean;
}

/** Finds the accounts linked to a user through shared identifiers (one app only). */
export interface LinkedEntityFinder {
  find(db: Db, appId: string, userId: string): Promise<readonly LinkedEntity[]>;
}

/** Options of {@link createEventScanLinkFinder}. */
export interface EventScanOptions {
  /** The user's newest events read for identifiers (default 500). */
  readonly userEvents?: number;
  /** Most identifiers looked up (default 20). */
  readonly maxIdentifiers?: number;
  /** How far back in the app's log (events) other users are searched (default 200,000). */
  readonly window?: number;
  /** Most other users listed per identifier (default 25). */
  readonly maxUsers?: number;
}

function readField(payload: unknown, kind: LinkKind): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const v: unknown = Reflect.get(payload, kind);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The default finder over the stored event log: collects the user's devices, IPs, wallets and
 * e-mails from their newest events, then looks for other users of the same app whose events
 * within the newest `window` carry the same value (a bounded scan of the JSON payloads: stored
 * events are `JSON.stringify`'d, so `"device":"d1"` is an exact substring). A feature that
 * maintains an entity graph can replace it through {@link LinkedEntityFinder}.
 * @example const links = await createEventScanLinkFinder().find(db, appId, 'u1');
 */
export function createEventScanLinkFinder(opts: EventScanOptions = {}): LinkedEntityFinder {
  const userEvents = opts.userEvents ?? 500;
  const maxIds = opts.maxIdentifiers ?? 20;
  const window = opts.window ?? 200_000;
  const maxUsers = opts.maxUsers ?? 25;
  return {
    async find(db, appId, userId) {
      const k = db.kysely;
      const own = await k
        .selectFrom('events')
        .select(['payload', 'seq'])
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .orderBy('seq', 'desc')
        .limit(userEvents)
        .execute();
      const ids: { kind: LinkKind; value: string }[] = [];
      const seen = new Set<string>();
      for (const r of own) {
        const p = parse(r.payload);
        for (const kind of LINK_KINDS) {
          const v = readField(p, kind);
          if (v === undefined || seen.has(`${kind}:${v}`)) continue;
          seen.add(`${kind}:${v}`);
          if (ids.length < maxIds) ids.push({ kind, value: v });
        }
      }
      if (ids.length === 0) return [];
      const top = await k
        .selectFrom('events')
        .select((eb) => eb.fn.max('seq').as('m'))
        .where('app_id', '=', appId)
        .executeTakeFirst();
      const from = Number(top?.m ?? 0) - window;
      const out: LinkedEntity[] = [];
      for (const id of ids) {
        const needle = `%${likeEscape(`${JSON.stringify(id.kind)}:${JSON.stringify(id.value)}`)}%`;
        const rows = await k
          .selectFrom('events')
          .select(['user_id', 'payload'])
          .where('app_id', '=', appId)
          .where('seq', '>', from)
          .where('user_id', 'is not', null)
          .where('user_id', '!=', userId)
          .where(sql<boolean>`payload LIKE ${needle} ESCAPE '\\'`)
          .orderBy('seq', 'desc')
          .limit(maxUsers * 20)
          .execute();
        const users = new Set<string>();
        let more = false;
        for (const r of rows) {
          // SQLite's LIKE ignores ASCII case: confirm on the parsed event
          if (r.user_id === null || readField(parse(r.payload), id.kind) !== id.value) continue;
          if (users.size >= maxUsers && !users.has(r.user_id)) {
            more = true;
            break;
          }
          users.add(r.user_id);
        }
        if (users.size > 0) out.push({ kind: id.kind, value: id.value, users: [...users].sort(), more });
      }
      return out;
    },
  };
}
