import { parseArgs } from 'node:util';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createModelService, type ModelView } from '../modules/models/model.service.js';
import { openDatabase } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrations.js';
import type { CliIo } from './cli.js';

/** Help of `vigil models`. */
export const MODELS_HELP = `Usage: vigil models list --app <id> [--json]
       vigil models deploy <model id> --app <id>
       vigil models shadow <model id> --app <id>
       vigil models rollback <name> --app <id>

Manages the model registry in the database. A running server applies changes made through
its API at once; changes made here take effect when the server next starts.`;

function line(m: ModelView): string {
  return `${m.id}  ${m.name.padEnd(16)} v${String(m.version).padEnd(3)} ${m.kind.padEnd(8)} ${m.status}`;
}

/**
 * `vigil models`: returns the exit code.
 * @example await runModelsCommand(['list', '--app', appId], io);
 */
export async function runModelsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      app: { type: 'string' },
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
    !['list', 'deploy', 'shadow', 'rollback'].includes(sub) ||
    (sub !== 'list' && arg === undefined)
  ) {
    io.err(
      `vigil: ${app === undefined ? 'models needs --app' : 'unknown or incomplete models subcommand'}\n\n${MODELS_HELP}\n`,
    );
    return 2;
  }
  const db = await openDatabase(loadConfig(io.env, values.config).database, { poolSize: 2 });
  try {
    await migrateToLatest(db);
    const models = createModelService({ db, clock: systemClock });
    const out = (m: ModelView) => io.out(values.json ? `${JSON.stringify(m)}\n` : `${line(m)}\n`);
    if (sub === 'list') {
      const all = await models.list(app);
      if (values.json) io.out(`${JSON.stringify(all)}\n`);
      else io.out(all.length === 0 ? 'no models\n' : all.map((m) => `${line(m)}\n`).join(''));
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
