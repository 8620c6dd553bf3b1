import type { ASTNode } from '@marcbachmann/cel-js';

/** Prefix of an attribute requirement (`attrs.channel`); variable requirements are bare names. @example `${ATTR_REQUIREMENT_PREFIX}channel`; // 'attrs.channel' */
export const ATTR_REQUIREMENT_PREFIX = 'attrs.';

/** Functions whose arguments are all evaluated (errors propagate), unlike macros such as `has`. */
const STRICT_CALLS = new Set(['size', 'int', 'uint', 'double', 'string']);

const EMPTY: ReadonlySet<string> = new Set();

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a.size === 0) return b;
  if (b.size === 0) return a;
  return new Set([...a, ...b]);
}

function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a.size === 0 || b.size === 0) return EMPTY;
  return new Set([...a].filter((x) => b.has(x)));
}

function attrKey(n: ASTNode): string | undefined {
  if (n.op === '.' && n.args[0].op === 'id' && n.args[0].args === 'attrs') return n.args[1];
  if (n.op === '[]' && n.args[0].op === 'id' && n.args[0].args === 'attrs') {
    const k = n.args[1];
    if (k.op === 'value' && typeof k.args === 'string') return k.args;
  }
  return undefined;
}

/** Inputs without which evaluating `n` is an error (so it cannot yield any value). */
function needed(n: ASTNode, nullable: ReadonlySet<string>): ReadonlySet<string> {
  switch (n.op) {
    case 'id':
      return nullable.has(n.args) ? new Set([n.args]) : EMPTY;
    case '.':
    case '[]': {
      const key = attrKey(n);
      if (key !== undefined) return new Set([ATTR_REQUIREMENT_PREFIX + key]);
      return n.op === '.'
        ? needed(n.args[0], nullable)
        : union(needed(n.args[0], nullable), needed(n.args[1], nullable));
    }
    case '&&':
    case '||':
      // CEL's logical operators absorb an error when the other side decides the result.
      return intersect(needed(n.args[0], nullable), needed(n.args[1], nullable));
    case '?:':
      return union(
        needed(n.args[0], nullable),
        intersect(needed(n.args[1], nullable), needed(n.args[2], nullable)),
      );
    case '!_':
    case '-_':
      return needed(n.args, nullable);
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
    case 'in':
      return union(needed(n.args[0], nullable), needed(n.args[1], nullable));
    case 'rcall':
      // The receiver is evaluated first by methods and macros alike; arguments may be bound names.
      return needed(n.args[1], nullable);
    case 'call': {
      if (!STRICT_CALLS.has(n.args[0])) return EMPTY;
      let out = EMPTY;
      for (const a of n.args[1]) out = union(out, needed(a, nullable));
      return out;
    }
    case 'value':
    case 'list':
    case 'map':
    case '.?':
    case '[?]':
      return EMPTY;
  }
}

function neededForTrue(n: ASTNode, nullable: ReadonlySet<string>): ReadonlySet<string> {
  if (n.op === '&&') return union(neededForTrue(n.args[0], nullable), neededForTrue(n.args[1], nullable));
  if (n.op === '||') return intersect(neededForTrue(n.args[0], nullable), neededForTrue(n.args[1], nullable));
  if (n.op === '?:')
    return union(
      needed(n.args[0], nullable),
      intersect(neededForTrue(n.args[1], nullable), neededForTrue(n.args[2], nullable)),
    );
  return needed(n, nullable);
}

/**
 * The inputs a rule cannot be true without: the variables among `nullable`, and attributes
 * (`attrs.<key>`), that every way of making the expression true evaluates. When one is missing
 * on an event the rule is false without running it, which keeps the common case (a rule about
 * amounts seeing a login) free of CEL's exception path. Sound by construction: unknown node
 * kinds need nothing, and `&&`/`||` follow CEL's error-absorbing semantics.
 * @example requiredInputs(env.parse('amount > 10000 || user == "x"').ast, new Set(['amount', 'user'])); // Set {}
 */
export function requiredInputs(ast: ASTNode, nullable: ReadonlySet<string>): ReadonlySet<string> {
  return neededForTrue(ast, nullable);
}
