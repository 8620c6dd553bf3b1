import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { DB } from './schema.js';

const require = createRequire(import.meta.url);

/**
 * One prepared statement run over many parameter rows. With `get`, the first result row of each
 * run is returned (null when none), e.g. for `INSERT ... RETURNING`. Parameters are JSON values
 * (strings, finite numbers, null): the rows travel to the thread as one JSON string.
 */
export interface BulkPart {
  readonly sql: string;
  readonly rows: readonly (readonly unknown[])[];
  readonly get?: boolean;
}

/**
 * A whole transaction in one round trip: `head` runs first with `get` semantics (every row must
 * return a row, else nothing is written: {@link AtomicRunner.run} answers `conflict`); then each
 * part's rows run; a part with `bind` takes the column `bind` of head result `row[0]` (a head row
 * index) as its first parameter.
 */
export interface AtomicWrite {
  readonly head: { readonly sql: string; readonly rows: readonly (readonly unknown[])[] };
  readonly parts: readonly (BulkPart & { readonly bind?: string })[];
}

/** Runs {@link AtomicWrite}s on the writer thread, between the other units of work. */
export interface AtomicRunner {
  /** The head's result rows in order, or `conflict` when a head row returned none (all rolled back). */
  run(write: AtomicWrite): Promise<readonly Record<string, unknown>[] | 'conflict'>;
}

/** Runs statements over many rows in one round trip to the writer thread. */
export interface BulkRunner {
  /** One result per part: the `get` rows (null where a run returned none), or undefined. */
  run(
    parts: readonly BulkPart[],
  ): Promise<readonly (readonly (Record<string, unknown> | null)[] | undefined)[]>;
}

/**
 * The writer thread's code (CommonJS, eval'd like the checkpoint thread: no TypeScript loader in
 * workers). It owns one better-sqlite3 connection to the file with the server's pragmas, caches
 * prepared statements by SQL, and answers each message with its result or the SQLite error (its
 * message and code, so unique violations are recognised as on the main connection).
 */
