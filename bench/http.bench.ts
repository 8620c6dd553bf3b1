/**
 * HTTP benchmark: durable, fully scored decisions per second against a bare Fastify JSON route,
 * loaded by the same client in the same run. Prints human-readable lines, then ONE JSON line last:
 * {"bench":"http","decisions_per_sec":N,"p99_ms":N,"bare_per_sec":N,"ratio":N}
 *
 *   npm run bench:http                       # 64 connections, 20 s per server (after 3 s warm-up)
 *   npm run bench:http -- --duration=5       # shorter
 *   cd bench && npx tsx http.bench.ts --duration 10 --connections 32 --profile
 *
 * Options: --duration S (20), --connections N (64), --warmup S (3), --events N (distinct simulator
 * events cycled as bodies, 200,000), --seed N (1), --profile (run Vigil under --cpu-prof and print
 * where the profile is), --group-commit-max N (Vigil's GROUP_COMMIT_MAX, default the server's 512).
 *
 * Method: Vigil runs as `npm start` would (node + tsx, src/main.ts) in a child process on its
 * embedded default: a SQLite file in a temporary DATA_DIR (WAL, synchronous=NORMAL), in-memory
 * features, every built-in detector, group commit. The per-key rate limit is switched off
 * (RATE_LIMIT_PER_SEC=0), nothing else is tuned. The bare server (bench/src/http/bare-server.ts)
 * is a child process too: a Fastify POST route parsing the same JSON body and answering a fixed
 * small JSON. autocannon (in this process, sharing the machine's cores with the server) sends
 * POST /v1/events with simulator events as bodies, a unique id per request, over keep-alive
 * connections. decisions_per_sec and bare_per_sec count 2xx answers per second; p99_ms is
 * Vigil's 99th percentile latency; ratio = decisions_per_sec / bare_per_sec.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createBodySource } from './src/http/bodies.js';
import { startChild, type ChildServer } from './src/http/children.js';
import { load, type LoadFigures } from './src/http/load.js';

const OPTION_NAMES = ['duration', 'connections', 'warmup', 'events', 'seed', 'group-commit-max'] as const;
const parsedArgs = parseArgs({
  options: {
    ...Object.fromEntries(OPTION_NAMES.map((n) => [n, { type: 'string' }] as const)),
    profile: { type: 'boolean', default: false },
  },
  allowPositionals: false,
});
/** Through `npm run bench:http -- --name=value` npm hands flags over as npm_config_<name>. */
function option(name: (typeof OPTION_NAMES)[number]): string | undefined {
  const values: Readonly<Record<string, unknown>> = parsedArgs.values;
  const direct = values[name];
  if (typeof direct === 'string') return direct;
  const env = process.env[`npm_config_${name.replace(/-/g, '_')}`];
  return env !== undefined && env !== '' && env !== 'true' ? env : undefined;
}
function num(name: (typeof OPTION_NAMES)[number], dflt: number): number {
  const v = option(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${v}'`);
  return n;
}
const DURATION = num('duration', 20);
const CONNECTIONS = Math.floor(num('connections', 64));
const WARMUP = num('warmup', 3);
const EVENTS = Math.floor(num('events', 200_000));
const SEED = Math.floor(num('seed', 1));
const GROUP_COMMIT_MAX = option('group-commit-max');
const PROFILE = parsedArgs.values.profile === true || process.env['npm_config_profile'] === 'true';

const ADMIN_KEY = 'bench-http-admin-key-0123456789';
const log = (s = ''): void => {
  process.stdout.write(`${s}\n`);
};
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const fmtInt = (x: number): string => Math.round(x).toLocaleString('en-US');

/**
 * CPU seconds (user + system) a process has used so far, all threads, or with `mainThread` only
 * its main thread (the event loop: what caps a Node server's throughput); undefined off Linux.
 */
function cpuSeconds(pid: number | undefined, mainThread = false): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of /proc/<pid>/stat (11 and 12 after the command)
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Sums and counts of the group-commit histograms from Prometheus text. */
async function commitMetrics(url: string): Promise<{ events: number; commits: number; seconds: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string): number => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return {
    events: value('vigil_group_commit_events_sum'),
    commits: value('vigil_group_commit_events_count'),
    seconds: value('vigil_group_commit_duration_seconds_sum'),
  };
}

