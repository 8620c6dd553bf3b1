/** One piece of a parsed reason: literal text or a placeholder to fill. @example const p: TemplatePart = { kind: 'value', ref: 'amount' }; */
export type TemplatePart =
  { readonly kind: 'text'; readonly text: string } | { readonly kind: 'value'; readonly ref: string };

const PLACEHOLDER_RE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * Splits a reason such as `Amount {{amount}} over limit` into text and placeholders. The caller
 * resolves each placeholder reference (a variable, `attrs.<key>`, or a feature call).
 * @example parseTemplate('{{amount}} EUR'); // [{ kind: 'value', ref: 'amount' }, { kind: 'text', text: ' EUR' }]
 */
export function parseTemplate(text: string): readonly TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    if (m.index > last) parts.push({ kind: 'text', text: text.slice(last, m.index) });
    parts.push({ kind: 'value', ref: m[1] ?? '' });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/**
 * How a rule value reads in a reason: integers as they are, other numbers with at most two
 * decimals, missing values as `n/a`.
 * @example formatRuleValue(1234.5678); // '1234.57'
 */
export function formatRuleValue(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return 'n/a';
    case 'bigint':
      return v.toString();
    case 'number':
      return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      return v === null ? 'null' : '[object]';
    case 'symbol':
    case 'function':
      return '?';
  }
}
