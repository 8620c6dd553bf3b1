import { EnrichmentError } from './enrichment-provider.js';

/** Statuses that say the provider works but has nothing for this input: they do not open the circuit. */
const NOT_A_FAILURE = new Set([400, 404, 422]);

/** Longest error body quoted in a message. */
const QUOTED = 200;

/**
 * GETs a JSON document. Non-2xx answers, network errors and malformed JSON throw
 * {@link EnrichmentError}s (400/404/422 with `countsAsFailure: false`); the signal aborts the
 * request and the body read.
 * @example const body = await getJson('http://127.0.0.1:8080/ip/8.8.8.8', { 'X-Key': key }, signal);
 */
export async function getJson(
  url: string,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', ...headers },
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (signal?.aborted === true) throw err;
    throw new EnrichmentError(`request failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  const text = await res.text();
  if (!res.ok) {
    throw new EnrichmentError(`HTTP ${res.status}: ${text.slice(0, QUOTED)}`, {
      status: res.status,
      countsAsFailure: !NOT_A_FAILURE.has(res.status),
    });
  }
  try {
    const body: unknown = JSON.parse(text);
    return body;
  } catch (err) {
    throw new EnrichmentError(`malformed JSON: ${text.slice(0, QUOTED)}`, { status: res.status, cause: err });
  }
}

/** The property of an object, or undefined for non-objects. @example prop({ a: 1 }, 'a'); // 1 */
export function prop(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const found: unknown = Object.getOwnPropertyDescriptor(value, key)?.value;
  return found;
}

/** A base URL without trailing slashes. */
export function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}
