import type { EngineConfig } from '../config/engine-config.js';
import { compileRules } from '../rules/index.js';
import { createBehaviorDetectors } from './behavior/index.js';
import type { Detector } from './detector.js';
import { createListDetector } from './lists/index.js';
import { createMafDetectors } from './maf/index.js';
import { createOracleDetectors } from './oracle/index.js';
import { createShieldDetectors, resolveShieldOptions } from './shield/index.js';

/**
 * The built-in detector catalogue for a configuration, in run order: lists first (their actions
 * settle the outcome early and they are cheapest), then behaviour, shield, the oracle analyzers,
 * the app's rules, and MAF last because its flag detector reads the other MAF findings. Detectors
 * whose id is in `detectors.disabled` are left out. Throws when the rules do not compile (a
 * configuration that passed `parseEngineConfig` always does).
 * @example createCatalogue(DEFAULT_ENGINE_CONFIG).map((d) => d.id); // ['lists', 'behavior.score', ...]
 */
export function createCatalogue(config: Pick<EngineConfig, 'detectors' | 'rules'>): Detector[] {
  const d = config.detectors;
  const rules = compileRules(config.rules);
  if (!rules.ok) {
    throw new Error(
      `rules do not compile: ${rules.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
    );
  }
  const ipReputation = resolveShieldOptions(d.shield).ipReputation;
  // a flagged IP is graded by shield.ip_reputation when it runs, not twice
  const ipGraded =
    ipReputation.enabled && !d.disabled.includes('shield.ip_reputation') ? ipReputation.listLabels : [];
  const all: Detector[] = [
    createListDetector(d.lists, { ipFlagLabelsGradedElsewhere: ipGraded }),
    ...createBehaviorDetectors(d.behavior),
    ...createShieldDetectors(d.shield),
    ...createOracleDetectors(d.oracle),
    rules.value.detector,
    ...createMafDetectors(d.maf),
  ];
  if (d.disabled.length === 0) return all;
  const off = new Set(d.disabled);
  return all.filter((x) => !off.has(x.id));
}
