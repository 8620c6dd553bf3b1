import { severityOf, type Detector, type VigilEvent } from '@vigil/engine';
import type { IntelKind } from './intel.model.js';
import type { IntelRegistry } from './intel.registry.js';

/** Score of one other app's report per kind; several apps combine as 1 − Π(1 − base). */
export interface IntelScores {
  readonly device: number;
  readonly ip: number;
  readonly wallet: number;
  readonly email: number;
  /** Ceiling of the combined score. */
  readonly max: number;
}

/** Defaults: devices and wallets weigh most, IPs least (shared by NAT and mobile carriers). */
export const DEFAULT_INTEL_SCORES: IntelScores = Object.freeze({
  device: 0.6,
  ip: 0.35,
  wallet: 0.6,
  email: 0.5,
  max: 0.95,
});

interface Field {
  readonly kind: IntelKind;
  readonly code: string;
  readonly noun: string;
  readonly read: (e: VigilEvent) => string | undefined;
}

const FIELDS: readonly Field[] = [
  { kind: 'device', code: 'intel.shared_device', noun: 'device', read: (e) => e.device },
  { kind: 'ip', code: 'intel.shared_ip', noun: 'IP address', read: (e) => e.ip },
  { kind: 'wallet', code: 'intel.shared_wallet', noun: 'wallet', read: (e) => e.wallet },
  { kind: 'email', code: 'intel.shared_email', noun: 'e-mail address', read: (e) => e.email },
];

const SOURCE_WORDS = {
  confirmed_fraud: 'confirmed fraudulent after review',
  list: 'block-listed',
  manual: 'reported as fraudulent',
} as const;

/**
 * The shared-intelligence detector (server side; the engine needs no change): for each device, IP,
 * wallet and e-mail of the event, asks the registry whether other apps on this Vigil confirmed or
 * listed it as fraudulent, and emits `intel.shared_<kind>` (category `reputation`). The evidence
 * says how many apps and why, never which apps or any of their events. Costs nothing while
 * nothing is shared.
 * @example const engine = createEngine({ detectors: [...createCatalogue(config), createIntelDetector(registry)] });
 */
export function createIntelDetector(
  registry: IntelRegistry,
  scores: IntelScores = DEFAULT_INTEL_SCORES,
): Detector {
  return {
    id: 'intel.shared',
    features: [],
    detect(ctx, out) {
      if (registry.size() === 0) return;
      const e = ctx.event;
      for (const f of FIELDS) {
        const value = f.read(e);
        if (value === undefined || value === '') continue;
        const m = registry.match(f.kind, value, e.app, ctx.now);
        if (m === undefined) continue;
        const score = Math.min(scores.max, 1 - (1 - scores[f.kind]) ** m.apps);
        const why = m.sources.map((s) => SOURCE_WORDS[s]).join(' and ');
        out.signals.push({
          code: f.code,
          score: Math.round(score * 1000) / 1000,
          severity: severityOf(score),
          category: 'reputation',
          reason:
            m.apps === 1
              ? `This ${f.noun} was ${why} in another app on this Vigil.`
              : `This ${f.noun} was ${why} in ${m.apps} other apps on this Vigil.`,
          evidence: { kind: f.kind, apps: m.apps, sources: m.sources.slice() },
        });
      }
    },
  };
}
