import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createRuntime, type Runtime } from './runtime.js';

/** A listening server. */
export interface RunningServer {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  /** `http://host:port` it listens on. */
  readonly url: string;
  /** An admin key created by this start (print it once), if any. */
  readonly createdAdminKey: string | undefined;
  /** Stops accepting requests, drains the commit queue, snapshots features, closes the database. */
  close(): Promise<void>;
}

/**
 * Wires everything from a validated config and listens: the one place that opens a port.
 * On first start it creates the admin key (VIGIL_ADMIN_KEY, or a random one returned to print).
 * @example const server = await startServer(loadConfig(process.env)); console.log(server.url);
 */
export async function startServer(config: Config): Promise<RunningServer> {
  const logger = pino({ level: config.logLevel, base: { service: 'vigil' } });
  const runtime = await createRuntime({ config, logger });
  let app: FastifyInstance | undefined;
  try {
    const created = await runtime.keys.ensureAdminKey(config.adminKey);
    if (created !== undefined && config.adminKey !== undefined) {
      logger.info({ keyId: created.record.id }, 'admin key from VIGIL_ADMIN_KEY stored');
    }
    app = await buildApp(runtime);
    const address = await app.listen({ port: config.port, host: config.host });
    logger.info(
      {
        address,
        database: config.database.kind,
        recovery: runtime.recovery,
        migrations: runtime.migrations.applied,
      },
      'vigil listening',
    );
    const listening = app;
    let closing: Promise<void> | undefined;
    return {
      app: listening,
      runtime,
      url: address,
      createdAdminKey: config.adminKey === undefined ? created?.key : undefined,
      close() {
        closing ??= (async () => {
          try {
            await listening.close();
          } finally {
            await runtime.close();
          }
          logger.info('vigil stopped');
        })();
        return closing;
      },
    };
  } catch (err) {
    await app?.close().catch(() => {});
    await runtime.close().catch(() => {});
    throw err;
  }
}

/** The banner printed once when a start created the admin key. @example adminKeyBanner('vgl_x', 'http://localhost:8080') */
export function adminKeyBanner(key: string, url = 'http://localhost:8080'): string {
  return [
    '',
    '  Vigil created an admin API key. It is shown only this once; store it now:',
    '',
    `    ${key}`,
    '',
    '  Use it as "Authorization: Bearer <key>", e.g. to create an app:',
    '    curl -H "Authorization: Bearer <key>" -H "content-type: application/json" \\',
    `         -d '{"name":"my-app"}' ${url}/v1/apps`,
    '',
  ].join('\n');
}

/**
 * Runs the server until SIGINT/SIGTERM, then shuts down cleanly (drain, snapshot, close).
 * @example await serveUntilSignal(config, (s) => process.stdout.write(s));
 */
export async function serveUntilSignal(config: Config, print: (text: string) => void): Promise<void> {
  const server = await startServer(config);
  if (server.createdAdminKey !== undefined)
    print(`${adminKeyBanner(server.createdAdminKey, `http://localhost:${server.runtime.config.port}`)}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close().then(resolve, (err: unknown) => {
        server.runtime.logger?.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
