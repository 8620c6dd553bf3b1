/**
 * Test fixture: whether onnxruntime-node is installed. It is optional: .ci/run installs it (CI=true
 * must run every ONNX test); elsewhere the tests that need it skip with a warning.
 */
import { loadOnnxRuntime } from './onnx-runtime.js';

/** Why the runtime cannot load, or undefined when it can. @example if (onnxRuntimeProblem) console.warn(onnxRuntimeProblem); */
export const onnxRuntimeProblem: string | undefined = await loadOnnxRuntime().then(
  () => undefined,
  (err: unknown) => (err instanceof Error ? err.message : String(err)),
);

/** Whether this is CI (where the runtime must be installed). @example it.runIf(inCi)('...'); */
export const inCi = process.env['CI'] === 'true';

/** Whether the tests that need the runtime skip here. @example describe.skipIf(skipOnnx)('...', () => {}); */
export const skipOnnx = onnxRuntimeProblem !== undefined && !inCi;

if (skipOnnx) console.warn(`skipping the ONNX inference tests: ${String(onnxRuntimeProblem)}`);
