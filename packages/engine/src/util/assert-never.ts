/**
 * Marks a branch that the type system proves unreachable; throws if reached at run time.
 * @example
 * switch (x.kind) { case 'a': return 1; default: return assertNever(x); }
 */
export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
