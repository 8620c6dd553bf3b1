import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import Compile from 'typebox/compile';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import { DomainError, type ErrorDetail } from '../errors.js';

/** Marks a body schema as documentation only: the handler validates (with its own, richer messages). */
export const HANDLER_VALIDATES = 'x-vigil-handler-validates';

interface TypeboxError {
  readonly instancePath: string;
  readonly message: string;
  readonly keyword: string;
  readonly params: unknown;
}

/**
 * Turns TypeBox's errors into one readable detail per path: an unknown field says so, a failed
 * `anyOf` of constants says which values are allowed.
 * @example problemsOf(errors) // [{ path: '/name', message: 'must be string' }]
 */
export function problemsOf(errors: readonly TypeboxError[]): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const consts = new Map<string, unknown[]>();
  for (const e of errors) {
    if (
      e.keyword === 'const' &&
      typeof e.params === 'object' &&
      e.params !== null &&
      'allowedValue' in e.params
    ) {
      const list = consts.get(e.instancePath) ?? [];
      list.push(e.params.allowedValue);
      consts.set(e.instancePath, list);
    }
  }
  const seen = new Set<string>();
  for (const e of errors) {
    const path = e.instancePath === '' ? '/' : e.instancePath;
    let message = e.message;
    if (e.message === 'must not have additional properties') continue;
    if (e.message === 'schema is false') message = 'unknown field';
    if (e.keyword === 'const') continue;
    if (
      e.keyword === 'enum' &&
      typeof e.params === 'object' &&
      e.params !== null &&
      'allowedValues' in e.params
    ) {
      const allowed = e.params.allowedValues;
      if (Array.isArray(allowed))
        message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    if (e.keyword === 'anyOf' && consts.has(e.instancePath)) {
      message = `must be one of ${consts
        .get(e.instancePath)!
        .map((v) => JSON.stringify(v))
        .join(', ')}`;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out.length > 0 ? out : [{ path: '/', message: 'invalid' }];
}

function isHandlerValidated(schema: FastifySchema): boolean {
  return typeof schema === 'object' && schema !== null && HANDLER_VALIDATES in schema;
}

/**
 * Fastify validator compiler over TypeBox: bodies are checked as sent (no coercion, unknown fields
 * rejected); querystrings and params are converted from strings first. Errors are `validation_failed`.
 * @example app.setValidatorCompiler(validatorCompiler);
 */
export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  if (httpPart === 'body' && isHandlerValidated(schema)) return (value: unknown) => ({ value });
  const tschema = schema as TSchema;
  const check = Compile(tschema);
  const where = httpPart === 'body' ? 'body' : httpPart === 'querystring' ? 'query' : (httpPart ?? 'request');
  return (value: unknown) => {
    const v = httpPart === 'body' ? value : Value.Convert(tschema, value);
    if (check.Check(v)) return { value: v };
    return {
      error: new DomainError('validation_failed', `invalid ${where}`, {
        details: problemsOf(check.Errors(v)),
      }),
    };
  };
};
