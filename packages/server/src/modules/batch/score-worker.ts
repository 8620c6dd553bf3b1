/**
 * Worker-thread entry of file scoring. With a shard task it scores one shard (see `scoreShard`)
 * and posts its result batches to the parent, waiting for an `ack` whenever `maxInFlight` batches
 * are unconsumed, so a fast shard cannot pile up memory while the parent waits for a slow one to
 * keep input order. With a plan part it reads the second half of a CSV file for a parallel first
 * pass (see `planCsvPart`) and posts it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ColumnMapping } from './batch-columns.js';
import { scoreShard, type ModelScoreTotals, type ShardDone, type ShardTask } from './score-shard.js';
import { planCsvPart } from './shard-plan.js';

/** Data of a shard worker: the task and how many batches may wait unacknowledged. */
export interface ShardWorkerData {
  readonly task: ShardTask;
  readonly maxInFlight: number;
}

/** Data of a first-pass helper: the file, its header mapping and where its part starts. */
export interface PlanPartWorkerData {
  readonly planPart: {
    readonly file: string;
    readonly mapping: ColumnMapping | undefined;
    readonly from: number;
  };
}

function isShardData(x: unknown): x is ShardWorkerData {
  return typeof x === 'object' && x !== null && 'task' in x && 'maxInFlight' in x;
}

function isPlanPartData(x: unknown): x is PlanPartWorkerData {
  return typeof x === 'object' && x !== null && 'planPart' in x;
}

const port = parentPort;
if (port === null || !(isShardData(workerData) || isPlanPartData(workerData)))
  throw new Error('score-worker must run as a worker thread');
if (isPlanPartData(workerData)) {
  const { file, mapping, from } = workerData.planPart;
  const part = planCsvPart(file, mapping, from);
  port.postMessage(part, [
    part.ids.buffer as ArrayBuffer,
    part.starts.buffer as ArrayBuffer,
    part.lines.buffer as ArrayBuffer,
    part.spaces.buffer as ArrayBuffer,
  ]);
} else {
  const { task, maxInFlight } = workerData;
  let credits = maxInFlight;
  let wake: (() => void) | undefined;
  port.on('message', (m: unknown) => {
    if (m === 'ack') {
      credits++;
      const w = wake;
      wake = undefined;
      w?.();
    }
  });
  const models: ModelScoreTotals[] = [];
  const totals = await scoreShard(
    task,
    async (m) => {
      if (m.kind === 'rows')
        port.postMessage(m, [
          m.ords.buffer as ArrayBuffer,
          m.lens.buffer as ArrayBuffer,
          m.data.buffer as ArrayBuffer,
        ]);
      else port.postMessage(m);
      credits--;
      while (credits <= 0) await new Promise<void>((resolve) => (wake = resolve));
    },
    models,
  );
  const done: ShardDone = { kind: 'done', totals, ...(task.models !== undefined ? { models } : {}) };
  port.postMessage(done);
}
