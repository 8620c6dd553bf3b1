import {
  analyzeDataset,
  binaryLabels,
  evaluationReport,
  getColumn,
  formatDatasetReport,
  isDataError,
  loadModelPackage,
  loadSequencePackage,
  modelMetrics,
  parseModelPackage,
  parseCsv,
  parseNdjson,
  TRAINABLE_KINDS,
  trainModelPackage,
  trainSequencePackage,
  type DataTable,
  type ModelMetrics,
  type TrainableKind,
} from '@vigil/engine';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createModelService } from '../modules/models/model.service.js';
import { loadOnnxPackageScorer } from '../modules/models/onnx/onnx-model.js';
import { isOnnxPackage } from '../modules/models/onnx/onnx-package.js';
import { openDatabase } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrations.js';
import type { CliIo } from './cli.js';

/** Help of `vigil train`. */
export const TRAIN_HELP = `Usage: vigil train --data <file.csv|file.ndjson> --model gbdt|rf|iforest|gru [options]

Prints the dataset analysis, trains the model with its preprocessing, evaluates it on the
held-out split and prints the metrics. Run in a terminal without flags, it asks step by step.
gru: a sequence model over each user's events; the file holds user, type, amount, at (ISO or
epoch ms) and the label, and whole users are held out for the evaluation.

  --label <column>             label column (required for gbdt and rf; iforest uses it to evaluate)
  --time-split <col:YYYY-MM-DD> rows before the date train, the rest test (default: seeded 80/20)
  --out <model.json>           write the model package
  --app <id> --register        store the package in the registry as a new version (--name, default the model)
  --name <name>                registry name
  --epochs <n>                 gru: training epochs (default 20, early stopping on validation users)
  --report-dir <dir>           write the held-out evaluation report (report.svg, report.html, results.csv, results.json)
  --json                       print the metrics as JSON`;

/** Help of `vigil evaluate`. */
export const EVALUATE_HELP = `Usage: vigil evaluate --model <model.json|model id> --data <test.csv> [--label <column>] [--app <id>] [--threshold 0.5] [--report-dir <dir>] [--json]

Scores a labelled file with a saved package (or a registry version, with --app) and prints
ROC-AUC, PR-AUC, precision/recall/F1 at the threshold and the confusion matrix. With
--report-dir it writes report.svg (four panels), report.html, results.csv and results.json.`;

/**
 * Writes the evaluation report files into `dir` (created if needed); returns the paths.
 * @example writeReport('out', { scores, labels, threshold: 0.5, title: 't', modelName: 'gbdt', generatedAt: Date.now() });
 */
export function writeReport(dir: string, input: Parameters<typeof evaluationReport>[0]): readonly string[] {
  const r = evaluationReport(input);
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['report.svg', r.svg],
    ['report.html', r.html],
    ['results.csv', r.csv],
    ['results.json', r.json],
  ];
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

/** Reads a CSV or NDJSON file into a table. @example readTable('train.csv'); */
export function readTable(file: string): DataTable {
  const bytes = readFileSync(file);
  const r = /\.(nd)?jsonl?$/i.test(file) ? parseNdjson(bytes) : parseCsv(bytes);
  if (r.table.rows === 0) throw new Error(`${file} has no data rows`);
  return r.table;
}

/** Human lines of a metrics object. @example formatMetrics(m); */
export function formatMetrics(m: ModelMetrics): string {
  const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  return [
    `rows ${m.rows}, positives ${m.positives}`,
    `ROC-AUC ${f(m.rocAuc)}   PR-AUC ${f(m.prAuc)}`,
    `at threshold ${m.threshold}: precision ${f(m.precision)}  recall ${f(m.recall)}  F1 ${f(m.f1)}`,
    `confusion: TP ${m.tp ?? '-'}  FP ${m.fp ?? '-'}  TN ${m.tn ?? '-'}  FN ${m.fn ?? '-'}`,
  ].join('\n');
}

function isTrainable(x: string): x is TrainableKind {
  return (TRAINABLE_KINDS as readonly string[]).includes(x);
}

interface Answers {
  data: string;
  label: string | undefined;
  model: string;
}

