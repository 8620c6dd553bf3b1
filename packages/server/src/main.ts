import { ConfigError, loadConfig } from './config.js';
import { serveUntilSignal } from './server.js';

// `npm start` runs in packages/server; relative paths (DATA_DIR, VIGIL_CONFIG) mean where the user typed it
const initCwd = process.env['INIT_CWD'];
if (initCwd !== undefined && initCwd !== '') process.chdir(initCwd);

try {
  const config = loadConfig(process.env);
  await serveUntilSignal(config, (text) => process.stdout.write(text));
} catch (err) {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
}
