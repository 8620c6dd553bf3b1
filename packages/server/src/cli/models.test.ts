import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifierOnnx } from '../modules/models/onnx/logistic-onnx.fixture.js';
import { skipOnnx } from '../modules/models/onnx/onnx-runtime.fixture.js';
import { runCli, type CliIo } from './cli.js';
import { runModelsCommand } from './models.js';

const W = [0.004, 0.5, 1.5] as const;
const B = -3;
const COLS = 'amount,user_count_1d,attrs.score';

let dir: string;
let app: string;
let onnxFile: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-cli-models-'));
  onnxFile = path.join(dir, 'lr.onnx');
  writeFileSync(onnxFile, classifierOnnx([...W], B));
  const created = await vigil('apps', 'create', 'onnx shop', '--json');
  app = (JSON.parse(created.out) as { id: string }).id;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function io(): CliIo & { text: () => { out: string; err: string } } {
  let out = '';
  let err = '';
  return {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { DATA_DIR: dir },
    text: () => ({ out, err }),
  };
}

async function vigil(...argv: string[]) {
  const i = io();
  const code = await runCli(argv, i);
  return { code, ...i.text() };
}

describe('vigil models import (usage and a missing runtime)', () => {
  it('needs --onnx and --columns; a missing runtime names the install command', async () => {
    const noCols = await vigil('models', 'import', '--onnx', onnxFile, '--app', app);
    expect(noCols.code).toBe(2);
    expect(noCols.err).toContain('models import needs --onnx <file.onnx> and --columns <a,b,c>');
    expect((await vigil('models', '--help')).out).toContain('vigil models import --onnx <file.onnx>');
    const i = io();
    const code = await runModelsCommand(['import', '--onnx', onnxFile, '--columns', COLS, '--app', app], i, {
      onnx: { importer: () => Promise.reject(new Error("Cannot find package 'onnxruntime-node'")) },
    });
    expect(code).toBe(1);
    expect(i.text().err).toMatch(
      /^vigil: ONNX models need the optional onnxruntime-node package: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node@1\.30\.0/,
    );
    const nofile = await vigil(
      'models',
      'import',
      '--onnx',
      path.join(dir, 'nope.onnx'),
      '--columns',
      COLS,
      '--app',
      app,
    );
    expect(nofile.code).toBe(1);
    expect(nofile.err).toMatch(/ENOENT/);
    const badT = await vigil(
      'models',
      'import',
      '--onnx',
      onnxFile,
      '--columns',
      COLS,
      '--app',
      app,
      '--transform',
      'x',
    );
    expect(badT).toMatchObject({ code: 1, err: "vigil: --transform must be none or sigmoid, got 'x'\n" });
    const badIdx = await vigil(
      'models',
      'import',
      '--onnx',
      onnxFile,
      '--columns',
      COLS,
      '--app',
      app,
      '--class-index',
      'one',
    );
    expect(badIdx.err).toContain("--class-index must be a number, got 'one'");
  });
});

describe.skipIf(skipOnnx)('vigil models import (onnxruntime-node)', () => {
  it('imports, refuses bad columns clearly, deploys, and evaluate scores the registry version', async () => {
    const bad = await vigil('models', 'import', '--onnx', onnxFile, '--columns', 'amount,hour', '--app', app);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(
      /input 'input' takes 3 features per row .* but 2 columns were given \(amount, hour\)/,
    );
    const unknown = await vigil(
      'models',
      'import',
      '--onnx',
      onnxFile,
      '--columns',
      'amount,V2,V3',
      '--app',
      app,
    );
    expect(unknown.err).toMatch(/V2, V3 cannot be computed from live events/);

    const imported = await vigil(
      'models',
      'import',
      '--onnx',
      onnxFile,
      '--columns',
      COLS,
      '--app',
      app,
      '--name',
      'lr',
      '--missing',
      '0',
      '--json',
    );
    expect(imported.code, imported.err).toBe(0);
    const m = JSON.parse(imported.out) as {
      id: string;
      kind: string;
      status: string;
      params: { file: string };
    };
    expect(m).toMatchObject({ kind: 'onnx', status: 'trained', params: { file: 'lr.onnx' } });
    expect((await vigil('models', 'list', '--app', app)).out).toMatch(/lr\s+v1\s+onnx\s+trained/);
    expect((await vigil('models', 'deploy', m.id, '--app', app)).out).toMatch(/lr\s+v1\s+onnx\s+deployed/);

    // evaluate reads the registry version and scores the file through the batch API
    const rows = Array.from({ length: 40 }, (_, i) => {
      const x = [i * 40, i % 6, i % 3 === 0 ? '' : (i % 5) * 0.5];
      const z = Number(x[0]) * W[0] + Number(x[1]) * W[1] + Number(x[2] === '' ? 0 : x[2]) * W[2] + B;
      return `${x.join(',')},${z > 0 ? 1 : 0}`;
    });
    const data = path.join(dir, 'test.csv');
    writeFileSync(data, `${COLS},is_fraud\n${rows.join('\n')}\n`);
    const ev = await vigil(
      'evaluate',
      '--model',
      m.id,
      '--app',
      app,
      '--data',
      data,
      '--label',
      'is_fraud',
      '--json',
    );
    expect(ev.code, ev.err).toBe(0);
    const metrics = JSON.parse(ev.out) as { rows: number; rocAuc: number; positives: number };
    expect(metrics.rows).toBe(40);
    expect(metrics.positives).toBeGreaterThan(5);
    expect(metrics.rocAuc).toBe(1);
  });
});
