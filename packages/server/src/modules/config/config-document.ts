import {
  ACCESS_LEVELS,
  DEFAULT_ENGINE_CONFIG,
  parseEngineConfig,
  type AccessLevel,
  type EngineConfig,
  type Problem,
  type Validated,
} from '@vigil/engine';
import Type, { type Static } from 'typebox';
import Compile from 'typebox/compile';
import { Settings } from 'typebox/system';
import { problemsOf } from '../../http/validator.js';
import { SNIFFED_TYPES, type SniffedType } from '../access/mime-sniff.js';

/**
 * Server-side settings of the asset gatekeeper that are not part of the engine: upload limits and
 * the access level each resource needs. The behaviour-score thresholds of the access levels are
 * the engine's `access` section.
 */
export interface GatekeeperConfig {
  readonly uploads: {
    /** Largest upload in bytes (the spec's default: 15 MB). */
    readonly maxBytes: number;
    /** Types an upload may be, as sniffed from its bytes. */
    readonly allowedTypes: readonly SniffedType[];
  };
  readonly access: {
    /** Lowest access level granted access to a resource not listed in `resources`. */
    readonly minLevel: AccessLevel;
    /** Lowest access level per named resource (e.g. `{ withdrawals: 'FULL' }`). */
    readonly resources: Readonly<Record<string, AccessLevel>>;
  };
}

/** 15 MB, the spec's upload limit. @example DEFAULT_MAX_UPLOAD_BYTES; // 15728640 */
export const DEFAULT_MAX_UPLOAD_BYTES = 15 * 1024 * 1024;

/**
 * The gatekeeper settings every app starts from: 15 MB, images and short videos, every level but
 * MINIMAL granted.
 * @example DEFAULT_GATEKEEPER_CONFIG.uploads.maxBytes; // 15728640
 */
export const DEFAULT_GATEKEEPER_CONFIG: GatekeeperConfig = Object.freeze({
  uploads: Object.freeze({
    maxBytes: DEFAULT_MAX_UPLOAD_BYTES,
    allowedTypes: Object.freeze([
      'image/jpeg',
      'image/png',
      'image/gif',
      'image/webp',
      'video/mp4',
      'video/webm',
    ] as const),
  }),
  access: Object.freeze({ minLevel: 'LIMITED', resources: Object.freeze({}) }),
});

/** Most named resources in `gatekeeper.access.resources`. @example MAX_RESOURCES; // 200 */
export const MAX_RESOURCES = 200;
const RESOURCE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/;

/** JSON Schema of the `gatekeeper` section of a configuration document (every field optional). @example Compile(GatekeeperInputSchema).Check({ uploads: { maxBytes: 1e6 } }); // true */
export const GatekeeperInputSchema = Type.Object(
  {
    uploads: Type.Optional(
      Type.Object(
        {
          maxBytes: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 1024 * 1024 * 1024, description: 'Largest upload in bytes' }),
          ),
          allowedTypes: Type.Optional(
            Type.Array(Type.Enum(SNIFFED_TYPES), {
              maxItems: SNIFFED_TYPES.length,
              description: 'Types an upload may be (sniffed from its bytes)',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    access: Type.Optional(
      Type.Object(
        {
          minLevel: Type.Optional(Type.Enum(ACCESS_LEVELS)),
          resources: Type.Optional(
            Type.Record(Type.String(), Type.Enum(ACCESS_LEVELS), {
              description: 'Lowest access level per resource name',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
type GatekeeperInput = Static<typeof GatekeeperInputSchema>;

const gatekeeperChecker = Compile(GatekeeperInputSchema);

/** One app's effective configuration, parsed from its stored document. */
export interface ParsedConfig {
  readonly engine: EngineConfig;
  readonly gatekeeper: GatekeeperConfig;
  /** The document as given (the overrides over the defaults), without unknown keys. */
  readonly overrides: Readonly<Record<string, unknown>>;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function gatekeeperProblems(input: unknown): Problem[] {
  const previous = Settings.Get().maxErrors;
  let problems: Problem[];
  try {
    Settings.Set({ maxErrors: 200 });
    problems = gatekeeperChecker.Check(input)
      ? []
      : problemsOf([...gatekeeperChecker.Errors(input)]).map((p) => ({
          path: p.path === '/' ? '/gatekeeper' : `/gatekeeper${p.path}`,
          message: p.message,
        }));
  } finally {
    Settings.Set({ maxErrors: previous });
  }
  if (problems.length > 0) return problems;
  const resources = isRecord(input) && isRecord(input['access']) ? input['access']['resources'] : undefined;
  if (isRecord(resources)) {
    const names = Object.keys(resources);
    if (names.length > MAX_RESOURCES)
      problems.push({ path: '/gatekeeper/access/resources', message: `at most ${MAX_RESOURCES} resources` });
    for (const name of names.slice(0, MAX_RESOURCES + 1)) {
      if (!RESOURCE_RE.test(name))
        problems.push({
          path: `/gatekeeper/access/resources/${name.slice(0, 100)}`,
          message: 'a resource name is 1-100 letters, digits or _ . : / - (starting with a letter or digit)',
        });
    }
  }
  return problems;
}

function gatekeeperOf(input: GatekeeperInput | undefined): GatekeeperConfig {
  const d = DEFAULT_GATEKEEPER_CONFIG;
  return Object.freeze({
    uploads: Object.freeze({
      maxBytes: input?.uploads?.maxBytes ?? d.uploads.maxBytes,
      allowedTypes: Object.freeze([...new Set(input?.uploads?.allowedTypes ?? d.uploads.allowedTypes)]),
    }),
    access: Object.freeze({
      minLevel: input?.access?.minLevel ?? d.access.minLevel,
      resources: Object.freeze({ ...(input?.access?.resources ?? d.access.resources) }),
    }),
  });
}

/**
 * Validates an app's configuration document: the engine configuration's overrides (see
 * `parseEngineConfig`: deep-merged over the defaults) plus an optional `gatekeeper` section.
 * Returns every problem of both, each with its path. Never throws.
 * @example
 * const r = parseConfigDocument({ access: { full: 75 }, gatekeeper: { uploads: { maxBytes: 10_000_000 } } });
 * if (r.ok) r.value.gatekeeper.uploads.maxBytes; // 10000000
 */
export function parseConfigDocument(input: unknown): Validated<ParsedConfig> {
  if (!isRecord(input)) return { ok: false, problems: [{ path: '/', message: 'must be a JSON object' }] };
  const { gatekeeper, ...engineInput } = input;
  const problems: Problem[] = [];
  const engine = parseEngineConfig(engineInput);
  if (!engine.ok) problems.push(...engine.problems);
  if (gatekeeper !== undefined) problems.push(...gatekeeperProblems(gatekeeper));
  if (!engine.ok || problems.length > 0) return { ok: false, problems };
  const gk = gatekeeper !== undefined && gatekeeperChecker.Check(gatekeeper) ? gatekeeper : undefined;
  return {
    ok: true,
    value: { engine: engine.value, gatekeeper: gatekeeperOf(gk), overrides: input },
  };
}

/** The configuration of an app that never stored one. @example DEFAULT_PARSED_CONFIG.gatekeeper.access.minLevel; // 'LIMITED' */
export const DEFAULT_PARSED_CONFIG: ParsedConfig = Object.freeze({
  engine: DEFAULT_ENGINE_CONFIG,
  gatekeeper: DEFAULT_GATEKEEPER_CONFIG,
  overrides: Object.freeze({}),
});
