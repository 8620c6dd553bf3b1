import type { VigilEvent } from '@vigil/engine';
import { mergeEnrichment, type EnrichmentProvider } from './enrichment-provider.js';
import type { ResilientProvider } from './resilient-provider.js';

/** Runs every configured provider for an event and merges what they found. */
export interface Enricher {
  /** The event with provider attributes merged in (the same object when nothing was found). Never rejects. */
  enrich(event: VigilEvent): Promise<VigilEvent>;
  readonly providers: readonly ResilientProvider[];
}

/**
 * Creates the enricher over resilient providers (see `withResilience`): they run concurrently,
 * each bounded by its own timeout, and results merge in provider order.
 * @example
 * const enricher = createEnricher([withResilience(createIphubProvider({ apiKey }), { logger })]);
 * const enriched = await enricher.enrich(event); // enriched.attrs.iphub_block, ...
 */
export function createEnricher(providers: readonly ResilientProvider[]): Enricher {
  const list: readonly EnrichmentProvider[] = providers;
  return {
    providers,
    async enrich(event) {
      if (list.length === 0) return event;
      const results = await Promise.all(list.map((p) => p.enrich(event).catch(() => ({}))));
      return mergeEnrichment(event, results);
    },
  };
}
