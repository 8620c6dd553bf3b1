import type { EventInput } from '../events/event.schema.js';

/** The labelled attack scenarios the simulator can inject. @example SCENARIO_NAMES.includes('structuring'); // true */
export const SCENARIO_NAMES = [
  'card_testing',
  'account_takeover',
  'bot_signup_farm',
  'referral_ring',
  'wash_trading',
  'structuring',
  'win_rate_cheating',
  'sanctioned_wallet',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** @example isScenarioName('structuring'); // true */
export function isScenarioName(x: string): x is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(x);
}

/**
 * A wire event as an app would send it, always with `app` and `at` (epoch ms).
 * @example const e: SimEvent = { id: 'e1', app: 'sim', at: 0, type: 'login', tier: 'gold' };
 */
export type SimEvent = EventInput & { readonly app: string; readonly at: number };

/**
 * Ground truth of one simulated event. Attack labels carry the scenario and the episode number
 * (one run of a scenario), so recall can be measured per event and per episode.
 * @example const l: SimulatedLabel = { malicious: true, scenario: 'structuring', episode: 3 };
 */
export interface SimulatedLabel {
  readonly malicious: boolean;
  readonly scenario: ScenarioName | 'normal';
  /** Episode number of an attack (1, 2, ...); absent on normal events. */
  readonly episode?: number;
}

/** One simulated event and its label. @example for (const { event, label } of simulate({ seed: 1 }, 10)) label.malicious; */
export interface SimulatedEvent {
  readonly event: SimEvent;
  readonly label: SimulatedLabel;
}
