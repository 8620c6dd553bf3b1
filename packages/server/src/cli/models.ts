import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import {
  createModelService,
  type ModelView,
  type OnnxImportRequest,
} from '../modules/models/model.service.js';
import type { OnnxRuntimeOptions } from '../modules/models/onnx/onnx-import.js';
import { isOnnxTransform } from '../modules/models/onnx/onnx-package.js';
import { ONNX_RUNTIME_INSTALL } from '../modules/models/onnx/onnx-runtime.js';
import { openDatabase } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrations.js';
import type { CliIo } from './cli.js';

/** Help of `vigil models`. */
export const MODELS_HELP = `Usage: vigil models list --app <id> [--json]
       vigil models deploy <model id> --app <id>
       vigil models shadow <model id> --app <id>
       vigil models rollback <name> --app <id>
       vigil models import --onnx <file.onnx> --columns <a,b,c> --app <id> [--name <name>]
                           [--output <name>] [--class-index <n>] [--transform none|sigmoid]
                           [--missing <number>] [--baseline <v1,v2,...>] [--json]

Manages the model registry in the database. A running server applies changes made through
its API at once, and changes made here within WATCH_INTERVAL_MS (default 3 s).

import   stores a model trained elsewhere (ONNX) as a new version, deployable like any other.
         --columns: the live feature names fed to its single [rows, features] float input, in
         order. The score is one float output ([rows], [rows, 1] or [rows, classes]: --output,
         --class-index, default the positive class of two); sklearn-onnx's ZipMap output is not
         supported (convert with zipmap=False). --baseline reports contributions by occlusion.
         Needs the optional onnxruntime-node: ${ONNX_RUNTIME_INSTALL}`;

function list(s: string): string[] {
  return s.split(',').map((c) => c.trim());
}

function num(v: string, what: string): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new Error(`${what} must be a number, got '${v}'`);
  return n;
}

function line(m: ModelView): string {
  return `${m.id}  ${m.name.padEnd(16)} v${String(m.version).padEnd(3)} ${m.kind.padEnd(8)} ${m.status}`;
}

/**
 * `vigil models`: returns the exit code.
 * @example await runModelsCommand(['list', '--app', appId], io);
 */
export async function runModelsCommand(
  argv: readonly string[],
  io: CliIo,
  opts: { readonly onnx?: OnnxRuntimeOptions } = {},
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      app: { type: 'string' },
      onnx: { type: 'string' },
      columns: { type: 'string' },
      name: { type: 'string' },
      output: { type: 'string' },
      'class-index': { type: 'string' },
      transform: { type: 'string' },
      missing: { type: 'string' },
      baseline: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.out(`${MODELS_HELP}\n`);
    return 0;
  }
  const [sub, arg] = positionals;
  const app = values.app;
  if (
    app === undefined ||
    sub === undefined ||
    !['list', 'deploy', 'shadow', 'rollback', 'import'].includes(sub) ||
    (sub !== 'list' && sub !== 'import' && arg === undefined) ||
    (sub === 'import' && (values.onnx === undefined || values.columns === undefined || arg !== undefined))
  ) {
    const why =
      app === undefined
        ? 'models needs --app'
        : sub === 'import'
          ? 'models import needs --onnx <file.onnx> and --columns <a,b,c>'
          : 'unknown or incomplete models subcommand';
    io.err(`vigil: ${why}\n\n${MODELS_HELP}\n`);
    return 2;
  }
  let request: Omit<OnnxImportRequest, 'createdBy'> | undefined;
  let bytes: Uint8Array | undefined;
  try {
    if (sub === 'import') {
      const file = values.onnx!;
      const transform = values.transform;
      if (transform !== undefined && !isOnnxTransform(transform)) {
        throw new Error(`--transform must be none or sigmoid, got '${transform}'`);
      }
      request = {
        name: values.name ?? 'onnx',
        columns: list(values.columns!),
        file: basename(file),
        ...(values.output !== undefined ? { output: values.output } : {}),
        ...(values['class-index'] !== undefined
          ? { classIndex: num(values['class-index'], '--class-index') }
          : {}),
        ...(transform !== undefined ? { transform } : {}),
        ...(values.missing !== undefined ? { missing: num(values.missing, '--missing') } : {}),
        ...(values.baseline !== undefined
          ? { baseline: list(values.baseline).map((v) => num(v, '--baseline values')) }
          : {}),
      };
      bytes = new Uint8Array(readFileSync(file));
    }
  } catch (err) {
    io.err(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const db = await openDatabase(loadConfig(io.env, values.config).database, { poolSize: 2 });
  try {
    await migrateToLatest(db);
    const models = createModelService({ db, clock: systemClock, ...(opts.onnx ? { onnx: opts.onnx } : {}) });
    const out = (m: ModelView) => io.out(values.json ? `${JSON.stringify(m)}\n` : `${line(m)}\n`);
    if (sub === 'list') {
      const all = await models.list(app);
      if (values.json) io.out(`${JSON.stringify(all)}\n`);
      else io.out(all.length === 0 ? 'no models\n' : all.map((m) => `${line(m)}\n`).join(''));
    } else if (sub === 'import') {
      out(await models.importOnnx(app, bytes!, { ...request!, createdBy: 'cli' }));
    } else if (sub === 'deploy') out(await models.deploy(app, arg!));
    else if (sub === 'shadow') out(await models.shadow(app, arg!));
    else out(await models.rollback(app, arg!));
    return 0;
  } catch (err) {
    io.err(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await db.close();
  }
}