/** Step-by-step questions (learning mode, detection method, model). */
async function ask(io: CliIo, input: NodeJS.ReadableStream): Promise<Answers> {
  const rl = createInterface({ input, output: process.stdout, terminal: false });
  const q = async (text: string, fallback: string): Promise<string> => {
    io.out(`${text} [${fallback}]: `);
    const a = (await rl.question('')).trim();
    return a === '' ? fallback : a;
  };
  try {
    const data = await q('Data file (CSV or NDJSON)', 'transactions.csv');
    const mode = await q('Learning mode: supervised (labels) or unsupervised', 'supervised');
    const method = await q(
      'Detection method: classic (anomaly model) or risk-score (probability of fraud)',
      mode.startsWith('s') ? 'risk-score' : 'classic',
    );
    const model = await q(
      method.startsWith('c') ? 'Model: iforest' : 'Model: gbdt, rf or gru',
      method.startsWith('c') ? 'iforest' : 'gbdt',
    );
    const label = mode.startsWith('s') ? await q('Label column', 'is_fraud') : undefined;
    return { data, label, model };
  } finally {
    rl.close();
  }
}

/**
 * `vigil train`: returns the exit code.
 * @example await runTrainCommand(['--data', 'tx.csv', '--label', 'is_fraud', '--model', 'gbdt'], io);
 */
