#!/usr/bin/env node
// The `vigil` command: runs the TypeScript CLI through tsx's loader (no build step).
import process from 'node:process';

// `vigil score` starts from a cached bundle of its own code when esbuild is there (score-launch.js).
if (
  process.argv[2] !== 'score' ||
  !(await (await import('./score-launch.js')).launchScore(process.argv.slice(3)))
) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
