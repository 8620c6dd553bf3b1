import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors.js';

/**
 * Deepest nesting of a parsed JSON value, stopping early once past `max`; also rejects `__proto__`
 * keys (prototype poisoning once merged into other objects).
 * @example jsonDepth({ a: [1] }, 32) // 2
 */
export function jsonDepth(value: unknown, max: number): number {
  let deepest = 0;
  const stack: { readonly v: unknown; readonly d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > deepest) deepest = depth;
    if (deepest > max) return deepest;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push({ v: x, d: depth });
    } else {
      if (Object.prototype.hasOwnProperty.call(v, '__proto__')) {
        throw new DomainError('invalid_json', 'the key "__proto__" is not allowed');
      }
      for (const x of Object.values(v))
        if (x !== null && typeof x === 'object') stack.push({ v: x, d: depth });
    }
  }
  return deepest;
}

/**
 * Replaces Fastify's JSON parser: malformed or empty JSON answers `invalid_json`, nesting deeper
 * than `maxDepth` answers `json_too_deep` (both 400); oversized bodies are cut off by `bodyLimit` (413).
 * @example registerJsonParser(app, { maxDepth: 32 });
 */
export function registerJsonParser(app: FastifyInstance, opts: { readonly maxDepth: number }): void {
  // JSON only: any other content type answers 415
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(new DomainError('invalid_json', 'the request body is empty; send a JSON document'), undefined);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const reason = err instanceof Error ? err.message : 'unparseable';
      done(new DomainError('invalid_json', `the request body is not valid JSON: ${reason}`), undefined);
      return;
    }
    try {
      const depth = jsonDepth(value, opts.maxDepth);
      if (depth > opts.maxDepth) {
        done(new DomainError('json_too_deep', `JSON nesting deeper than ${opts.maxDepth} levels`), undefined);
        return;
      }
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)), undefined);
      return;
    }
    done(null, value);
  });
}
