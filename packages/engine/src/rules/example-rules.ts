import type { RuleDef } from './rule.schema.js';

/**
 * The ML fraud analytics spec's three business rules (also in `examples/rules/ml-spec-rules.json`):
 * amount over 10,000 → 0.8 and review; more than 10 transactions per hour → 0.6 and additional
 * verification; more than 1,000 km from home → 0.5 and location verification.
 * @example const r = compileRules(EXAMPLE_RULES); // r.ok === true
 */
export const EXAMPLE_RULES: readonly RuleDef[] = Object.freeze([
  Object.freeze({
    id: 'amount_threshold',
    name: 'Amount threshold',
    description: 'Transactions above 10,000 go to manual review.',
    expression: 'amount > 10000',
    score: 0.8,
    action: 'flag_for_review',
    reason: 'Amount {{amount}} is above the 10,000 threshold.',
  }),
  Object.freeze({
    id: 'velocity_check',
    name: 'Velocity check',
    description:
      'More than 10 payments, transfers or withdrawals by one user within an hour need additional verification.',
    expression: 'transactions_per_hour > 10',
    score: 0.6,
    action: 'additional_verification',
    reason: '{{transactions_per_hour}} transactions by this user in the last hour (limit 10).',
  }),
  Object.freeze({
    id: 'location_anomaly',
    name: 'Location anomaly',
    description:
      "An event more than 1,000 km from the user's home (attrs.home_lat/home_lon, else the last known location) needs location verification.",
    expression: 'distance_from_home_km > 1000',
    score: 0.5,
    action: 'location_verification',
    reason: "{{distance_from_home_km}} km from the user's home location (limit 1,000 km).",
  }),
]);
