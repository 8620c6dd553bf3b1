import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { LIST_KINDS, type ListKind } from '@vigil/engine';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createAppService } from '../modules/apps/app.service.js';
import { createAuditStore } from '../modules/audit/audit.store.js';
import { validateListRow, type ValidListRow } from '../modules/lists/list-row.js';
import { writeListRows } from '../modules/lists/list.service.js';
import {
  GLOBAL_LIST_SCOPE,
  STORED_LIST_VERDICTS,
  createListStore,
  type StoredListVerdict,
} from '../modules/lists/list.store.js';
import { engineVerdict } from '../modules/lists/list-registry.js';
import { openDatabase, type Db } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrations.js';
import type { CliIo } from './cli.js';

/** File formats `vigil lists import` reads. */
export const LIST_IMPORT_FORMATS = ['auto', 'lines', 'ipsum', 'json-ua'] as const;
export type ListImportFormat = (typeof LIST_IMPORT_FORMATS)[number];

/** Rows per transaction. */
export const IMPORT_BATCH_ROWS = 1000;

/** Most problems kept in a summary (the count covers all of them). */
const MAX_PROBLEMS_KEPT = 1000;

/** Where in the file a problem is: a line (text formats) or an array entry (JSON), both 1-based. */
export type ImportPosition = { readonly line: number } | { readonly entry: number };

/** One rejected (`invalid`) or deliberately not imported (`skipped`) row. */
export type ListImportProblem = ImportPosition & {
  readonly kind: 'invalid' | 'skipped';
  readonly value: string;
  readonly message: string;
};

/** What an import did. */
export interface ListImportSummary {
  readonly file: string;
  readonly kind: ListKind;
  /** The format used (`auto` resolved). */
  readonly format: Exclude<ListImportFormat, 'auto'>;
  /** App id, or `*` for the global lists. */
  readonly scope: string;
  readonly verdict: StoredListVerdict;
  readonly label: string;
  /** Data rows read (comments and blank lines excluded; a JSON pattern can yield several rows). */
  readonly read: number;
  /** Rows written (a value repeated in the file is written once per occurrence, last one wins). */
  readonly stored: number;
  readonly invalid: number;
  readonly skipped: number;
  /** Stored rows the engine does not act on yet (verdict `flag`). */
  readonly notScored: number;
  /** Older entries with this kind and label deleted by `--replace`. */
  readonly replaced: number;
  readonly ms: number;
  /** The first problems, in file order. */
  readonly problems: readonly ListImportProblem[];
}

/** Options of {@link importListFile}. */
export interface ListImportOptions {
  readonly file: string;
  readonly kind: ListKind;
  /** Default `auto`: `json-ua` for a user-agent JSON array, `ipsum` for `ip<TAB>count` lines, else `lines`. */
  readonly format?: ListImportFormat;
  /** Default `flag`: feeds are reputation, not forced blocks. */
  readonly verdict?: StoredListVerdict;
  /** Default by kind and format: bad_ip, disposable, crawler, else 'imported'. */
  readonly label?: string;
  /** App id or `*` (default): the global lists apply to every app. */
  readonly scope?: string;
  /** After importing, delete this scope's entries of the kind and label that the file did not contain. */
  readonly replace?: boolean;
  /** Rows per transaction (default 1,000). */
  readonly batchRows?: number;
}

type SourceItem =
  | { readonly kind: 'row'; readonly at: ImportPosition; readonly value: string; readonly weight?: number }
  | { readonly kind: 'problem'; readonly problem: ListImportProblem };

/** The label an import uses when none is given. @example defaultImportLabel('email_domain'); // 'disposable' */
export function defaultImportLabel(kind: ListKind): string {
  switch (kind) {
    case 'ip':
      return 'bad_ip';
    case 'email_domain':
      return 'disposable';
    case 'user_agent':
      return 'crawler';
    case 'email':
    case 'user':
    case 'device':
    case 'wallet':
      return 'imported';
  }
}

// ---------------------------------------------------------------------------------------------
// crawler-user-agents patterns → case-insensitive substrings

/** Result of {@link patternToSubstrings}. */
export type PatternConversion =
  { readonly ok: true; readonly values: readonly string[] } | { readonly ok: false; readonly reason: string };

const MAX_ALTERNATIVES = 16;

class NotLiteral extends Error {}