export async function runTrainCommand(
  argv: readonly string[],
  io: CliIo,
  opts: { readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean } } = {},
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      data: { type: 'string' },
      label: { type: 'string' },
      model: { type: 'string' },
      'time-split': { type: 'string' },
      out: { type: 'string' },
      app: { type: 'string' },
      register: { type: 'boolean', default: false },
      name: { type: 'string' },
      config: { type: 'string' },
      epochs: { type: 'string' },
      'report-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.out(`${TRAIN_HELP}\n`);
    return 0;
  }
  const stdin = opts.stdin ?? process.stdin;
  let answers: Answers;
  if (values.data === undefined && stdin.isTTY === true) answers = await ask(io, stdin);
  else if (values.data === undefined) {
    io.err(`vigil: train needs --data\n\n${TRAIN_HELP}\n`);
    return 2;
  } else answers = { data: values.data, label: values.label, model: values.model ?? 'gbdt' };
  const kind = answers.model;
  if (kind !== 'gru' && !isTrainable(kind)) {
    io.err(`vigil: --model must be one of ${TRAINABLE_KINDS.join(', ')}, gru, got '${kind}'\n`);
    return 2;
  }
  try {
    const table = readTable(answers.data);
    const report = analyzeDataset(table, answers.label !== undefined ? { label: answers.label } : {});
    if (!values.json) io.out(`${formatDatasetReport(report)}\n`);
    let pkg;
    if (kind === 'gru') {
      if (answers.label === undefined)
        throw new Error('a gru model is supervised: name the label column with --label');
      const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
      if (epochs !== undefined && !(Number.isInteger(epochs) && epochs > 0))
        throw new Error(`--epochs must be a positive integer, got '${values.epochs}'`);
      pkg = trainSequencePackage(table, {
        label: answers.label,
        ...(epochs !== undefined ? { epochs } : {}),
      }).package;
    } else {
      pkg = trainModelPackage(table, {
        kind,
        ...(answers.label !== undefined ? { label: answers.label } : {}),
        ...(values['time-split'] !== undefined ? { timeSplit: values['time-split'] } : {}),
      }).package;
    }
    let reportFiles: readonly string[] = [];
    if (values['report-dir'] !== undefined) {
      const ev = pkg.evaluation;
      if (ev === undefined) throw new Error('no labelled held-out rows: no evaluation report (give --label)');
      reportFiles = writeReport(values['report-dir'], {
        scores: ev.scores,
        labels: ev.labels,
        threshold: ev.threshold,
        title: `${kind} held-out evaluation`,
        modelName: values.name ?? kind,
        generatedAt: Date.now(),
        dataset: `${answers.data} (${pkg.training.split})`,
      });
    }
    if (values.out !== undefined) writeFileSync(values.out, JSON.stringify(pkg));
    let registered: string | undefined;
    if (values.register) {
      if (values.app === undefined) throw new Error('--register needs --app <id>');
      const config = loadConfig(io.env, values.config);
      const db = await openDatabase(config.database, { poolSize: 2 });
      try {
        await migrateToLatest(db);
        const m = await createModelService({ db, clock: systemClock }).register(
          values.app,
          values.name ?? answers.model,
          pkg,
          'cli',
        );
        registered = `${m.id} (${m.name} v${m.version})`;
      } finally {
        await db.close();
      }
    }
    if (values.json) {
      io.out(
        `${JSON.stringify({ kind: pkg.kind, training: pkg.training, metrics: pkg.metrics, out: values.out ?? null, registered: registered ?? null, report: reportFiles })}\n`,
      );
    } else {
      io.out(
        `\ntrained ${pkg.kind} on ${pkg.training.rows} rows (${pkg.training.split}), tested on ${pkg.training.testRows}\n`,
      );
      io.out(
        pkg.metrics === null ? 'no labelled test rows: no metrics\n' : `${formatMetrics(pkg.metrics)}\n`,
      );
      if (values.out !== undefined) io.out(`package written to ${values.out}\n`);
      if (reportFiles.length > 0) io.out(`report written: ${reportFiles.join(', ')}\n`);
      if (registered !== undefined) io.out(`registered ${registered}\n`);
    }
    return 0;
  } catch (err) {
    io.err(`vigil: ${isDataError(err) || err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/**
 * `vigil evaluate`: returns the exit code.
 * @example await runEvaluateCommand(['--model', 'model.json', '--data', 'test.csv', '--label', 'is_fraud'], io);
 */
export async function runEvaluateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      label: { type: 'string' },
      app: { type: 'string' },
      threshold: { type: 'string' },
      config: { type: 'string' },
      'report-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.out(`${EVALUATE_HELP}\n`);
    return 0;
  }
  if (values.model === undefined || values.data === undefined) {
    io.err(`vigil: evaluate needs --model and --data\n\n${EVALUATE_HELP}\n`);
    return 2;
  }
  try {
    let text: string;
    if (values.app !== undefined && !values.model.endsWith('.json')) {
      const config = loadConfig(io.env, values.config);
      const db = await openDatabase(config.database, { poolSize: 2 });
      try {
        await migrateToLatest(db);
        text = await createModelService({ db, clock: systemClock }).packageOf(values.app, values.model);
      } finally {
        await db.close();
      }
    } else text = readFileSync(values.model, 'utf8');
    // an imported ONNX version: scored through onnxruntime-node's batch API, labels read as given
    const onnx = isOnnxPackage(text);
    const envelope = onnx ? undefined : parseModelPackage(text);
    const table = readTable(values.data);
    const label = values.label ?? envelope?.label ?? undefined;
    if (label === undefined) throw new Error('name the label column with --label');
    if (!table.columns.includes(label)) throw new Error(`label column "${label}" is not in ${values.data}`);
    let scores: Float64Array;
    let y: Uint8Array;
    if (envelope === undefined) {
      const { scorer, release } = await loadOnnxPackageScorer(text, { id: values.model, version: '' });
      try {
        scores = await scorer.scoreTable(table);
      } finally {
        await release();
      }
      y = binaryLabels(getColumn(table, label), label).y;
    } else if (envelope.kind === 'gru') {
      scores = loadSequencePackage(envelope).scoreTable(table);
      y = binaryLabels(getColumn(table, label), label).y;
    } else {
      const model = loadModelPackage(envelope);
      scores = model.scoreTable(table);
      y = model.preprocessor.labels(table).y;
    }
    const threshold = values.threshold === undefined ? 0.5 : Number(values.threshold);
    if (!Number.isFinite(threshold))
      throw new Error(`--threshold must be a number, got '${values.threshold}'`);
    const m = modelMetrics(scores, y, threshold);
    let files: readonly string[] = [];
    if (values['report-dir'] !== undefined) {
      files = writeReport(values['report-dir'], {
        scores,
        labels: y,
        threshold,
        title: `${envelope?.kind ?? 'onnx'} evaluation on ${values.data}`,
        modelName: values.model,
        generatedAt: Date.now(),
        dataset: values.data,
      });
    }
    io.out(values.json ? `${JSON.stringify({ ...m, report: files })}\n` : `${formatMetrics(m)}\n`);
    if (!values.json && files.length > 0) io.out(`report written: ${files.join(', ')}\n`);
    return 0;
  } catch (err) {
    io.err(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
