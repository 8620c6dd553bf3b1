import type { VigilEvent } from '@vigil/engine';

/** A value an enrichment provider adds to `event.attrs`. */
export type EnrichmentValue = string | number | boolean;

/** What a provider found: attributes merged into `event.attrs` before scoring. */
export type EnrichmentAttrs = Readonly<Record<string, EnrichmentValue>>;

/** Per-call context: aborted when the call times out. */
export interface EnrichContext {
  readonly signal: AbortSignal;
}

/**
 * An enrichment source (IP intelligence, server-side device lookup, ...). `enrich` may throw; the
 * resilient wrapper (`withResilience`) adds the cache, the timeout and the circuit breaker and
 * turns every failure into `{}`.
 * @example
 * const p: EnrichmentProvider = { name: 'static', enrich: async () => ({ ip_asn: 64500 }) };
 */
export interface EnrichmentProvider {
  readonly name: string;
  /**
   * The cache key of what this provider looks up for the event, or undefined when the event has
   * nothing to look up (no IP, no request id): then the provider is not called at all.
   * Providers without it are called every time and not cached.
   */
  cacheKey?(event: VigilEvent): string | undefined;
  enrich(event: VigilEvent, ctx?: EnrichContext): Promise<EnrichmentAttrs>;
}

/** The pino-compatible slice of a logger that enrichment uses. */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

/** Options of an {@link EnrichmentError}. */
export interface EnrichmentErrorOptions {
  /** Whether the failure says the provider is unhealthy (counts toward opening its circuit). Default true. */
  readonly countsAsFailure?: boolean;
  /** The HTTP status, when there was a response. */
  readonly status?: number;
  readonly cause?: unknown;
}

/**
 * A provider call that did not produce attributes. `countsAsFailure` is false for answers that
 * show the provider is healthy but has nothing for this input (HTTP 400/404/422).
 * @example throw new EnrichmentError('HTTP 404', { countsAsFailure: false, status: 404 });
 */
export class EnrichmentError extends Error {
  override readonly name = 'EnrichmentError';
  readonly countsAsFailure: boolean;
  readonly status: number | undefined;
  constructor(message: string, opts: EnrichmentErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.countsAsFailure = opts.countsAsFailure ?? true;
    this.status = opts.status;
  }
}

/** Attribute whose value becomes `event.device` when the event has none (a server-side device id). */
export const DEVICE_ATTR = 'fp_visitor_id';

/**
 * Merges provider results into a copy of the event: results override the event's own attrs with
 * the same name (server-side lookups are trusted over what the client sent), later results over
 * earlier ones; {@link DEVICE_ATTR} fills `event.device` when absent. Returns the event itself
 * when there is nothing to add.
 * @example mergeEnrichment(event, [{ ip_asn: 64500 }]).attrs?.['ip_asn']; // 64500
 */
export function mergeEnrichment(event: VigilEvent, results: readonly EnrichmentAttrs[]): VigilEvent {
  let added: Record<string, EnrichmentValue> | undefined;
  for (const r of results) {
    for (const [k, v] of Object.entries(r)) {
      added ??= {};
      added[k] = v;
    }
  }
  if (added === undefined) return event;
  const device = added[DEVICE_ATTR];
  return {
    ...event,
    attrs: { ...event.attrs, ...added },
    ...(event.device === undefined && typeof device === 'string' && device !== '' ? { device } : {}),
  };
}
