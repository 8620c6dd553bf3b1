import { createSimulator } from '@vigil/engine';

/**
 * Request bodies for the HTTP benchmark: simulator events as apps send them (no `app`), each with
 * a unique id per request. The events are generated once; a body is the event's JSON with a fresh
 * id spliced in, so making one costs a string concatenation, not a JSON.stringify.
 */
export interface BodySource {
  /** The next body (a new id every call; events cycle when exhausted). */
  next(): string;
  /** Bodies made so far. */
  readonly made: number;
}

/**
 * @example const bodies = createBodySource({ events: 100_000, seed: 1, runId: 'b1' }); bodies.next();
 */
export function createBodySource(opts: {
  readonly events: number;
  readonly seed: number;
  readonly runId: string;
}): BodySource {
  const users = Math.min(10_000, Math.max(500, Math.round(opts.events / 50)));
  // the simulated timeline must end before now: the server refuses events from the future
  const spanMs = (opts.events / (users * 1.41e-4)) * 1000;
  const start = Math.floor(Date.now() - spanMs * 1.5 - 86_400_000);
  const sim = createSimulator({ seed: opts.seed, users, start, attackRate: 0.02 });
  const tails: string[] = [];
  for (let i = 0; i < opts.events; i++) {
    const { id: _id, app: _app, ...rest } = sim.next().value.event;
    tails.push(JSON.stringify(rest).slice(1)); // '"type":...}' (the event has more than an id)
  }
  let made = 0;
  return {
    next() {
      const tail = tails[made % tails.length]!;
      return `{"id":"${opts.runId}-${(made++).toString(36)}",${tail}`;
    },
    get made() {
      return made;
    },
  };
}
