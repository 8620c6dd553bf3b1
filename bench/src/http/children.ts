import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/src/http → ../../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A server in a child process. */
export interface ChildServer {
  readonly proc: ChildProcess;
  readonly url: string;
  /** What the child printed when it started listening (parsed JSON line). */
  readonly info: Record<string, unknown>;
  /** Stops it with SIGTERM and waits for the exit. */
  stop(): Promise<number | null>;
}

/**
 * Starts `node --import tsx <script>` with `env` and waits for a JSON line on standard output that
 * `isReady` accepts; its `address` is the URL.
 * @example const s = await startChild('bench/src/http/bare-server.ts', {}, (j) => 'address' in j);
 */
export function startChild(
  script: string,
  env: Record<string, string>,
  isReady: (line: Record<string, unknown>) => boolean,
  nodeArgs: readonly string[] = [],
): Promise<ChildServer> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'INIT_CWD') childEnv[k] = v;
  Object.assign(childEnv, env);
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.resolve(REPO_ROOT, script)], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let ready = false;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${script} did not start in 60 s:\n${out}\n${err}`));
    }, 60_000);
    proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    proc.stdout.on('data', (d: Buffer) => {
      if (ready) return;
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        let json: unknown;
        try {
          json = JSON.parse(line);
        } catch {
          continue;
        }
        if (!isRecord(json) || !isReady(json)) continue;
        const address = json['address'];
        if (typeof address !== 'string') continue;
        ready = true;
        clearTimeout(timer);
        resolve({
          proc,
          url: address,
          info: json,
          stop: () => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
            return exited;
          },
        });
        return;
      }
    });
    proc.once('exit', (code) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
}
