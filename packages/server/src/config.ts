import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LlmConfig } from './modules/cases/llm-case-summariser.js';
import {
  collectEnrichmentConfig,
  ENRICHMENT_VARIABLES,
  type EnrichmentConfig,
} from './modules/enrichment/enrichment.config.js';

/** Log levels pino accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the server keeps its data: an embedded SQLite file or a PostgreSQL server. */
export type DatabaseConfig =
  | {
      readonly kind: 'sqlite';
      readonly file: string;
      /** SQLITE_WORKER: run SQLite on a worker thread (default false; see docs/adr/0006). */
      readonly workerThread?: boolean;
    }
  | { readonly kind: 'postgres'; readonly url: string };

/** Per-API-key token bucket: `perSecond` tokens refill each second up to `burst`. 0 turns it off. */
export interface RateLimitConfig {
  readonly perSecond: number;
  readonly burst: number;
}

/** Webhook delivery settings. */
export interface WebhookConfig {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: accept and deliver to loopback, private and link-local addresses (default false). */
  readonly allowPrivateNetworks: boolean;
  /** WEBHOOK_TIMEOUT_MS: time allowed for one delivery attempt (default 10 s). */
  readonly timeoutMs: number;
  /** WEBHOOK_MAX_ATTEMPTS: attempts before a delivery is dead-lettered (default 8). */
  readonly maxAttempts: number;
}

/** The validated, frozen server configuration. */
export interface Config {
  /** TCP port to listen on (PORT, default 8080; 0 picks a free port). */
  readonly port: number;
  /** Interface to bind (HOST, default 0.0.0.0). */
  readonly host: string;
  /** Directory for the SQLite file and other local state (DATA_DIR, default ./data). */
  readonly dataDir: string;
  /** DATABASE_URL=postgres://... selects PostgreSQL; otherwise SQLite at DATA_DIR/vigil.db. */
  readonly database: DatabaseConfig;
  /** LOG_LEVEL, default info. */
  readonly logLevel: LogLevel;
  /** VIGIL_ADMIN_KEY: seeds the admin key on first start instead of generating one. */
  readonly adminKey: string | undefined;
  /** VIGIL_SESSION_SECRET: signs passkey session tokens; random per process when unset (tokens die on restart). */
  readonly sessionSecret: Uint8Array | undefined;
  /** BODY_LIMIT_BYTES: largest accepted request body (default 1 MiB). */
  readonly bodyLimitBytes: number;
  /** JSON_MAX_DEPTH: deepest accepted JSON nesting (default 32). */
  readonly jsonMaxDepth: number;
  /** RATE_LIMIT_PER_SEC / RATE_LIMIT_BURST: per-key limit (defaults 10,000/s, burst 20,000; 0 = off). */
  readonly rateLimit: RateLimitConfig;
  /** SNAPSHOT_INTERVAL_MS: how often feature state is snapshotted (default 60 s; 0 = only on shutdown). */
  readonly snapshotIntervalMs: number;
  /** GROUP_COMMIT_MAX: most events written in one transaction (default 512). */
  readonly groupCommitMax: number;
  /**
   * WATCH_INTERVAL_MS: how often models, configurations and lists changed by another process (the
   * CLI, another server on the same database) are looked for (default 3 s; 0 = never).
   */
  readonly watchIntervalMs: number;
  readonly webhooks: WebhookConfig;
  /** OUTBOX_DISPATCH: whether this process delivers outbox messages (webhooks); default true. */
  readonly outboxDispatch: boolean;
  /** Enrichment providers (IPHUB_*, FINGERPRINT_*, ENRICHMENT_*): off unless an API key is set. */
  readonly enrichment: EnrichmentConfig;
  /** LLM_*: the OpenAI-compatible provider writing case summaries; undefined (off) unless LLM_BASE_URL is set. */
  readonly llm: LlmConfig | undefined;
}

/** One problem in the configuration: which variable and what is wrong with it. */
export interface ConfigProblem {
  readonly key: string;
  readonly message: string;
}

