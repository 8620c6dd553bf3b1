import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

/** One HTTP POST of a webhook. */
export interface SendRequest {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The whole attempt (connect, send, answer) must finish within this. */
  readonly timeoutMs: number;
  /** Most bytes of the answer read and kept (default 1024); the rest is never read. */
  readonly maxResponseBytes?: number;
  /** Resolves the host (the SSRF guard's `guardedLookup`). */
  readonly lookup?: LookupFunction;
  /** Aborts the attempt (shutdown). */
  readonly signal?: AbortSignal;
}

/** What happened. `statusCode` is null when no answer arrived. */
export interface SendResult {
  readonly statusCode: number | null;
  /** At most `maxResponseBytes` of the answer, as UTF-8. */
  readonly responseBody: string | null;
  /** The answer was longer than what was kept. */
  readonly truncated: boolean;
  /** Why no answer arrived (connection, timeout, refused address), else null. */
  readonly error: string | null;
  readonly durationMs: number;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
    return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * POSTs a body and reads at most `maxResponseBytes` of the answer, then hangs up: an oversized or
 * endless answer costs no more than the cap, a receiver that never answers costs `timeoutMs`.
 * Redirects are not followed (a 3xx is just a status). Never rejects.
 * @example
 * const r = await postWebhook({ url: new URL('https://example.com/hook'), headers, body, timeoutMs: 10_000 });
 * if (r.statusCode !== null && r.statusCode < 300) ...
 */
export function postWebhook(req: SendRequest): Promise<SendResult> {
  const max = req.maxResponseBytes ?? 1024;
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let statusCode: number | null = null;
    let truncated = false;
    let size = 0;
    const chunks: Buffer[] = [];

    const finish = (error: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      resolve({
        statusCode,
        responseBody: statusCode === null ? null : Buffer.concat(chunks).toString('utf8'),
        truncated,
        error,
        durationMs: Math.max(0, Math.round(performance.now() - started)),
      });
    };

    const mod = req.url.protocol === 'https:' ? https : http;
    const request = mod.request(
      req.url,
      {
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body, 'utf8')) },
        agent: false,
        ...(req.lookup ? { lookup: req.lookup } : {}),
      },
      (res) => {
        statusCode = res.statusCode ?? null;
        res.on('data', (chunk: Buffer) => {
          if (done) return;
          const room = max - size;
          if (chunk.length > room) {
            if (room > 0) chunks.push(chunk.subarray(0, room));
            size = max;
            truncated = true;
            finish(null);
            res.destroy();
            request.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => finish(null));
        res.on('error', (err) => finish(`reading the answer failed: ${describe(err)}`));
        res.on('close', () => finish(res.complete ? null : 'the connection closed before the answer ended'));
      },
    );
    request.on('error', (err) => finish(describe(err)));

    const timer = setTimeout(() => {
      // an answer whose status arrived counts; only its unread rest is dropped
      if (statusCode !== null) truncated = true;
      finish(statusCode === null ? `timed out after ${req.timeoutMs} ms` : null);
      request.destroy();
    }, req.timeoutMs);
    const onAbort = () => {
      finish('aborted');
      request.destroy();
    };
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });

    request.end(req.body);
  });
}
