/**
 * The seeded traffic simulator: labelled normal and attack traffic for tests, benchmarks and
 * demos. Pure and deterministic (no I/O, no wall clock, no Math.random).
 */
export { createSimulator, simulate, DEFAULT_SIM_START, type SimulatorOptions } from './simulator.js';
export {
  SCENARIO_NAMES,
  isScenarioName,
  type ScenarioName,
  type SimEvent,
  type SimulatedEvent,
  type SimulatedLabel,
} from './simulated-event.js';
export {
  SIMULATED_SANCTIONED_WALLETS,
  SIMULATED_DATACENTER_CIDRS,
  SIM_CITIES,
  type SimCity,
} from './simulator-data.js';
export * from './simulator-csv.js';
