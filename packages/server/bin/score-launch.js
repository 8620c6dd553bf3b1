// Fast start of `vigil score`: runs the command from a cached esbuild bundle of its code instead of
// through tsx's loader. Loading the whole CLI (~500 TypeScript modules, the server included) through
// the loader takes about a second before the first row is read; the bundle loads in about 0.1 s.
// The bundle (the command and its worker, side by side, so the worker is found where a compiled
// build has it) is rebuilt when a source file it was built from changes.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const ENTRIES = {
  score: path.join(SRC, 'cli/score.ts'),
  'score-worker': path.join(SRC, 'modules/batch/score-worker.ts'),
};
const ROOT = path.join(tmpdir(), 'vigil-score-bundle');
const KEY = createHash('sha1').update(SRC).digest('hex').slice(0, 16);
/** Points at the current bundle directory and lists its inputs with their mtimes. */
const POINTER = path.join(ROOT, `${KEY}.json`);
const DAY_MS = 86_400_000;

/**
 * The current bundle directory, when every input still has the mtime it was built from.
 * @returns {string | undefined}
 */
function freshBundle() {
  /** @type {unknown} */
  let pointer;
  try {
    pointer = JSON.parse(readFileSync(POINTER, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof pointer !== 'object' || pointer === null) return undefined;
  const { dir, inputs } = /** @type {{ dir?: unknown, inputs?: unknown }} */ (pointer);
  if (typeof dir !== 'string' || typeof inputs !== 'object' || inputs === null) return undefined;
  for (const [file, mtime] of Object.entries(inputs)) {
    try {
      if (statSync(file).mtimeMs !== mtime) return undefined;
    } catch {
      return undefined;
    }
  }
  return dir;
}

/**
 * Builds the bundle into a new directory and points at it (a run still using an older one keeps
 * it; directories older than a day are removed). Undefined when esbuild is not installed.
 * @returns {Promise<string | undefined>}
 */
async function build() {
  /** @type {typeof import('esbuild')} */
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined;
  }
  mkdirSync(ROOT, { recursive: true });
  const dir = path.join(ROOT, `${KEY}-${process.pid}-${Date.now()}`);
  const r = await esbuild.build({
    entryPoints: ENTRIES,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: dir,
    metafile: true,
    logLevel: 'silent',
    // CommonJS dependencies bundled into ESM may call require
    banner: {
      js: "import { createRequire as __vigilRequire } from 'node:module'; const require = __vigilRequire(import.meta.url);",
    },
  });
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  /** @type {Record<string, number>} */
  const inputs = {};
  for (const rel of Object.keys(r.metafile.inputs)) {
    const file = path.resolve(rel);
    inputs[file] = statSync(file).mtimeMs;
  }
  const tmp = `${POINTER}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ dir, inputs }));
  renameSync(tmp, POINTER);
  for (const name of readdirSync(ROOT)) {
    const old = path.join(ROOT, name);
    if (!name.startsWith(`${KEY}-`) || old === dir) continue;
    try {
      if (Date.now() - statSync(old).mtimeMs > DAY_MS) rmSync(old, { recursive: true, force: true });
    } catch {
      // another run removed it
    }
  }
  return dir;
}

/**
 * @typedef {{ out: (text: string) => void, err: (text: string) => void, env: Readonly<Record<string, string | undefined>> }} Io
 * @typedef {{ runScoreCommand: (args: readonly string[], io: Io) => Promise<number> }} ScoreModule
 */

/**
 * Runs `vigil score <args>` from the bundle. Returns false, having done nothing, when no bundle
 * can be built or `--app` is given (the caller then runs the command through tsx).
 * @param {readonly string[]} args
 * @returns {Promise<boolean>}
 */
export async function launchScore(args) {
  // --app reads the server's database: its drivers (a native SQLite addon) stay out of the bundle
  if (args.some((a) => a === '--app' || a.startsWith('--app='))) return false;
  let dir;
  try {
    dir = freshBundle() ?? (await build());
  } catch {
    dir = undefined;
  }
  if (dir === undefined) return false;
  /** @type {unknown} */
  let loaded;
  try {
    loaded = await import(pathToFileURL(path.join(dir, 'score.js')).href);
  } catch {
    return false; // removed or unreadable: run through tsx
  }
  const mod = /** @type {ScoreModule} */ (loaded);
  try {
    process.exitCode = await mod.runScoreCommand(args, {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      env: process.env,
    });
  } catch (err) {
    process.stderr.write(`vigil: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
  return true;
}
