/**
 * Test fixture: a hand-encoded ONNX protobuf computing sigmoid(x·w + b) for an [N, d] float input
 * (MatMul + Add + Sigmoid, IR 8, opset 13), so tests need no ONNX builder package.
 */

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const key = (field: number, wire: number): number[] => varint(field * 8 + wire);
const int = (field: number, v: number): number[] => [...key(field, 0), ...varint(v)];
const bytes = (field: number, b: readonly number[]): number[] => [
  ...key(field, 2),
  ...varint(b.length),
  ...b,
];
const str = (field: number, s: string): number[] => bytes(field, [...new TextEncoder().encode(s)]);

const FLOAT = 1;

function floatTensor(name: string, dims: readonly number[], values: readonly number[]): number[] {
  const raw = new Uint8Array(new Float32Array(values).buffer);
  return [...dims.flatMap((d) => int(1, d)), ...int(2, FLOAT), ...str(8, name), ...bytes(9, [...raw])];
}

function valueInfo(name: string, dims: readonly (number | string)[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, FLOAT), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

function node(op: string, inputs: readonly string[], output: string): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...str(2, output), ...str(3, `${op}_0`), ...str(4, op)];
}

/**
 * The ONNX bytes of sigmoid(x·w + b); input `x` [N, w.length], output `y` [N, 1].
 * @example const bytes = logisticOnnx([0.5, -1.25, 2], 0.1);
 */
export function logisticOnnx(w: readonly number[], b: number): Uint8Array {
  const graph = [
    ...bytes(1, node('MatMul', ['x', 'w'], 'xw')),
    ...bytes(1, node('Add', ['xw', 'b'], 'z')),
    ...bytes(1, node('Sigmoid', ['z'], 'y')),
    ...str(2, 'logistic'),
    ...bytes(5, floatTensor('w', [w.length, 1], w)),
    ...bytes(5, floatTensor('b', [1], [b])),
    ...bytes(11, valueInfo('x', ['N', w.length])),
    ...bytes(12, valueInfo('y', ['N', 1])),
  ];
  const model = [...int(1, 8), ...str(2, 'vigil-test'), ...bytes(7, graph), ...bytes(8, int(2, 13))];
  return new Uint8Array(model);
}
