import type { RuleDef } from './rule.schema.js';

/**
 * The ML fraud analytics spec's three business rules, exactly (also in
 * `examples/rules/ml-spec-rules.json`): amount over 10,000 → 0.8 and review; more than 10
 * transactions per hour → 0.6 and additional verification; more than 1,000 km from home → 0.5 and
 * location verification. As written they are loose: the velocity rule also fires on a busy user's
 * logins and likes, and "home" being the last known location, the location rule asks every
 * traveller to verify on arrival. {@link EXAMPLE_RULES} is the stricter set to start from.
 * @example const r = compileRules(ML_SPEC_RULES); // r.ok === true
 */
export const ML_SPEC_RULES: readonly RuleDef[] = Object.freeze([
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

/**
 * Example rules to start an app from: the ML spec's three business rules (same ids, scores and
 * actions as {@link ML_SPEC_RULES}) made specific enough to run on live traffic.
 * - `amount_threshold`: as in the spec.
 * - `velocity_check`: a new-account velocity limit. Judged on the money events themselves
 *   (payment, transfer, withdrawal), not on every login or like of a user who paid a lot in the
 *   last hour, and on accounts under a day old: that is where card testing, promotion abuse and
 *   bots burst, while an established customer's shopping spree is the velocity spike detector's
 *   call (against the customer's own rate).
 * - `location_anomaly`: more than 1,000 km from the last known location AND either faster than a
 *   plane (over 900 km/h) or on a device first seen less than an hour ago. A traveller who flies
 *   with their own phone is not asked to verify; a stranger's new device far away is.
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
      'A payment, transfer or withdrawal by an account less than a day old that made more than 10 of them within the hour needs additional verification.',
    expression:
      "transactions_per_hour > 10 && type in ['payment', 'transfer', 'withdrawal'] && account_age_days < 1.0",
    score: 0.6,
    action: 'additional_verification',
    reason:
      '{{transactions_per_hour}} transactions in the last hour by an account first seen {{account_age_days}} days ago (limit 10 for accounts under a day old).',
  }),
  Object.freeze({
    id: 'location_anomaly',
    name: 'Location anomaly',
    description:
      'An event more than 1,000 km from the last known location, reached faster than a plane or from a device first seen within the hour, needs location verification.',
    expression: 'distance_from_home_km > 1000 && (travel_speed_kmh > 900.0 || device_age_hours < 1.0)',
    score: 0.5,
    action: 'location_verification',
    reason:
      "{{distance_from_home_km}} km from the user's last known location at {{travel_speed_kmh}} km/h, on a device first seen {{device_age_hours}} hours ago.",
  }),
]);
