import {
  createListSet,
  type Engine,
  type ListHit,
  type ListKind,
  type ListLookup,
  type ListSet,
  type ListVerdict,
} from '@vigil/engine';
import { GLOBAL_LIST_SCOPE, type ListRecord, type StoredListVerdict } from './list.store.js';

/**
 * The engine verdict of a stored verdict (undefined when the engine cannot hold it). Every stored
 * verdict reaches the engine: `flag` entries (imported feeds) are scored as graded reputation
 * signals that force no action.
 * @example engineVerdict('block'); // 'block'   engineVerdict('flag'); // 'flag'
 */
export function engineVerdict(v: StoredListVerdict): ListVerdict | undefined {
  switch (v) {
    case 'block':
    case 'allow':
    case 'flag':
      return v;
    default: {
      // exhaustive: a new stored verdict must be mapped here
      const unknown: never = v;
      return unknown;
    }
  }
}

/** What {@link ListRegistry.apply} did. */
export interface ListApplyReport {
  readonly applied: number;
  /** Entries with a verdict the engine cannot hold: stored, not scored (0 while every stored verdict is an engine one). */
  readonly notScored: number;
}

/** A lookup whose app is chosen before each (synchronous) scoring call. */
export interface AppListLookup extends ListLookup {
  /** Answers for this app from now on: the app's own entries first, then the global ones. */
  use(appId: string): void;
}

/**
 * The in-memory lists of every app plus the global scope, answering the engine on the hot path.
 * Writes come from the list service after its transaction committed.
 */
export interface ListRegistry {
  /** The lookup to give `createEngine({ lists })`; call `use(event.app)` before each `score`. */
  readonly lookup: AppListLookup;
  /** A lookup for one app: its own entries first, then the global ones. */
  forApp(appId: string): ListLookup;
  /** Adds or replaces entries (expired ones are skipped). */
  apply(records: readonly ListRecord[], now: number): ListApplyReport;
  /** Removes an entry (the value in canonical form). */
  remove(scope: string, kind: ListKind, value: string): void;
  /**
   * Replaces every entry with the given ones. The new sets are built aside and swapped in at the
   * end, so lookups never see a half-loaded state.
   */
  reload(pages: AsyncIterable<readonly ListRecord[]>, now: number): Promise<ListApplyReport>;
  /** Drops expired entries from memory; returns how many. */
  prune(now: number): number;
  /** Entries held in memory, per scope. */
  sizes(): ReadonlyMap<string, number>;
}

/**
 * Creates an empty registry. App entries win over global ones for the same value, so an app can
 * allow an address a global feed lists.
 * @example
 * const registry = createListRegistry();
 * const engine = createEngine({ lists: registry.lookup });
 * registry.lookup.use(event.app); const decision = engine.score(event, now);
 */
export function createListRegistry(): ListRegistry {
  let sets = new Map<string, ListSet>();
  let own: ListSet | undefined;
  let global: ListSet | undefined;
  let current = '';

  const select = (appId: string): void => {
    current = appId;
    own = appId === GLOBAL_LIST_SCOPE ? undefined : sets.get(appId);
    global = sets.get(GLOBAL_LIST_SCOPE);
  };

  const applyTo = (
    target: Map<string, ListSet>,
    records: readonly ListRecord[],
    now: number,
  ): ListApplyReport => {
    let applied = 0;
    let notScored = 0;
    for (const r of records) {
      const verdict = engineVerdict(r.verdict);
      let set = target.get(r.scope);
      if (set === undefined) {
        target.set(r.scope, (set = createListSet()));
        if (target === sets) select(current);
      }
      if (verdict === undefined || (r.expiresAt !== null && r.expiresAt <= now)) {
        // a value re-listed with a verdict the engine cannot hold must not keep its old one
        set.remove(r.kind, r.value);
        if (verdict === undefined) notScored++;
        continue;
      }
      const added = set.add({
        kind: r.kind,
        value: r.value,
        verdict,
        label: r.label,
        weight: r.weight,
        ...(r.expiresAt !== null ? { expiresAt: r.expiresAt } : {}),
      });
      if (added.ok) applied++;
    }
    return { applied, notScored };
  };

  const lookup: AppListLookup = {
    use(appId: string): void {
      if (appId !== current) select(appId);
    },
    lookup(kind: ListKind, value: string): ListHit | undefined {
      return own?.lookup(kind, value) ?? global?.lookup(kind, value);
    },
  };

  return {
    lookup,
    forApp(appId) {
      return {
        lookup: (kind, value) =>
          (appId === GLOBAL_LIST_SCOPE ? undefined : sets.get(appId))?.lookup(kind, value) ??
          sets.get(GLOBAL_LIST_SCOPE)?.lookup(kind, value),
      };
    },
    apply(records, now) {
      return applyTo(sets, records, now);
    },
    async reload(pages, now) {
      const fresh = new Map<string, ListSet>();
      let applied = 0;
      let notScored = 0;
      for await (const page of pages) {
        const r = applyTo(fresh, page, now);
        applied += r.applied;
        notScored += r.notScored;
      }
      sets = fresh;
      select(current);
      return { applied, notScored };
    },
    remove(scope, kind, value) {
      sets.get(scope)?.remove(kind, value);
    },
    prune(now) {
      let n = 0;
      for (const s of sets.values()) n += s.prune(now);
      return n;
    },
    sizes() {
      const out = new Map<string, number>();
      for (const [scope, s] of sets) out.set(scope, s.size());
      return out;
    },
  };
}

/**
 * Wraps an engine built with `createEngine({ lists: registry.lookup })` so every scoring call
 * first selects the event's app in the registry. Scoring is synchronous, so the selection holds
 * for exactly that event.
 * @example
 * const engine = withAppLists(createEngine({ lists: registry.lookup }), registry);
 * engine.score(event, now); // sees event.app's lists, then the global ones
 */
export function withAppLists(engine: Engine, registry: Pick<ListRegistry, 'lookup'>): Engine {
  const use = registry.lookup;
  return {
    config: engine.config,
    plan: engine.plan,
    store: engine.store,
    detectors: engine.detectors,
    process(input, opts) {
      // validateEvent prefers the event's own app over the default
      const own = typeof input === 'object' && input !== null && 'app' in input ? input.app : undefined;
      use.use(typeof own === 'string' ? own : (opts.app ?? ''));
      return engine.process(input, opts);
    },
    score(event, now) {
      use.use(event.app);
      return engine.score(event, now);
    },
    decide(event, features, now) {
      use.use(event.app);
      return engine.decide(event, features, now);
    },
  };
}