/**
 * Converts a crawler regex into the list's case-insensitive substring entries when the regex is
 * literal text: escaped punctuation (`\/`, `\.`), case-only classes (`[bB]ot`) and alternations
 * (`Ahrefs(Bot|SiteAudit)`, `a|b`) expand exactly into one or more substrings. Anything whose
 * meaning a substring cannot keep (anchors, wildcards, quantifiers, other classes and escapes,
 * leading or trailing spaces, which the list trims) is refused with the reason.
 * @example
 * patternToSubstrings('Ahrefs(Bot|SiteAudit)'); // { ok: true, values: ['ahrefsbot', 'ahrefssiteaudit'] }
 * patternToSubstrings('^curl');                  // { ok: false, reason: 'an anchor (^ or $) ...' }
 */
export function patternToSubstrings(pattern: string): PatternConversion {
  let i = 0;
  const fail = (reason: string): never => {
    throw new NotLiteral(reason);
  };
  const product = (acc: readonly string[], next: readonly string[]): string[] => {
    if (acc.length * next.length > MAX_ALTERNATIVES) fail(`more than ${MAX_ALTERNATIVES} alternatives`);
    const out: string[] = [];
    for (const a of acc) for (const b of next) out.push(a + b);
    return out;
  };
  const noQuantifier = (): void => {
    const q = pattern[i];
    if (q === '*' || q === '+' || q === '?' || q === '{') fail(`a quantifier ('${q}')`);
  };
  const charClass = (): string => {
    i++; // [
    if (pattern[i] === '^') fail('a negated character class');
    const chars: string[] = [];
    while (i < pattern.length && pattern[i] !== ']') {
      const c = pattern[i] ?? '';
      if (c === '\\') {
        const e = pattern[i + 1] ?? '';
        if (/[A-Za-z0-9]/.test(e)) fail(`the escape \\${e}`);
        chars.push(e);
        i += 2;
        continue;
      }
      if (c === '-' && chars.length > 0 && pattern[i + 1] !== ']') fail('a character range');
      chars.push(c);
      i++;
    }
    if (pattern[i] !== ']') fail('an unclosed character class');
    i++;
    const folded = new Set(chars.map((c) => c.toLowerCase()));
    const only = [...folded][0];
    if (folded.size !== 1 || only === undefined)
      fail('a character class that is not one letter in two cases');
    return only ?? '';
  };
  const atom = (): string[] => {
    const c = pattern[i] ?? '';
    switch (c) {
      case '(': {
        i++;
        if (pattern.startsWith('?:', i)) i += 2;
        else if (pattern[i] === '?') fail('a lookaround or group option');
        const v = alternation();
        if (pattern[i] !== ')') fail('an unclosed group');
        i++;
        return v;
      }
      case '[':
        return [charClass()];
      case '\\': {
        const e = pattern[i + 1];
        if (e === undefined) fail('a trailing backslash');
        if (/[A-Za-z0-9]/.test(e ?? '')) fail(`the escape \\${e ?? ''}`);
        i += 2;
        return [e ?? ''];
      }
      case '^':
      case '$':
        return fail('an anchor (^ or $): as a substring it would match more user agents');
      case '.':
        return fail("the wildcard '.'");
      case '*':
      case '+':
      case '?':
      case '{':
        return fail(`a quantifier ('${c}')`);
      default:
        i++;
        return [c];
    }
  };
  const sequence = (): string[] => {
    let acc = [''];
    while (i < pattern.length && pattern[i] !== '|' && pattern[i] !== ')') {
      const a = atom();
      noQuantifier();
      acc = product(acc, a);
    }
    return acc;
  };
  function alternation(): string[] {
    const out = sequence();
    while (pattern[i] === '|') {
      i++;
      out.push(...sequence());
      if (out.length > MAX_ALTERNATIVES) fail(`more than ${MAX_ALTERNATIVES} alternatives`);
    }
    return out;
  }
  try {
    const all = alternation();
    if (i < pattern.length) fail('an unbalanced parenthesis');
    const values = [...new Set(all.map((v) => v.toLowerCase()))];
    if (values.some((v) => v === '')) fail('an empty alternative (it would match every user agent)');
    if (values.some((v) => v !== v.trim())) fail('a leading or trailing space (list values are trimmed)');
    return { ok: true, values };
  } catch (err) {
    if (err instanceof NotLiteral) return { ok: false, reason: `not a plain literal: ${err.message}` };
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// sources

const COMMENT_RE = /\s#.*$/;
const IPSUM_RE = /^(\S+)\s+(\d+)$/;

async function* lineItems(file: string): AsyncGenerator<{ readonly line: number; readonly text: string }> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of rl) {
    line++;
    const text = raw.replace(COMMENT_RE, '').trim();
    if (text === '' || text.startsWith('#')) continue;
    yield { line, text };
  }
}

