import { parseArgs, type ParseArgsConfig } from 'node:util';
import { systemClock } from '../clock.js';
import { CONFIG_VARIABLES, ConfigError, loadConfig, type Config } from '../config.js';
import { DomainError } from '../errors.js';
import { createAppService } from '../modules/apps/app.service.js';
import { verifyAuditChain } from '../modules/audit/audit.store.js';
import type { ApiKeyRecord } from '../modules/auth/api-key.store.js';
import { createKeyService } from '../modules/auth/key.service.js';
import { BACKTEST_HELP, runBacktestCommand } from './backtest.js';
import { LISTS_HELP, listsCommand } from './lists-import.js';
import { serveUntilSignal } from '../server.js';
import { REPLAY_HELP, runReplayCommand } from './replay.js';
import { runScoreCommand, SCORE_HELP } from './score.js';
import { runSimulateCommand, SIMULATE_HELP } from './simulate.js';
import { EVALUATE_HELP, runEvaluateCommand } from './evaluate.js';
import { MODELS_HELP, runModelsCommand } from './models.js';
import { runTrainCommand, TRAIN_HELP } from './train.js';
import { openDatabase, type Db } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrations.js';
import { KEY_ROLES, type KeyRole } from '../storage/schema.js';

/** Where the CLI writes, and what it reads: injectable for tests. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Wrong arguments: printed with the command's help, exit code 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

const ACTOR = 'cli';

const GLOBAL_HELP = `vigil: self-hostable real-time fraud, abuse and bot defence

Usage: vigil <command> [options]

Commands:
  serve                 start the HTTP server (same as npm start)
  migrate               apply pending database migrations
  apps create <name>    create an app and print its id and API key
  apps list             list apps
  keys create           create an API key (--role app --app <id>, or an admin role)
  keys list             list API keys (never the keys themselves)
  keys revoke <id>      revoke an API key
  audit verify          check the audit log's hash chain
  lists import <kind> <file>  load a public list (Tor exits, IPsum, disposable domains, crawlers)
  score <file>          score a CSV/NDJSON file offline (no server needed)
  replay                rebuild feature state from the event log
  simulate              send simulated traffic to a running server
  train                 train a model from a CSV/NDJSON file (asks step by step in a terminal)
  evaluate              evaluate a model package on a labelled file
  models                list, deploy, shadow or roll back registry models
  backtest              replay stored events through a candidate configuration

Options for every command:
  --config <file>       JSON file with configuration variables (environment wins)
  --json                machine-readable output (where it applies)
  -h, --help            help for the command

Configuration (environment variables):
${Object.entries(CONFIG_VARIABLES)
  .map(([k, v]) => `  ${k.padEnd(22)}${v}`)
  .join('\n')}
`;

const HELP = {
  lists: LISTS_HELP,
  serve: `Usage: vigil serve [--port <n>] [--host <h>] [--config <file>]

Starts the HTTP API. Runs migrations, restores feature state (snapshot + replay), prints an
admin key on first start, and stops cleanly on SIGINT/SIGTERM.`,
  migrate: `Usage: vigil migrate [--json] [--config <file>]

Applies every pending migration (the server also does this on start).`,
  apps: `Usage: vigil apps create <name> [--json]
       vigil apps list [--json]

create   creates an app with one API key; --json prints {"id","name","apiKey","keyId"}
list     lists every app`,
  keys: `Usage: vigil keys create --role <${KEY_ROLES.join('|')}> [--app <id>] [--name <name>] [--json]
       vigil keys list [--app <id>] [--all] [--json]
       vigil keys revoke <id> [--json]

create   an app key (--role app --app <id>) or an admin key (--role viewer|analyst|admin);
         the key is printed once
list     live keys (--all includes revoked ones), optionally of one app
revoke   revokes a key at once`,
  audit: `Usage: vigil audit verify [--json]

Walks the audit log and recomputes every row's hash; exit code 1 when the chain is broken.`,
  score: SCORE_HELP,
  replay: REPLAY_HELP,
  simulate: SIMULATE_HELP,
  backtest: BACKTEST_HELP,
  train: TRAIN_HELP,
  evaluate: EVALUATE_HELP,
  models: MODELS_HELP,
} as const;

type Command = keyof typeof HELP;

const COMMON = {
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
  help: string,
) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...COMMON, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), help);
  }
}

function isCommand(x: string): x is Command {
  return Object.prototype.hasOwnProperty.call(HELP, x);
}

function isKeyRole(x: string): x is KeyRole {
  return (KEY_ROLES as readonly string[]).includes(x);
}

async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(config.database, { poolSize: 2 });
  try {
    await migrateToLatest(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

function keyLine(k: ApiKeyRecord): string {
  const state = k.revokedAt === null ? 'live' : `revoked ${new Date(k.revokedAt).toISOString()}`;
  return `${k.id}  ${k.prefix}…  ${k.role.padEnd(7)}  ${(k.appId ?? '-').padEnd(26)}  ${k.name}  (${state})`;
}

function keyJson(k: ApiKeyRecord) {
  return {
    id: k.id,
    app: k.appId,
    role: k.role,
    name: k.name,
    prefix: k.prefix,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
  };
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.out(GLOBAL_HELP);
    return first === undefined ? 2 : 0;
  }
  if (!isCommand(first)) throw new UsageError(`unknown command '${first}'`, GLOBAL_HELP);
  const help = HELP[first];

  switch (first) {
    case 'lists':
      return listsCommand(rest, io);
    case 'serve': {
      const { values } = parse(rest, { port: { type: 'string' }, host: { type: 'string' } }, help);
      if (values.help) return printHelp(io, help);
      const env = { ...io.env };
      if (values.port !== undefined) env['PORT'] = values.port;
      if (values.host !== undefined) env['HOST'] = values.host;
      await serveUntilSignal(loadConfig(env, values.config), io.out);
      return 0;
    }
    case 'migrate': {
      const { values } = parse(rest, {}, help);
      if (values.help) return printHelp(io, help);
      const config = loadConfig(io.env, values.config);
      const db = await openDatabase(config.database, { poolSize: 2 });
      try {
        const { applied } = await migrateToLatest(db);
        if (values.json) io.out(`${JSON.stringify({ applied })}\n`);
        else io.out(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'apps': {
      const { values, positionals } = parse(rest, {}, help);
      if (values.help) return printHelp(io, help);
      const [sub, ...args] = positionals;
      const config = loadConfig(io.env, values.config);
      if (sub === 'create') {
        const name = args.join(' ').trim();
        if (name === '') throw new UsageError('apps create needs a name', help);
        const created = await withDb(config, (db) =>
          createAppService({ db, clock: systemClock }).create(name, ACTOR),
        );
        if (values.json) {
          io.out(
            `${JSON.stringify({ id: created.app.id, name: created.app.name, apiKey: created.apiKey, keyId: created.keyId })}\n`,
          );
        } else {
          io.out(
            `app ${created.app.name} created\n  id:      ${created.app.id}\n  API key: ${created.apiKey}  (shown once)\n`,
          );
        }
        return 0;
      }
      if (sub === 'list') {
        const apps = await withDb(config, (db) => createAppService({ db, clock: systemClock }).list());
        if (values.json) io.out(`${JSON.stringify(apps)}\n`);
        else if (apps.length === 0) io.out('no apps yet (vigil apps create <name>)\n');
        else io.out(apps.map((a) => `${a.id}  ${a.name}  ${new Date(a.createdAt).toISOString()}\n`).join(''));
        return 0;
      }
      throw new UsageError(
        sub === undefined ? 'apps needs a subcommand' : `unknown subcommand 'apps ${sub}'`,
        help,
      );
    }
    case 'keys': {
      const { values, positionals } = parse(
        rest,
        {
          role: { type: 'string' },
          app: { type: 'string' },
          name: { type: 'string' },
          all: { type: 'boolean' },
        },
        help,
      );
      if (values.help) return printHelp(io, help);
      const [sub, ...args] = positionals;
      const config = loadConfig(io.env, values.config);
      const keysOf = (db: Db) => createKeyService({ db, clock: systemClock });
      if (sub === 'create') {
        const role = values.role;
        if (role === undefined || !isKeyRole(role)) {
          throw new UsageError(`--role must be one of ${KEY_ROLES.join(', ')}`, help);
        }
        const issued = await withDb(config, (db) =>
          keysOf(db).create({ role, appId: values.app, name: values.name }, ACTOR),
        );
        if (values.json) io.out(`${JSON.stringify({ ...keyJson(issued.record), key: issued.key })}\n`);
        else io.out(`key ${issued.record.id} (${role}) created: ${issued.key}  (shown once)\n`);
        return 0;
      }
      if (sub === 'list') {
        const filter: { appId?: string; includeRevoked?: boolean } = { includeRevoked: values.all === true };
        if (values.app !== undefined) filter.appId = values.app;
        const keys = await withDb(config, (db) => keysOf(db).list(filter));
        if (values.json) io.out(`${JSON.stringify(keys.map(keyJson))}\n`);
        else if (keys.length === 0) io.out('no keys\n');
        else io.out(keys.map((k) => `${keyLine(k)}\n`).join(''));
        return 0;
      }
      if (sub === 'revoke') {
        const id = args[0];
        if (id === undefined) throw new UsageError('keys revoke needs a key id', help);
        const revoked = await withDb(config, (db) => keysOf(db).revoke(id, ACTOR));
        if (values.json) io.out(`${JSON.stringify(keyJson(revoked))}\n`);
        else io.out(`key ${id} revoked\n`);
        return 0;
      }
      throw new UsageError(
        sub === undefined ? 'keys needs a subcommand' : `unknown subcommand 'keys ${sub}'`,
        help,
      );
    }
    case 'audit': {
      const { values, positionals } = parse(rest, {}, help);
      if (values.help) return printHelp(io, help);
      if (positionals[0] !== 'verify') {
        throw new UsageError(
          positionals[0] === undefined
            ? 'audit needs a subcommand'
            : `unknown subcommand 'audit ${positionals[0]}'`,
          help,
        );
      }
      const result = await withDb(loadConfig(io.env, values.config), (db) => verifyAuditChain(db));
      if (values.json) io.out(`${JSON.stringify(result)}\n`);
      else if (result.ok) io.out(`audit log intact: ${result.rows} rows, last hash ${result.lastHash}\n`);
      else
        io.out(
          `audit log BROKEN at row ${result.brokenAtSeq}: ${result.reason} (${result.rows} rows verified before it)\n`,
        );
      return result.ok ? 0 : 1;
    }
    case 'score':
      return runScoreCommand(rest, io);
    case 'replay':
      return runReplayCommand(rest, io);
    case 'simulate':
      return runSimulateCommand(rest, io);
    case 'backtest':
      return runBacktestCommand(rest, io);
    case 'train':
      return runTrainCommand(rest, io);
    case 'evaluate':
      return runEvaluateCommand(rest, io);
    case 'models':
      return runModelsCommand(rest, io);
  }
}

function printHelp(io: CliIo, help: string): number {
  io.out(`${help}\n`);
  return 0;
}

/**
 * Runs the `vigil` command line; returns the exit code (0 ok, 1 failure, 2 usage).
 * @example process.exitCode = await runCli(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`vigil: ${err.message}\n\n${err.help}\n`);
      return 2;
    }
    if (err instanceof ConfigError) io.err(`vigil: ${err.message}\n`);
    else if (err instanceof DomainError) {
      const details = err.details.map((d) => `\n  ${d.path}: ${d.message}`).join('');
      io.err(`vigil: ${err.message} (${err.code})${details}\n`);
    } else io.err(`vigil: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