/** Thrown by {@link loadConfig} with every problem found, so one start shows them all. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Names of the variables {@link loadConfig} reads, with one line of help each (for `vigil --help`). */
export const CONFIG_VARIABLES = {
  PORT: 'HTTP port (default 8080)',
  HOST: 'interface to bind (default 0.0.0.0)',
  DATA_DIR: 'data directory (default ./data)',
  DATABASE_URL: 'postgres://user:pass@host:5432/db; unset = SQLite at DATA_DIR/vigil.db',
  LOG_LEVEL: `one of ${LOG_LEVELS.join(', ')} (default info)`,
  VIGIL_ADMIN_KEY: 'admin API key to create on first start (at least 24 characters)',
  VIGIL_SESSION_SECRET:
    'secret (32+ characters) signing passkey session tokens; set it when running several processes',
  BODY_LIMIT_BYTES: 'largest request body in bytes (default 1048576)',
  JSON_MAX_DEPTH: 'deepest JSON nesting accepted (default 32)',
  RATE_LIMIT_PER_SEC: 'requests per second per API key (default 10000; 0 = no limit)',
  RATE_LIMIT_BURST: 'burst size per API key (default 2 x RATE_LIMIT_PER_SEC)',
  SNAPSHOT_INTERVAL_MS: 'feature snapshot interval (default 60000; 0 = only on shutdown)',
  GROUP_COMMIT_MAX: 'most events per group commit (default 512)',
  SQLITE_WORKER: 'true to run SQLite on a worker thread instead of the event loop (default false)',
  WATCH_INTERVAL_MS:
    'how often models, configurations and lists changed by other processes are picked up (default 3000; 0 = never)',
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true to allow webhook URLs on loopback/private networks (default false)',
  WEBHOOK_TIMEOUT_MS: 'timeout of one webhook delivery attempt (default 10000)',
  WEBHOOK_MAX_ATTEMPTS: 'webhook delivery attempts before the dead letter (default 8)',
  OUTBOX_DISPATCH: 'false to keep this process from delivering outbox messages (default true)',
  ...ENRICHMENT_VARIABLES,
  LLM_BASE_URL:
    'OpenAI-compatible API base URL (POST {url}/chat/completions) writing case summaries; unset = summaries from the evidence',
  LLM_API_KEY: 'bearer key of the LLM provider (optional for local servers)',
  LLM_MODEL: 'model name for the LLM provider (required with LLM_BASE_URL)',
  LLM_TIMEOUT_MS: 'timeout of one LLM completion (default 10000); on failure the evidence summary is used',
  VIGIL_CONFIG: 'optional JSON file with any of these keys; environment variables win',
} as const;
type ConfigKey = keyof typeof CONFIG_VARIABLES;
const KEYS = new Set<string>(Object.keys(CONFIG_VARIABLES));

function isConfigKey(k: string): k is ConfigKey {
  return KEYS.has(k);
}

