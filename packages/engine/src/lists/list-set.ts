import Compile from 'typebox/compile';
import type { Problem, Validated } from '../events/validate-event.js';
import { parseIp } from '../util/ip.js';
import {
  ListEntryInputSchema,
  normalizeListEntry,
  normalizeListValue,
  type ListEntry,
  type ListEntryInput,
} from './list-entry.js';
import { LIST_KINDS, type ListHit, type ListKind, type ListLookup } from './list-lookup.js';
import { createPatternMatcher, type PatternMatcher } from './pattern-matcher.js';

/** Result of a bulk {@link ListSet.load}: rows are 0-based positions in the input. @example lists.load(rows).errors[0]; // { row: 3, problems: [{ path: '/value', message: '...' }] } */
export interface ListLoadReport {
  readonly loaded: number;
  readonly failed: number;
  /** One item per rejected row; problem paths are relative to the row (`/value`). */
  readonly errors: readonly { readonly row: number; readonly problems: readonly Problem[] }[];
}

/**
 * Block and allow lists held in memory, answering {@link ListLookup} on the hot path.
 * One entry per (kind, canonical value): adding a value again replaces the previous entry
 * (so the latest verdict for a value wins). Between entries that match the same value, the more
 * specific one wins: an exact address over any range and a longer prefix over a shorter one, a
 * subdomain over its parent domain, a longer user-agent pattern over a shorter one.
 * @example const lists: ListSet = createListSet(); lists.add({ kind: 'user', value: 'u1', verdict: 'block' });
 */
export interface ListSet extends ListLookup {
  /** Validates, normalises and stores one entry (replacing any entry for the same value). */
  add(entry: ListEntryInput): Validated<ListEntry>;
  /** Removes the entry for a value (normalised the same way as on add); true when one existed. */
  remove(kind: ListKind, value: string): boolean;
  /** Stored entries, of one kind or all. */
  entries(kind?: ListKind): readonly ListEntry[];
  size(): number;
  /** Drops every entry whose `expiresAt` is at or before `now`; returns how many were dropped. */
  prune(now: number): number;
  /** Validates and adds many untrusted rows (API bodies, CSV imports), reporting every bad row. */
  load(rows: readonly unknown[]): ListLoadReport;
}

const rowChecker = Compile(ListEntryInputSchema);

const V4_MASKS: readonly number[] = Array.from({ length: 33 }, (_, p) =>
  p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0,
);
const HEX_GROUP_RE = /^[0-9a-f]{1,4}$/;
const V4_MAPPED_HEX = '00000000000000000000ffff';

/**
 * An IPv6 address as 32 lower-case hex digits, so a range key is a prefix of it (no BigInt on
 * the hot path). Fast path for the compressed lower-case form validateEvent produces; anything
 * else (upper case, an embedded IPv4 tail, a zone) goes through parseIp.
 */
function v6Hex(s: string): string | undefined {
  const dbl = s.indexOf('::');
  const head = dbl < 0 ? s : s.slice(0, dbl);
  const tail = dbl < 0 ? '' : s.slice(dbl + 2);
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === '' ? [] : tail.split(':');
  const n = hs.length + ts.length;
  let ok = dbl < 0 ? n === 8 : n <= 7 && !tail.includes('::');
  let out = '';
  if (ok) {
    for (const g of hs) {
      if (!HEX_GROUP_RE.test(g)) ok = false;
      out += '0000'.slice(g.length) + g;
    }
    out += '0000'.repeat(8 - n);
    for (const g of ts) {
      if (!HEX_GROUP_RE.test(g)) ok = false;
      out += '0000'.slice(g.length) + g;
    }
  }
  if (ok) return out;
  const p = parseIp(s);
  if (!p) return undefined;
  return p.version === 4
    ? V4_MAPPED_HEX + p.value.toString(16).padStart(8, '0')
    : p.value.toString(16).padStart(32, '0');
}