async function* linesSource(file: string): AsyncGenerator<SourceItem> {
  for await (const { line, text } of lineItems(file)) yield { kind: 'row', at: { line }, value: text };
}

async function* ipsumSource(file: string): AsyncGenerator<SourceItem> {
  for await (const { line, text } of lineItems(file)) {
    const m = IPSUM_RE.exec(text);
    const count = m?.[2] === undefined ? NaN : Number(m[2]);
    if (m?.[1] === undefined || !(count >= 1)) {
      yield {
        kind: 'problem',
        problem: {
          kind: 'invalid',
          line,
          value: text,
          message: "expected '<ip><TAB><count>' with a count >= 1",
        },
      };
      continue;
    }
    yield { kind: 'row', at: { line }, value: m[1], weight: count };
  }
}

async function* crawlerSource(file: string): AsyncGenerator<SourceItem> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ImportFileError(`${file} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(parsed)) throw new ImportFileError(`${file} must hold a JSON array of {pattern, ...}`);
  const items: readonly unknown[] = parsed;
  for (let k = 0; k < items.length; k++) {
    const entry = k + 1;
    const item = items[k];
    const pattern =
      typeof item === 'object' && item !== null && 'pattern' in item && typeof item.pattern === 'string'
        ? item.pattern
        : undefined;
    if (pattern === undefined) {
      yield {
        kind: 'problem',
        problem: {
          kind: 'invalid',
          entry,
          value: JSON.stringify(item) ?? '',
          message: 'needs a string "pattern"',
        },
      };
      continue;
    }
    const c = patternToSubstrings(pattern);
    if (!c.ok) {
      yield { kind: 'problem', problem: { kind: 'skipped', entry, value: pattern, message: c.reason } };
      continue;
    }
    for (const value of c.values) yield { kind: 'row', at: { entry }, value };
  }
}

/** A file the importer cannot read as the chosen format (exit code 1). */
export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';
}

/** Picks the format from the kind and the first bytes of the file. */
async function detectFormat(file: string, kind: ListKind): Promise<Exclude<ListImportFormat, 'auto'>> {
  const fh = await open(file, 'r');
  let head: string;
  try {
    const buf = Buffer.alloc(65_536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
  if (kind === 'user_agent' && head.trimStart().startsWith('[')) return 'json-ua';
  if (kind === 'ip') {
    const first = head
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#'));
    if (first !== undefined && IPSUM_RE.test(first)) return 'ipsum';
  }
  return 'lines';
}

function sourceOf(format: Exclude<ListImportFormat, 'auto'>, file: string): AsyncGenerator<SourceItem> {
  switch (format) {
    case 'lines':
      return linesSource(file);
    case 'ipsum':
      return ipsumSource(file);
    case 'json-ua':
      return crawlerSource(file);
  }
}

/**
 * Imports a public list file into the database: streams it (JSON is parsed whole), validates
 * every row with the engine's normalisation, writes 1,000 rows per transaction (each with one
 * audit row), and reports every bad row by line (or JSON entry). A running server sees the
 * entries after `POST /v1/lists/reload` or a restart.
 * @example
 * const s = await importListFile({ db, clock: systemClock }, { file: 'tor-exit-nodes.txt', kind: 'ip', label: 'tor' });
 * s.stored; // 1746
 */
export async function importListFile(
  deps: { readonly db: Db; readonly clock: Clock; readonly actor?: string },
  opts: ListImportOptions,
): Promise<ListImportSummary> {
  const { db, clock } = deps;
  const actor = deps.actor ?? 'cli';
  const started = clock.now();
  const t0 = performance.now();
  const scope = opts.scope ?? GLOBAL_LIST_SCOPE;
  if (scope !== GLOBAL_LIST_SCOPE) await createAppService({ db, clock }).get(scope);
  const format =
    opts.format === undefined || opts.format === 'auto'
      ? await detectFormat(opts.file, opts.kind)
      : opts.format;
  const verdict = opts.verdict ?? 'flag';
  const label = opts.label ?? defaultImportLabel(opts.kind);
  const batchRows = Math.max(1, opts.batchRows ?? IMPORT_BATCH_ROWS);
  const source = path.basename(opts.file);

  const problems: ListImportProblem[] = [];
  let read = 0;
  let stored = 0;
  let invalid = 0;
  let skipped = 0;
  let batchNo = 0;
  let batch: ValidListRow[] = [];
  const note = (p: ListImportProblem): void => {
    if (p.kind === 'invalid') invalid++;
    else skipped++;
    if (problems.length < MAX_PROBLEMS_KEPT) problems.push(p);
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    batchNo++;
    const written = await writeListRows(db, {
      scope,
      rows,
      actor,
      now: clock.now(),
      audit: { source, kind: opts.kind, label, verdict, batch: batchNo },
    });
    stored += written.length;
  };

  for await (const item of sourceOf(format, opts.file)) {
    if (item.kind === 'problem') {
      note(item.problem);
      continue;
    }
    read++;
    const r = validateListRow(
      opts.kind,
      { value: item.value, verdict, label, ...(item.weight !== undefined ? { weight: item.weight } : {}) },
      started,
    );
    if (!r.ok) {
      note({
        kind: 'invalid',
        ...item.at,
        value: item.value,
        message: r.details.map((d) => d.message).join('; '),
      });
      continue;
    }
    batch.push(r.row);
    if (batch.length >= batchRows) await flush();
  }
  await flush();

  let replaced = 0;
  if (opts.replace === true && stored > 0) {
    replaced = await db.transaction(async (tx) => {
      const n = await createListStore(tx).deleteStale(scope, opts.kind, label, started);
      if (n > 0) {
        await createAuditStore(tx).append(
          {
            actor,
            action: 'list.replace',
            appId: scope === GLOBAL_LIST_SCOPE ? null : scope,
            target: opts.kind,
            details: { source, kind: opts.kind, label, deleted: n },
          },
          clock.now(),
        );
      }
      return n;
    });
  }

  return {
    file: opts.file,
    kind: opts.kind,
    format,
    scope,
    verdict,
    label,
    read,
    stored,
    invalid,
    skipped,
    notScored: engineVerdict(verdict) === undefined ? stored : 0,
    replaced,
    ms: Math.round(performance.now() - t0),
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// the command

/** Help of `vigil lists`. */
export const LISTS_HELP = `Usage: vigil lists import <kind> <file> [--label <label>] [--verdict block|allow|flag]
                         [--app <id>] [--format auto|lines|ipsum|json-ua] [--replace] [--json]

Loads a public list into the block/allow lists. <kind> is one of: ${LIST_KINDS.join(', ')}.

  --verdict   flag (default): reputation, the engine weighs it but does not block on it alone;
              block: forced block; allow: allow-list
  --label     reason class; default bad_ip (ip), disposable (email_domain), crawler (user_agent)
              (use --label tor for Tor exit nodes)
  --app       the app whose lists to fill; default the global lists that apply to every app
  --format    auto (default), lines (one value per line, # comments), ipsum (<ip><TAB><count>:
              weight = count), json-ua (crawler-user-agents JSON: literal patterns become
              case-insensitive substrings, others are skipped with the reason)
  --replace   afterwards delete older entries of this kind and label that the file no longer has
  --json      print the summary as JSON

Writes 1,000 rows per transaction and reports every bad line. A running server sees the entries
within WATCH_INTERVAL_MS (default 3 s), or at once after POST /v1/lists/reload (admin key).

Examples:
  vigil lists import ip tor-exit-nodes.txt --label tor --replace
  vigil lists import ip ipsum.txt
  vigil lists import email_domain disposable_email_blocklist.conf
  vigil lists import user_agent crawler-user-agents.json`;

function isListKind(s: string): s is ListKind {
  return (LIST_KINDS as readonly string[]).includes(s);
}
function isVerdict(s: string): s is StoredListVerdict {
  return (STORED_LIST_VERDICTS as readonly string[]).includes(s);
}
function isFormat(s: string): s is ListImportFormat {
  return (LIST_IMPORT_FORMATS as readonly string[]).includes(s);
}

function where(p: ImportPosition): string {
  return 'line' in p ? `line ${p.line}` : `entry ${p.entry}`;
}

/** Human summary of an import. @example io.out(formatImportSummary(summary)); */
export function formatImportSummary(s: ListImportSummary, shown = 20): string {
  const into = s.scope === GLOBAL_LIST_SCOPE ? 'the global lists' : `app ${s.scope}`;
  const lines = [
    `imported ${s.stored} ${s.kind} entries from ${path.basename(s.file)} (${s.format}) into ${into}: verdict ${s.verdict}, label ${s.label}, ${(s.ms / 1000).toFixed(2)} s`,
    `  rows read ${s.read}, invalid ${s.invalid}, skipped ${s.skipped}${s.replaced > 0 ? `, older entries removed ${s.replaced}` : ''}`,
  ];
  if (s.notScored > 0) {
    lines.push(
      `  the engine does not act on '${s.verdict}' entries yet: ${s.notScored} stored for reputation only`,
    );
  }
  for (const p of s.problems.slice(0, shown)) {
    lines.push(`  ${where(p)}: ${p.kind === 'skipped' ? 'skipped' : 'invalid'} '${p.value}': ${p.message}`);
  }
  const more = s.invalid + s.skipped - Math.min(shown, s.problems.length);
  if (more > 0) lines.push(`  ... and ${more} more (--json lists up to ${MAX_PROBLEMS_KEPT})`);
  return `${lines.join('\n')}\n`;
}

function parseListArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: {
      label: { type: 'string' },
      verdict: { type: 'string' },
      app: { type: 'string' },
      format: { type: 'string' },
      replace: { type: 'boolean', default: false },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
}

function usage(io: CliIo, message: string): number {
  io.err(`vigil: ${message}\n\n${LISTS_HELP}\n`);
  return 2;
}

/**
 * `vigil lists ...`: parses the arguments after `lists`, runs the import and prints the summary.
 * Returns the exit code: 0 done, 1 nothing could be imported or the file is unreadable, 2 usage.
 * Domain and configuration errors (unknown app, bad DATABASE_URL) are thrown for `runCli` to print.
 * @example const code = await listsCommand(['import', 'ip', 'tor.txt', '--label', 'tor'], io);
 */
export async function listsCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseListArgs>;
  try {
    parsed = parseListArgs(args);
  } catch (err) {
    return usage(io, err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${LISTS_HELP}\n`);
    return 0;
  }
  const [sub, kind, file, ...extra] = positionals;
  if (sub !== 'import')
    return usage(io, sub === undefined ? 'lists needs a subcommand' : `unknown subcommand 'lists ${sub}'`);
  if (kind === undefined || !isListKind(kind))
    return usage(io, `<kind> must be one of ${LIST_KINDS.join(', ')}`);
  if (file === undefined) return usage(io, 'lists import needs a file');
  if (extra.length > 0) return usage(io, `unexpected argument '${extra[0] ?? ''}'`);
  if (values.verdict !== undefined && !isVerdict(values.verdict)) {
    return usage(io, `--verdict must be one of ${STORED_LIST_VERDICTS.join(', ')}`);
  }
  if (values.format !== undefined && !isFormat(values.format)) {
    return usage(io, `--format must be one of ${LIST_IMPORT_FORMATS.join(', ')}`);
  }
  if (values.label !== undefined && (values.label.trim() === '' || values.label.length > 64)) {
    return usage(io, '--label must be 1 to 64 characters');
  }
  const verdict = values.verdict;
  const format = values.format;

  const config = loadConfig(io.env, values.config);
  const db = await openDatabase(config.database, { poolSize: 2 });
  try {
    await migrateToLatest(db);
    const summary = await importListFile(
      { db, clock: systemClock },
      {
        file,
        kind,
        ...(format !== undefined && isFormat(format) ? { format } : {}),
        ...(verdict !== undefined && isVerdict(verdict) ? { verdict } : {}),
        ...(values.label !== undefined ? { label: values.label.trim() } : {}),
        ...(values.app !== undefined ? { scope: values.app } : {}),
        replace: values.replace,
      },
    );
    io.out(values.json ? `${JSON.stringify(summary)}\n` : formatImportSummary(summary));
    return summary.stored === 0 && summary.invalid > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof ImportFileError) {
      io.err(`vigil: ${err.message}\n`);
      return 1;
    }
    if (
      err instanceof Error &&
      'code' in err &&
      (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES')
    ) {
      io.err(`vigil: cannot read ${file}: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}
