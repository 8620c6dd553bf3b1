/**
 * Worker-thread entry of file scoring: scores one shard (see `scoreShard`) and posts its result
 * batches to the parent, waiting for an `ack` whenever `maxInFlight` batches are unconsumed, so a
 * fast shard cannot pile up memory while the parent waits for a slow one to keep input order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scoreShard, type ShardDone, type ShardTask } from './score-shard.js';

/** Data of a shard worker: the task and how many batches may wait unacknowledged. */
export interface ShardWorkerData {
  readonly task: ShardTask;
  readonly maxInFlight: number;
}

function isWorkerData(x: unknown): x is ShardWorkerData {
  return typeof x === 'object' && x !== null && 'task' in x && 'maxInFlight' in x;
}

const port = parentPort;
if (port === null || !isWorkerData(workerData)) throw new Error('score-worker must run as a worker thread');
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
const totals = await scoreShard(task, async (m) => {
  if (m.kind === 'rows')
    port.postMessage(m, [
      m.ords.buffer as ArrayBuffer,
      m.lens.buffer as ArrayBuffer,
      m.data.buffer as ArrayBuffer,
    ]);
  else port.postMessage(m);
  credits--;
  while (credits <= 0) await new Promise<void>((resolve) => (wake = resolve));
});
const done: ShardDone = { kind: 'done', totals };
port.postMessage(done);