/** The key of the /prefix range containing an address given as 32 hex digits. */
function v6Key(hex: string, prefix: number): string {
  const full = prefix >> 2;
  const rem = prefix & 3;
  const head = hex.slice(0, full);
  if (rem === 0) return head;
  const nibble = parseInt(hex[full] ?? '0', 16) & ((0xf << (4 - rem)) & 0xf);
  return head + nibble.toString(16);
}

/** Dotted-quad to uint32 without BigInt (the common case on the hot path); -1 when not IPv4. */
function parseV4Fast(s: string): number {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      acc = acc * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return acc * 256 + part;
}

/**
 * Creates an empty in-memory list set.
 * @example
 * const lists = createListSet();
 * lists.add({ kind: 'ip', value: '185.220.100.0/22', verdict: 'block', label: 'tor' });
 * lists.lookup('ip', '185.220.101.7'); // { verdict: 'block', label: 'tor', match: '185.220.100.0/22', ... }
 */
export function createListSet(): ListSet {
  const byKind = new Map<ListKind, Map<string, ListEntry>>(LIST_KINDS.map((k) => [k, new Map()]));
  const table = (k: ListKind): Map<string, ListEntry> => {
    const t = byKind.get(k);
    if (!t) throw new Error(`unknown list kind ${k}`);
    return t;
  };
  const users = table('user');
  const devices = table('device');
  const wallets = table('wallet');
  const emails = table('email');
  const domains = table('email_domain');
  const agents = table('user_agent');
  const ipExact = new Map<string, ListEntry>();
  // Ranges per prefix length; the prefix lists are kept sorted longest first.
  const v4Ranges = new Map<number, Map<number, ListEntry>>();
  const v6Ranges = new Map<number, Map<string, ListEntry>>();
  let v4Prefixes: readonly number[] = [];
  let v6Prefixes: readonly number[] = [];
  let agentMatcher: PatternMatcher<ListEntry> | undefined;
  let agentsDirty = false;

  const sortPrefixes = (): void => {
    v4Prefixes = [...v4Ranges.keys()].sort((a, b) => b - a);
    v6Prefixes = [...v6Ranges.keys()].sort((a, b) => b - a);
  };

  const unindex = (kind: ListKind, value: string): boolean => {
    const t = table(kind);
    if (!t.delete(value)) return false;
    if (kind === 'user_agent') agentsDirty = true;
    if (kind === 'ip') {
      if (ipExact.delete(value)) return true;
      const n = normalizeListValue('ip', value);
      if (n.ok && n.value.kind === 'ip') {
        const { version, prefix, base } = n.value;
        if (version === 4) {
          const m = v4Ranges.get(prefix);
          m?.delete(Number(base));
          if (m?.size === 0) v4Ranges.delete(prefix);
        } else {
          const m = v6Ranges.get(prefix);
          m?.delete(v6Key(base.toString(16).padStart(32, '0'), prefix));
          if (m?.size === 0) v6Ranges.delete(prefix);
        }
        sortPrefixes();
      }
    }
    return true;
  };

  const add = (input: ListEntryInput): Validated<ListEntry> => {
    const r = normalizeListEntry(input);
    if (!r.ok) return r;
    const { entry, normalized } = r.value;
    unindex(entry.kind, entry.value);
    table(entry.kind).set(entry.value, entry);
    if (normalized.kind === 'ip') {
      const full = normalized.version === 4 ? 32 : 128;
      if (normalized.prefix === full) ipExact.set(entry.value, entry);
      else if (normalized.version === 4) {
        let m = v4Ranges.get(normalized.prefix);
        if (!m) v4Ranges.set(normalized.prefix, (m = new Map<number, ListEntry>()));
        m.set(Number(normalized.base), entry);
        sortPrefixes();
      } else {
        let m = v6Ranges.get(normalized.prefix);
        if (!m) v6Ranges.set(normalized.prefix, (m = new Map<string, ListEntry>()));
        m.set(v6Key(normalized.base.toString(16).padStart(32, '0'), normalized.prefix), entry);
        sortPrefixes();
      }
    }
    if (entry.kind === 'user_agent') agentsDirty = true;
    return { ok: true, value: entry };
  };

  const lookupV4 = (ip: number): ListHit | undefined => {
    for (const p of v4Prefixes) {
      const hit = v4Ranges.get(p)?.get((ip & (V4_MASKS[p] ?? 0)) >>> 0);
      if (hit) return hit;
    }
    return undefined;
  };

  const lookupIp = (value: string): ListHit | undefined => {
    const exact = ipExact.get(value);
    if (exact) return exact;
    if (v4Prefixes.length === 0 && v6Prefixes.length === 0) return undefined;
    const v4 = parseV4Fast(value);
    if (v4 >= 0) return lookupV4(v4);
    const hex = v6Hex(value);
    if (hex === undefined) return undefined;
    if (hex.startsWith(V4_MAPPED_HEX)) return lookupV4(parseInt(hex.slice(24), 16));
    for (const p of v6Prefixes) {
      const hit = v6Ranges.get(p)?.get(v6Key(hex, p));
      if (hit) return hit;
    }
    return undefined;
  };

  const lookupDomain = (value: string): ListHit | undefined => {
    if (domains.size === 0) return undefined;
    let d = value.toLowerCase();
    for (;;) {
      const hit = domains.get(d);
      if (hit) return hit;
      const dot = d.indexOf('.');
      if (dot < 0) return undefined;
      d = d.slice(dot + 1);
    }
  };

  const lookupAgent = (value: string): ListHit | undefined => {
    if (agents.size === 0) return undefined;
    if (agentsDirty || !agentMatcher) {
      agentMatcher = createPatternMatcher(
        [...agents.values()].map((e) => ({ pattern: e.value, payload: e })),
      );
      agentsDirty = false;
    }
    return agentMatcher.find(value.toLowerCase());
  };

  return {
    lookup(kind: ListKind, value: string): ListHit | undefined {
      switch (kind) {
        case 'ip':
          return lookupIp(value);
        case 'user':
          return users.get(value);
        case 'device':
          return devices.get(value);
        case 'wallet':
          return wallets.size === 0 ? undefined : wallets.get(value.toLowerCase());
        case 'email':
          return emails.size === 0 ? undefined : emails.get(value.toLowerCase());
        case 'email_domain':
          return lookupDomain(value);
        case 'user_agent':
          return lookupAgent(value);
      }
    },
    add,
    remove(kind: ListKind, value: string): boolean {
      const n = normalizeListValue(kind, value);
      return n.ok ? unindex(kind, n.value.value) : false;
    },
    entries(kind?: ListKind): readonly ListEntry[] {
      if (kind !== undefined) return [...table(kind).values()];
      const out: ListEntry[] = [];
      for (const t of byKind.values()) out.push(...t.values());
      return out;
    },
    size(): number {
      let n = 0;
      for (const t of byKind.values()) n += t.size;
      return n;
    },
    prune(now: number): number {
      const expired: ListEntry[] = [];
      for (const t of byKind.values())
        for (const e of t.values()) if (e.expiresAt !== undefined && e.expiresAt <= now) expired.push(e);
      for (const e of expired) unindex(e.kind, e.value);
      return expired.length;
    },
    load(rows: readonly unknown[]): ListLoadReport {
      let loaded = 0;
      const errors: { row: number; problems: readonly Problem[] }[] = [];
      rows.forEach((row, i) => {
        if (!rowChecker.Check(row)) {
          const problems = rowChecker.Errors(row).map((e) => ({
            path: e.instancePath === '' ? '/' : e.instancePath,
            message: e.message,
          }));
          errors.push({
            row: i,
            problems: problems.length > 0 ? problems : [{ path: '/', message: 'invalid entry' }],
          });
          return;
        }
        const r = add(row);
        if (r.ok) loaded++;
        else errors.push({ row: i, problems: r.problems });
      });
      return { loaded, failed: errors.length, errors };
    },
  };
}
