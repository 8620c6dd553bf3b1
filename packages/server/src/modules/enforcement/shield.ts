import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Detector } from '@vigil/engine';
import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/database.js';
import { createCaseIntake } from '../cases/case-intake.js';
import { caseRoutes, CaseSchema } from '../cases/case.routes.js';
import { createCaseService, type CaseService, type CaseServiceOptions } from '../cases/case.service.js';
import {
  createFalsePositiveDetector,
  createFalsePositiveRegistry,
  loadFalsePositives,
  type FalsePositiveRegistry,
} from '../cases/false-positive.js';
import { createIntelDetector, type IntelScores } from '../intel/intel.detector.js';
import { intelRoutes } from '../intel/intel.routes.js';
import { createIntelService, type IntelService } from '../intel/intel.service.js';
import type { EnforcementEvents } from './enforcement-events.js';
import { enforcementRoutes, EnforcementSchema } from './enforcement.routes.js';
import {
  createEnforcementService,
  type DecidedEvent,
  type EnforcementService,
  type EnforcementServiceOptions,
} from './enforcement.service.js';

/** What one sweep did. */
export interface SweepReport {
  /** Enforcements whose end passed, marked expired (and announced as lifted). */
  readonly expired: number;
  /** Overdue cases alerted about. */
  readonly overdueAlerts: number;
}

/** The event intake's commit hook shape (`DecisionCommitHook` of modules/events). */
export interface ShieldCommitHook {
  onCommit(tx: Db, committed: readonly DecidedEvent[]): Promise<void>;
  afterCommit?(committed: readonly DecidedEvent[]): void;
  needed?(decided: readonly Pick<DecidedEvent, 'event' | 'decision'>[]): boolean;
}

/** Whether a decision gets enforced: a user's event whose plan is more than `observe`. */
const enforceable = (c: Pick<DecidedEvent, 'event' | 'decision'>): boolean =>
  c.event.user !== undefined && c.decision.enforcement.action !== 'observe';

/** Enforcement, review cases and shared intelligence, wired together. */
export interface Shield {
  readonly enforcement: EnforcementService;
  readonly cases: CaseService;
  readonly intel: IntelService;
  readonly falsePositives: FalsePositiveRegistry;
  /**
   * Server-side detectors to append to every engine's catalogue (shared intelligence, then the
   * false-positive discount, which must run last):
   * `createEngine({ config, detectors: [...createCatalogue(config), ...shield.detectors] })`.
   */
  readonly detectors: readonly Detector[];
  /** Runs enforcement in each group commit's transaction (`commitHooks` of the event intake). */
  readonly commitHook: ShieldCommitHook;
  /** Expires enforcements, alerts on overdue cases and reloads the shared registries. */
  sweep(): Promise<SweepReport>;
  /** Sweeps every `intervalMs` (unref'd timer); the returned stop waits for a sweep in progress. */
  startSweeper(intervalMs: number, onError: (err: unknown) => void): () => Promise<void>;
  /** Every route: `/v1/enforcements`, `/v1/cases`, `/v1/intel`. */
  routes(): FastifyPluginAsyncTypebox;
}

/** Options of {@link createShield}. */
export interface ShieldOptions {
  readonly enforcement?: EnforcementServiceOptions;
  readonly cases?: CaseServiceOptions;
  readonly intelScores?: IntelScores;
  /** Server-wide pepper for hashing shared identifiers. Default: one generated and kept in the database. */
  readonly intelPepper?: string;
  /** A signal at or above this score overrides a false-positive grace period (default 0.9). */
  readonly falsePositiveCeiling?: number;
}

/**
 * Wires enforcement, cases and shared intelligence over one database. `events` is where changes
 * are announced (the webhooks service); `wake` nudges its dispatcher after a commit.
 * @example
 * const shield = await createShield({ db, clock, events: webhooks, wake: () => dispatcher.wake() });
 * const engine = createEngine({ detectors: [...createCatalogue(DEFAULT_ENGINE_CONFIG), ...shield.detectors] });
 * createEventIngest(deps, { commitHooks: [shield.commitHook] });
 */
export async function createShield(
  deps: {
    readonly db: Db;
    readonly clock: Clock;
    readonly events: EnforcementEvents;
    readonly wake?: () => void;
  },
  opts: ShieldOptions = {},
): Promise<Shield> {
  const { db, clock, events } = deps;
  const intel = await createIntelService(
    { db, clock },
    opts.intelPepper !== undefined ? { pepper: opts.intelPepper } : {},
  );
  const falsePositives = createFalsePositiveRegistry();
  falsePositives.load(await loadFalsePositives(db, clock.now()));
  const enforcement = createEnforcementService(
    { db, clock, events, cases: createCaseIntake() },
    opts.enforcement,
  );
  const cases = createCaseService({ db, clock, enforcement, events, intel, falsePositives }, opts.cases);
  const detectors: readonly Detector[] = [
    createIntelDetector(intel.registry, opts.intelScores),
    createFalsePositiveDetector(falsePositives, { ceiling: opts.falsePositiveCeiling ?? 0.9 }),
  ];
  let touched = false;

  const sweep = async (): Promise<SweepReport> => {
    const expired = await enforcement.sweep();
    const overdueAlerts = await cases.alertOverdue();
    // other processes may have shared or resolved meanwhile
    await intel.load();
    falsePositives.load(await loadFalsePositives(db, clock.now()));
    if (expired + overdueAlerts > 0) deps.wake?.();
    return { expired, overdueAlerts };
  };

  return {
    enforcement,
    cases,
    intel,
    falsePositives,
    detectors,
    commitHook: {
      needed: (decided) => decided.some(enforceable),
      async onCommit(tx, committed) {
        touched = committed.some(enforceable);
        if (touched) await enforcement.applyDecisions(tx, committed, clock.now());
      },
      afterCommit() {
        if (touched) deps.wake?.();
        touched = false;
      },
    },
    sweep,
    startSweeper(intervalMs, onError) {
      let running: Promise<void> | undefined;
      const timer = setInterval(() => {
        if (running !== undefined) return;
        running = sweep()
          .then(() => undefined, onError)
          .finally(() => {
            running = undefined;
          });
      }, intervalMs);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await running;
      };
    },
    routes() {
      const now = () => clock.now();
      return async (app) => {
        app.addSchema(EnforcementSchema);
        app.addSchema(CaseSchema);
        await app.register(enforcementRoutes({ enforcement, now }));
        await app.register(caseRoutes({ cases, now }));
        await app.register(intelRoutes({ intel }));
      };
    },
  };
}
