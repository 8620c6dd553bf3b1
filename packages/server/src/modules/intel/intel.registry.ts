import {
  DEFAULT_INTEL_SETTINGS,
  hashIdentifier,
  type IntelKind,
  type IntelSettings,
  type IntelSource,
} from './intel.model.js';
import type { IntelMark } from './intel.store.js';

/** What the shared intelligence knows about one identifier, as another app may see it. */
export interface IntelMatch {
  /** How many other apps shared it. */
  readonly apps: number;
  /** Why they did, distinct. */
  readonly sources: readonly IntelSource[];
}

/**
 * The in-memory read side of shared intelligence, consulted on the scoring hot path. Writes come
 * from the intel service after its transaction committed (and a periodic reload).
 */
export interface IntelRegistry {
  /** The hash of a canonical identifier under this server's pepper (cached). */
  hash(kind: IntelKind, value: string): string;
  /**
   * What other apps shared about an identifier, for `consumerApp`; undefined when nothing, when
   * the consumer opted out, or when only the consumer itself shared it.
   */
  match(kind: IntelKind, value: string, consumerApp: string, now: number): IntelMatch | undefined;
  /** Replaces everything (start-up and periodic reload). */
  load(marks: readonly IntelMark[], settings: ReadonlyMap<string, IntelSettings>): void;
  add(marks: readonly IntelMark[]): void;
  remove(kind: IntelKind, hash: string, sourceApp: string): void;
  setSettings(appId: string, s: IntelSettings): void;
  settings(appId: string): IntelSettings;
  /** Shared identifiers held. */
  size(): number;
}

interface Holder {
  readonly source: IntelSource;
  readonly expiresAt: number | null;
}

const MAX_CACHED_HASHES = 50_000;

/**
 * Creates the registry for a pepper.
 * @example
 * const registry = createIntelRegistry(pepper);
 * registry.add([{ kind: 'device', hash: registry.hash('device', 'd1'), sourceApp: 'A', source: 'confirmed_fraud', expiresAt: null }]);
 * registry.match('device', 'd1', 'B', Date.now()); // { apps: 1, sources: ['confirmed_fraud'] }
 */
export function createIntelRegistry(pepper: string): IntelRegistry {
  let entries = new Map<string, Map<string, Holder>>();
  let settings = new Map<string, IntelSettings>();
  const cache = new Map<string, string>();
  const keyOf = (kind: IntelKind, hash: string) => `${kind}:${hash}`;

  const hash = (kind: IntelKind, value: string): string => {
    const ck = `${kind}\u0000${value}`;
    let h = cache.get(ck);
    if (h === undefined) {
      h = hashIdentifier(pepper, kind, value);
      if (cache.size >= MAX_CACHED_HASHES) cache.clear();
      cache.set(ck, h);
    }
    return h;
  };

  const addTo = (target: Map<string, Map<string, Holder>>, m: IntelMark): void => {
    const k = keyOf(m.kind, m.hash);
    let holders = target.get(k);
    if (holders === undefined) target.set(k, (holders = new Map<string, Holder>()));
    holders.set(m.sourceApp, { source: m.source, expiresAt: m.expiresAt });
  };

  const settingsOf = (appId: string): IntelSettings => settings.get(appId) ?? DEFAULT_INTEL_SETTINGS;

  return {
    hash,
    match(kind, value, consumerApp, now) {
      if (entries.size === 0 || !settingsOf(consumerApp).consume) return undefined;
      const holders = entries.get(keyOf(kind, hash(kind, value)));
      if (holders === undefined) return undefined;
      let apps = 0;
      let sources: IntelSource[] | undefined;
      for (const [app, h] of holders) {
        if (app === consumerApp || !settingsOf(app).contribute) continue;
        if (h.expiresAt !== null && h.expiresAt <= now) continue;
        apps++;
        if (sources === undefined) sources = [h.source];
        else if (!sources.includes(h.source)) sources.push(h.source);
      }
      return apps === 0 || sources === undefined ? undefined : { apps, sources };
    },
    load(marks, s) {
      const fresh = new Map<string, Map<string, Holder>>();
      for (const m of marks) addTo(fresh, m);
      entries = fresh;
      settings = new Map(s);
    },
    add(marks) {
      for (const m of marks) addTo(entries, m);
    },
    remove(kind, h, sourceApp) {
      const k = keyOf(kind, h);
      const holders = entries.get(k);
      holders?.delete(sourceApp);
      if (holders !== undefined && holders.size === 0) entries.delete(k);
    },
    setSettings(appId, s) {
      settings.set(appId, s);
    },
    settings: settingsOf,
    size: () => entries.size,
  };
}
