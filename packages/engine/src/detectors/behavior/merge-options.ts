/**
 * Overrides of a sectioned options object: every section optional, every field of a section
 * optional. Sections are merged shallowly with the defaults (a field given replaces the default).
 */
export type SectionOverrides<O> = { readonly [K in keyof O]?: Partial<O[K]> };

/**
 * Merges sectioned overrides into the defaults, one level deep: each section of the result is
 * `{ ...defaults[section], ...overrides[section] }`, ignoring `undefined` values and sections or
 * fields the defaults do not have. The result is frozen.
 * @example
 * mergeSections({ ipSignup: { window: 1, redAt: 5 } }, { ipSignup: { redAt: 9 } });
 * // { ipSignup: { window: 1, redAt: 9 } }
 */
export function mergeSections<O extends object>(defaults: O, overrides?: SectionOverrides<O>): O {
  if (overrides === undefined) return defaults;
  const out: Record<string, unknown> = {};
  for (const [name, section] of Object.entries(defaults)) {
    const patch: unknown = Reflect.get(overrides, name);
    if (!isPlainObject(section) || !isPlainObject(patch)) {
      out[name] = section;
      continue;
    }
    const merged: Record<string, unknown> = { ...section };
    for (const [field, value] of Object.entries(patch)) {
      if (value !== undefined && Object.prototype.hasOwnProperty.call(section, field)) {
        merged[field] = value;
      }
    }
    out[name] = Object.freeze(merged);
  }
  // The result has exactly the defaults' sections and fields, each either the default or a
  // value the caller typed as that field (validated by the options schema when it is config).
  return Object.freeze(out) as O;
}

/**
 * Freezes an options object and each of its sections.
 * @example const D = freezeSections({ a: { x: 1 } }); Object.isFrozen(D.a); // true
 */
export function freezeSections<O extends object>(o: O): Readonly<O> {
  for (const section of Object.values(o)) {
    if (isPlainObject(section)) Object.freeze(section);
  }
  return Object.freeze(o);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
