import type { EventType, Tier } from './event-types.js';

/** Scalar values allowed in an event's free `attrs` map. */
export type AttrValue = string | number | boolean | null;

/** Latitude/longitude (degrees) with an optional ISO 3166 alpha-2 country. */
export interface Geo {
  readonly lat: number;
  readonly lon: number;
  readonly country?: string;
}

/**
 * A validated, normalised event: `at` is epoch milliseconds, `app` is always set, the e-mail is
 * lower-cased and its domain extracted, the IP is in canonical form.
 */
export interface VigilEvent {
  readonly id: string;
  readonly app: string;
  readonly type: EventType;
  readonly at: number;
  readonly user?: string;
  readonly tier?: Tier;
  readonly amount?: number;
  readonly currency?: string;
  readonly ip?: string;
  readonly device?: string;
  readonly userAgent?: string;
  readonly geo?: Geo;
  readonly wallet?: string;
  readonly counterparty?: string;
  readonly merchant?: string;
  readonly terminal?: string;
  readonly email?: string;
  readonly emailDomain?: string;
  readonly referrer?: string;
  readonly contentHash?: string;
  readonly session?: string;
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}