function describe(name: string, f: LoadFigures): string {
  const codes = Object.entries(f.statusCodes)
    .map(([c, n]) => `${c}:${n}`)
    .join(' ');
  return `${name.padEnd(6)} ${Math.round(f.okPerSec).toLocaleString('en-US').padStart(7)} ok/s  latency p50 ${f.p50Ms} ms, p90 ${f.p90Ms} ms, p99 ${f.p99Ms} ms, max ${f.maxMs} ms  (${f.ok.toLocaleString('en-US')} ok, ${f.non2xx} non-2xx, ${f.errors} errors in ${f.seconds} s; status ${codes})`;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-http-'));
const profileDir = path.join(dataDir, 'profile');
let vigil: ChildServer | undefined;
let bare: ChildServer | undefined;
try {
  log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  log(`generating ${EVENTS.toLocaleString('en-US')} simulator events (seed ${SEED}) as request bodies...`);
  const runId = `h${Date.now().toString(36)}`;
  const warmBodies = createBodySource({ events: EVENTS, seed: SEED, runId: `${runId}w` });
  const bodies = createBodySource({ events: EVENTS, seed: SEED, runId });

  vigil = await startChild(
    'packages/server/src/main.ts',
    {
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      VIGIL_ADMIN_KEY: ADMIN_KEY,
      RATE_LIMIT_PER_SEC: '0',
      ...(GROUP_COMMIT_MAX !== undefined ? { GROUP_COMMIT_MAX } : {}),
    },
    (j) => j['msg'] === 'vigil listening',
    PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  bare = await startChild('bench/src/http/bare-server.ts', {}, (j) => 'address' in j);
  const created = await fetch(`${vigil.url}/v1/apps`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  if (created.status !== 201)
    throw new Error(`creating the app failed: ${created.status} ${await created.text()}`);
  const { apiKey } = (await created.json()) as { apiKey: string };
  const auth = { authorization: `Bearer ${apiKey}` };
  log(
    `vigil ${vigil.url} (SQLite in ${dataDir}), bare ${bare.url}; ${CONNECTIONS} connections, ${DURATION} s each`,
  );

  log(`warm-up: ${WARMUP} s each`);
  await load({ url: bare.url, connections: CONNECTIONS, seconds: WARMUP, bodies: warmBodies, headers: auth });
  await load({
    url: vigil.url,
    connections: CONNECTIONS,
    seconds: WARMUP,
    bodies: warmBodies,
    headers: auth,
  });

  const bareCpu0 = cpuSeconds(bare.proc.pid);
  const bareFig = await load({
    url: bare.url,
    connections: CONNECTIONS,
    seconds: DURATION,
    bodies,
    headers: auth,
  });
  const bareCpu = (cpuSeconds(bare.proc.pid) ?? Number.NaN) - (bareCpu0 ?? Number.NaN);
  log(describe('bare', bareFig));
  const statsBefore = (await (await fetch(`${vigil.url}/v1/stats`, { headers: auth })).json()) as {
    total: number;
  };
  const commitsBefore = await commitMetrics(vigil.url);
  const vigilCpu0 = cpuSeconds(vigil.proc.pid);
  const vigilMain0 = cpuSeconds(vigil.proc.pid, true);
  const vigilFig = await load({
    url: vigil.url,
    connections: CONNECTIONS,
    seconds: DURATION,
    bodies,
    headers: auth,
  });
  const vigilCpu = (cpuSeconds(vigil.proc.pid) ?? Number.NaN) - (vigilCpu0 ?? Number.NaN);
  const vigilMain = (cpuSeconds(vigil.proc.pid, true) ?? Number.NaN) - (vigilMain0 ?? Number.NaN);
  log(describe('vigil', vigilFig));
  if (Number.isFinite(bareCpu) && Number.isFinite(vigilCpu)) {
    log(
      `server CPU during the runs: bare ${bareCpu.toFixed(1)} s (${fmtInt(bareFig.ok / bareCpu)} requests per CPU-second), vigil ${vigilCpu.toFixed(1)} s (${fmtInt(vigilFig.ok / vigilCpu)} decisions per CPU-second; ratio per CPU-second ${round(vigilFig.ok / vigilCpu / (bareFig.ok / bareCpu), 3)})`,
    );
    log(
      `vigil CPU per decision: ${((vigilCpu / vigilFig.ok) * 1e6).toFixed(1)} µs in all threads, ${((vigilMain / vigilFig.ok) * 1e6).toFixed(1)} µs on the event loop (main thread ${((vigilMain / vigilFig.seconds) * 100).toFixed(0)}% busy); bare ${((bareCpu / bareFig.ok) * 1e6).toFixed(1)} µs per request`,
    );
  }
  const statsAfter = (await (await fetch(`${vigil.url}/v1/stats`, { headers: auth })).json()) as {
    total: number;
  };
  log(
    `stored decisions during the measured run: ${(statsAfter.total - statsBefore.total).toLocaleString('en-US')} (2xx answers: ${vigilFig.ok.toLocaleString('en-US')})`,
  );
  const commitsAfter = await commitMetrics(vigil.url);
  const commits = commitsAfter.commits - commitsBefore.commits;
  if (commits > 0) {
    const events = commitsAfter.events - commitsBefore.events;
    const secs = commitsAfter.seconds - commitsBefore.seconds;
    log(
      `group commits: ${fmtInt(commits / vigilFig.seconds)}/s, ${(events / commits).toFixed(1)} events per commit, ${((secs / commits) * 1000).toFixed(2)} ms per commit transaction (${((secs / vigilFig.seconds) * 100).toFixed(0)}% of the time)`,
    );
  }
  if (vigilFig.non2xx > 0 || vigilFig.errors > 0)
    log('WARNING: Vigil answered non-2xx or dropped requests (see status)');

  const ratio = vigilFig.okPerSec / bareFig.okPerSec;
  log(
    `targets: ratio ${round(ratio, 3)} (>= 0.50: ${ratio >= 0.5 ? 'met' : 'MISSED'}), p99 ${vigilFig.p99Ms} ms (<= 10 ms: ${vigilFig.p99Ms <= 10 ? 'met' : 'MISSED'})`,
  );
  log(
    `load average at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  await vigil.stop();
  vigil = undefined;
  if (PROFILE) log(`Vigil CPU profile written to ${profileDir} (kept; open it in Chrome DevTools)`);
  log(
    JSON.stringify({
      bench: 'http',
      decisions_per_sec: Math.round(vigilFig.okPerSec),
      p99_ms: vigilFig.p99Ms,
      bare_per_sec: Math.round(bareFig.okPerSec),
      ratio: round(ratio, 3),
    }),
  );
} finally {
  await vigil?.stop();
  await bare?.stop();
  if (!PROFILE) rmSync(dataDir, { recursive: true, force: true });
}