const WRITER_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0');
const cache = new Map();
const prep = (sql) => {
  let st = cache.get(sql);
  if (st === undefined) {
    st = db.prepare(sql);
    if (cache.size >= 1000) cache.clear();
    cache.set(sql, st);
  }
  return st;
};
const arg = (v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
const args = (p) => { const out = new Array(p.length); for (let i = 0; i < p.length; i++) out[i] = arg(p[i]); return out; };
parentPort.on('message', (m) => {
  if (m.op === 'close') {
    try { if (db.inTransaction) db.exec('ROLLBACK'); db.close(); } catch {}
    parentPort.postMessage({ id: m.id, ok: true });
    parentPort.close();
    return;
  }
  try {
    if (m.op === 'exec') {
      const st = prep(m.sql);
      if (st.reader) {
        parentPort.postMessage({ id: m.id, ok: true, rows: st.all(args(m.params)) });
      } else {
        const r = st.run(args(m.params));
        parentPort.postMessage({ id: m.id, ok: true, changes: r.changes, lastInsertRowid: r.lastInsertRowid });
      }
    } else if (m.op === 'bulk') {
      const results = [];
      for (const part of JSON.parse(m.json)) {
        const st = prep(part.sql);
        if (part.get) {
          const out = new Array(part.rows.length);
          for (let i = 0; i < part.rows.length; i++) {
            const r = st.get(args(part.rows[i]));
            out[i] = r === undefined ? null : r;
          }
          results.push(out);
        } else {
          for (const row of part.rows) st.run(args(row));
          results.push(undefined);
        }
      }
      parentPort.postMessage({ id: m.id, ok: true, results });
    } else if (m.op === 'atomic') {
      const a = JSON.parse(m.json);
      db.exec('BEGIN');
      try {
        const head = prep(a.head.sql);
        const results = new Array(a.head.rows.length);
        let conflict = false;
        for (let i = 0; i < a.head.rows.length; i++) {
          const r = head.get(args(a.head.rows[i]));
          if (r === undefined) { conflict = true; break; }
          results[i] = r;
        }
        if (conflict) {
          db.exec('ROLLBACK');
          parentPort.postMessage({ id: m.id, ok: true, conflict: true });
          return;
        }
        for (const part of a.parts) {
          const st = prep(part.sql);
          for (const row of part.rows) {
            if (part.bind === undefined) st.run(args(row));
            else { const p = args(row); p[0] = results[p[0]][part.bind]; st.run(p); }
          }
        }
        db.exec('COMMIT');
        parentPort.postMessage({ id: m.id, ok: true, results: [results] });
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    } else {
      parentPort.postMessage({ id: m.id, ok: false, message: 'unknown writer operation ' + m.op });
    }
  } catch (err) {
    parentPort.postMessage({
      id: m.id,
      ok: false,
      message: err && err.message ? String(err.message) : String(err),
      code: err && typeof err.code === 'string' ? err.code : undefined,
    });
  }
});
`;

type Request =
  | { readonly op: 'exec'; readonly sql: string; readonly params: readonly unknown[] }
  | { readonly op: 'bulk'; readonly json: string }
  | { readonly op: 'atomic'; readonly json: string }
  | { readonly op: 'close' };

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly rows?: unknown[];
  readonly changes?: number;
  readonly lastInsertRowid?: number | bigint;
  readonly results?: ((Record<string, unknown> | null)[] | undefined)[];
  readonly conflict?: boolean;
  readonly message?: string;
  readonly code?: string;
}

/** An error of a statement run on the writer thread; `code` is SQLite's (e.g. SQLITE_CONSTRAINT_UNIQUE). */
export class WriterError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'WriterError';
    this.code = code;
  }
}

/** Blobs come back from the thread as Uint8Array; the rest of the server expects Buffers, as on the main connection. */
function fixRow(row: unknown): unknown {
  if (typeof row !== 'object' || row === null) return row;
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) {
      Reflect.set(row, k, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    }
  }
  return row;
}

/**
 * The worker thread and its message round trips. A thread that died (or was never started) is
 * started again by the next call; calls pending when it died reject, and SQLite rolls back the
 * transaction it had open. The thread keeps the process alive only while calls are pending.
 */
class WriterThread {
  readonly #file: string;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #next = 1;
  #closed = false;

  constructor(file: string) {
    this.#file = file;
  }

  #start(): Worker {
    const w = new Worker(WRITER_WORKER, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), file: this.#file },
    });
    w.unref();
    w.on('message', (r: Reply) => {
      const p = this.#pending.get(r.id);
      if (p === undefined) return;
      this.#pending.delete(r.id);
      if (this.#pending.size === 0) w.unref();
      if (r.ok) p.resolve(r);
      else p.reject(new WriterError(r.message ?? 'writer thread error', r.code));
    });
    const fail = (err: Error) => {
      if (this.#worker === w) this.#worker = undefined;
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const p of pending) p.reject(err);
    };
    w.on('error', (err) => fail(err));
    w.on('exit', (code) => fail(new WriterError(`the SQLite writer thread exited (code ${code})`)));
    return w;
  }

  call(req: Request): Promise<Reply> {
    if (this.#closed) return Promise.reject(new WriterError('the SQLite writer is closed'));
    const w = (this.#worker ??= this.#start());
    const id = this.#next++;
    return new Promise<Reply>((resolve, reject) => {
      if (this.#pending.size === 0) w.ref();
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ id, ...req });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const w = this.#worker;
    if (w !== undefined) {
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      await this.call({ op: 'close' }).catch(() => undefined);
      w.ref(); // keep the process up until the thread has closed its connection and exited
      await exited;
    }
    this.#closed = true;
  }
}

class WriterConnection implements DatabaseConnection {
  readonly #thread: WriterThread;
  constructor(thread: WriterThread) {
    this.#thread = thread;
  }
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const r = await this.#thread.call({ op: 'exec', sql: q.sql, params: q.parameters });
    if (r.rows !== undefined) return { rows: r.rows.map(fixRow) as R[] };
    return {
      rows: [],
      ...(r.changes === undefined ? {} : { numAffectedRows: BigInt(r.changes) }),
      ...(r.lastInsertRowid === undefined ? {} : { insertId: BigInt(r.lastInsertRowid) }),
    };
  }
  // eslint-disable-next-line require-yield -- the interface needs a generator; streaming is not offered here
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new WriterError('streaming queries are not supported on the SQLite writer thread');
  }
}

/** One connection, so one unit of work at a time (as Kysely's own SQLite driver). */
class WriterDriver implements Driver {
  readonly #connection: WriterConnection;
  readonly #thread: WriterThread;
  readonly #waiting: (() => void)[] = [];
  #busy = false;

  constructor(thread: WriterThread) {
    this.#thread = thread;
    this.#connection = new WriterConnection(thread);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    // a released connection is handed straight to the next waiter (it stays busy)
    if (this.#busy) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#busy = true;
    return this.#connection;
  }
  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('begin'));
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(): Promise<void> {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#busy = false;
  }
  async destroy(): Promise<void> {
    await this.#thread.close();
  }
  /** Runs `fn` holding the connection, as a Kysely unit of work would. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquireConnection();
    try {
      return await fn();
    } finally {
      await this.releaseConnection();
    }
  }
}

/** The Kysely instance on the writer thread and the bulk runner for its transactions. */
export interface SqliteWriter {
  readonly kysely: Kysely<DB>;
  readonly bulk: BulkRunner;
  readonly atomic: AtomicRunner;
  close(): Promise<void>;
}

/**
 * Opens a SQLite writer thread on `file`: a second connection in a worker thread, so the group
 * commit's inserts and its `COMMIT` (the WAL writes) run beside the event loop instead of on it.
 * Kysely queries on it are compiled on the calling thread and executed there; `bulk` sends many
 * rows of one statement in a single message. Written with worker_threads rather than a library:
 * none of the SQLite drivers on npm offers a Kysely connection living in a worker with cached
 * statements, and the hot path needs exactly that.
 * @example const w = openSqliteWriter('./data/vigil.db'); await w.kysely.selectFrom('apps').selectAll().execute();
 */
export function openSqliteWriter(file: string): SqliteWriter {
  const thread = new WriterThread(file);
  const driver = new WriterDriver(thread);
  const dialect: KyselyDialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  const kysely = new Kysely<DB>({ dialect });
  return {
    kysely,
    bulk: {
      async run(parts) {
        // one JSON string crosses the thread boundary as a single copy; structured cloning the
        // rows value by value cost about a fifth of the event loop's time per decision
        const r = await thread.call({ op: 'bulk', json: JSON.stringify(parts) });
        return (r.results ?? []).map((rows) =>
          rows?.map((row) => fixRow(row) as Record<string, unknown> | null),
        );
      },
    },
    atomic: {
      async run(write) {
        const r = await driver.exclusive(() => thread.call({ op: 'atomic', json: JSON.stringify(write) }));
        if (r.conflict === true) return 'conflict';
        return (r.results?.[0] ?? []).map((row) => fixRow(row) as Record<string, unknown>);
      },
    },
    close: () => kysely.destroy(),
  };
}