function readFileValues(file: string, problems: ConfigProblem[]): Partial<Record<ConfigKey, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push({
      key: 'VIGIL_CONFIG',
      message: `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
    });
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({ key: 'VIGIL_CONFIG', message: `${file} must hold a JSON object` });
    return {};
  }
  const out: Partial<Record<ConfigKey, string>> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!isConfigKey(k) || k === 'VIGIL_CONFIG') {
      problems.push({ key: k, message: `unknown key in ${file}` });
    } else if (typeof v === 'string' || typeof v === 'number') {
      out[k] = String(v);
    } else {
      problems.push({ key: k, message: `must be a string or number in ${file}` });
    }
  }
  return out;
}

function intIn(
  raw: string | undefined,
  key: ConfigKey,
  dflt: number,
  min: number,
  max: number,
  problems: ConfigProblem[],
): number {
  if (raw === undefined || raw.trim() === '') return dflt;
  const s = raw.trim();
  if (!/^\d+$/.test(s)) {
    problems.push({ key, message: `must be a whole number, got '${raw}'` });
    return dflt;
  }
  const n = Number(s);
  if (n < min || n > max) {
    problems.push({ key, message: `must be between ${min} and ${max}, got ${n}` });
    return dflt;
  }
  return n;
}

function boolOf(raw: string | undefined, key: ConfigKey, dflt: boolean, problems: ConfigProblem[]): boolean {
  if (raw === undefined || raw.trim() === '') return dflt;
  const s = raw.trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  problems.push({ key, message: `must be true or false, got '${raw}'` });
  return dflt;
}

/** LLM_BASE_URL, LLM_API_KEY, LLM_MODEL, LLM_TIMEOUT_MS: off unless LLM_BASE_URL is set. */
function collectLlmConfig(
  get: (k: ConfigKey) => string | undefined,
  problems: ConfigProblem[],
): LlmConfig | undefined {
  const baseUrl = get('LLM_BASE_URL')?.trim() || undefined;
  const apiKey = get('LLM_API_KEY')?.trim() || undefined;
  const model = get('LLM_MODEL')?.trim() || undefined;
  const timeoutMs = intIn(get('LLM_TIMEOUT_MS'), 'LLM_TIMEOUT_MS', 10_000, 100, 300_000, problems);
  if (baseUrl === undefined) {
    if (apiKey !== undefined || model !== undefined)
      problems.push({ key: 'LLM_BASE_URL', message: 'is required when LLM_API_KEY or LLM_MODEL is set' });
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(baseUrl);
  } catch {
    problems.push({ key: 'LLM_BASE_URL', message: `is not a URL, got '${baseUrl}'` });
  }
  if (parsed !== undefined) {
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      problems.push({ key: 'LLM_BASE_URL', message: 'must be an http:// or https:// URL' });
    else if (parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '')
      problems.push({
        key: 'LLM_BASE_URL',
        message: 'must not carry credentials, a query or a fragment (put the key in LLM_API_KEY)',
      });
  }
  if (model === undefined) problems.push({ key: 'LLM_MODEL', message: 'is required with LLM_BASE_URL' });
  else if (model.length > 200 || /\s/.test(model))
    problems.push({ key: 'LLM_MODEL', message: 'must be 1 to 200 characters without spaces' });
  if (apiKey !== undefined && (apiKey.length > 1000 || /\s/.test(apiKey)))
    problems.push({ key: 'LLM_API_KEY', message: 'must be at most 1000 characters without spaces' });
  return Object.freeze({ baseUrl, apiKey, model: model ?? '', timeoutMs });
}

function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/**
 * Reads and validates the configuration from environment variables and an optional JSON file
 * (`file`, else `VIGIL_CONFIG`). Environment variables override the file. Throws a
 * {@link ConfigError} listing every problem; returns a frozen {@link Config}.
 * @example
 * const config = loadConfig(process.env); config.port; // 8080
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, file?: string): Config {
  const problems: ConfigProblem[] = [];
  const configFile = file ?? env['VIGIL_CONFIG'];
  const fromFile = configFile ? readFileValues(configFile, problems) : {};
  const get = (k: ConfigKey): string | undefined => {
    const v = env[k];
    return v !== undefined && v !== '' ? v : fromFile[k];
  };

  const port = intIn(get('PORT'), 'PORT', 8080, 0, 65535, problems);
  const host = get('HOST')?.trim() || '0.0.0.0';
  const dataDir = path.resolve(get('DATA_DIR')?.trim() || './data');

  let database: DatabaseConfig = { kind: 'sqlite', file: path.join(dataDir, 'vigil.db') };
  const url = get('DATABASE_URL')?.trim();
  if (url) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      problems.push({ key: 'DATABASE_URL', message: 'is not a URL (expected postgres://user@host:5432/db)' });
    }
    if (parsed) {
      if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') {
        database = { kind: 'postgres', url };
      } else if (parsed.protocol === 'sqlite:' || parsed.protocol === 'file:') {
        const p = decodeURIComponent(parsed.pathname);
        if (p === '' || p === '/')
          problems.push({ key: 'DATABASE_URL', message: 'sqlite URL needs a file path' });
        else database = { kind: 'sqlite', file: path.resolve(p) };
      } else {
        problems.push({
          key: 'DATABASE_URL',
          message: `unsupported scheme '${parsed.protocol}' (use postgres:// or leave unset for SQLite)`,
        });
      }
    }
  }

  if (database.kind === 'sqlite' && get('SQLITE_WORKER') !== undefined) {
    database = { ...database, workerThread: boolOf(get('SQLITE_WORKER'), 'SQLITE_WORKER', false, problems) };
  }

  const rawLevel = get('LOG_LEVEL')?.trim().toLowerCase() ?? 'info';
  let logLevel: LogLevel = 'info';
  if (isLogLevel(rawLevel)) logLevel = rawLevel;
  else
    problems.push({
      key: 'LOG_LEVEL',
      message: `must be one of ${LOG_LEVELS.join(', ')}, got '${rawLevel}'`,
    });

  const adminKey = get('VIGIL_ADMIN_KEY')?.trim() || undefined;
  const sessionSecretText = get('VIGIL_SESSION_SECRET')?.trim() || undefined;
  if (sessionSecretText !== undefined && sessionSecretText.length < 32) {
    problems.push({ key: 'VIGIL_SESSION_SECRET', message: 'must be at least 32 characters' });
  }
  const sessionSecret =
    sessionSecretText === undefined ? undefined : new TextEncoder().encode(sessionSecretText);
  if (adminKey !== undefined && (adminKey.length < 24 || adminKey.length > 200 || /\s/.test(adminKey))) {
    problems.push({ key: 'VIGIL_ADMIN_KEY', message: 'must be 24 to 200 characters without spaces' });
  }

  const bodyLimitBytes = intIn(
    get('BODY_LIMIT_BYTES'),
    'BODY_LIMIT_BYTES',
    1_048_576,
    1024,
    104_857_600,
    problems,
  );
  const jsonMaxDepth = intIn(get('JSON_MAX_DEPTH'), 'JSON_MAX_DEPTH', 32, 2, 1000, problems);
  const perSecond = intIn(get('RATE_LIMIT_PER_SEC'), 'RATE_LIMIT_PER_SEC', 10_000, 0, 10_000_000, problems);
  const burst = intIn(get('RATE_LIMIT_BURST'), 'RATE_LIMIT_BURST', perSecond * 2, 0, 20_000_000, problems);
  if (perSecond > 0 && burst < 1) problems.push({ key: 'RATE_LIMIT_BURST', message: 'must be at least 1' });
  const snapshotIntervalMs = intIn(
    get('SNAPSHOT_INTERVAL_MS'),
    'SNAPSHOT_INTERVAL_MS',
    60_000,
    0,
    86_400_000,
    problems,
  );
  if (snapshotIntervalMs > 0 && snapshotIntervalMs < 1000) {
    problems.push({ key: 'SNAPSHOT_INTERVAL_MS', message: 'must be 0 or at least 1000' });
  }
  const groupCommitMax = intIn(get('GROUP_COMMIT_MAX'), 'GROUP_COMMIT_MAX', 512, 1, 10_000, problems);
  const watchIntervalMs = intIn(get('WATCH_INTERVAL_MS'), 'WATCH_INTERVAL_MS', 3000, 0, 3_600_000, problems);
  if (watchIntervalMs > 0 && watchIntervalMs < 100) {
    problems.push({ key: 'WATCH_INTERVAL_MS', message: 'must be 0 or at least 100' });
  }
  const webhooks: WebhookConfig = Object.freeze({
    allowPrivateNetworks: boolOf(
      get('WEBHOOK_ALLOW_PRIVATE_NETWORKS'),
      'WEBHOOK_ALLOW_PRIVATE_NETWORKS',
      false,
      problems,
    ),
    timeoutMs: intIn(get('WEBHOOK_TIMEOUT_MS'), 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000, problems),
    maxAttempts: intIn(get('WEBHOOK_MAX_ATTEMPTS'), 'WEBHOOK_MAX_ATTEMPTS', 8, 1, 50, problems),
  });
  const outboxDispatch = boolOf(get('OUTBOX_DISPATCH'), 'OUTBOX_DISPATCH', true, problems);

  const enrichmentEnv: Record<string, string | undefined> = {};
  for (const k of Object.keys(ENRICHMENT_VARIABLES)) if (isConfigKey(k)) enrichmentEnv[k] = get(k);
  const enrichment = collectEnrichmentConfig(enrichmentEnv, problems);

  const llm = collectLlmConfig(get, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    enrichment,
    llm,
    port,
    host,
    dataDir,
    database: Object.freeze(database),
    logLevel,
    adminKey,
    sessionSecret,
    bodyLimitBytes,
    jsonMaxDepth,
    rateLimit: Object.freeze({ perSecond, burst }),
    snapshotIntervalMs,
    groupCommitMax,
    watchIntervalMs,
    webhooks,
    outboxDispatch,
  });
}
