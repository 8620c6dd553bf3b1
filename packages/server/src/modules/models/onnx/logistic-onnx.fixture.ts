/**
 * Test fixtures: hand-encoded ONNX protobufs, so tests need no ONNX builder package.
 * {@link logisticOnnx}: sigmoid(x·w + b) for an [N, d] float input (MatMul + Add + Sigmoid, IR 8,
 * opset 13). {@link classifierOnnx}: the same probability shaped like a scikit-learn classifier
 * exported by sklearn-onnx (`label` int64 [N] + `probabilities` float [N, 2], or with ZipMap a
 * `output_probability` sequence of maps), and variants with other input types and shapes.
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

/** ONNX TensorProto element types used here. */
const ELEM = { float: 1, int64: 7, double: 11 } as const;
type Elem = keyof typeof ELEM;

function floatTensor(name: string, dims: readonly number[], values: readonly number[]): number[] {
  const raw = new Uint8Array(new Float32Array(values).buffer);
  return [...dims.flatMap((d) => int(1, d)), ...int(2, ELEM.float), ...str(8, name), ...bytes(9, [...raw])];
}

function tensorType(elem: Elem, dims: readonly (number | string)[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  return bytes(1, [...int(1, ELEM[elem]), ...bytes(2, shape)]);
}

function valueInfo(name: string, type: readonly number[]): number[] {
  return [...str(1, name), ...bytes(2, type)];
}

/** seq(map(int64, float)): what sklearn-onnx's ZipMap returns. */
const zipMapType = (): number[] =>
  bytes(4, bytes(1, bytes(5, [...int(1, ELEM.int64), ...bytes(2, tensorType('float', []))])));

type Attr = readonly [name: string, value: number | readonly number[]];

function node(
  op: string,
  inputs: readonly string[],
  output: string,
  attrs: readonly Attr[] = [],
  domain = '',
): number[] {
  const attributes = attrs.flatMap(([name, v]) =>
    bytes(
      5,
      typeof v === 'number'
        ? [...str(1, name), ...int(3, v), ...int(20, 2)]
        : [...str(1, name), ...v.flatMap((x) => int(8, x)), ...int(20, 7)],
    ),
  );
  return [
    ...inputs.flatMap((i) => str(1, i)),
    ...str(2, output),
    ...str(3, `${op}_${output}`),
    ...str(4, op),
    ...attributes,
    ...(domain === '' ? [] : str(7, domain)),
  ];
}

function model(graph: readonly number[], ml = false): Uint8Array {
  const opsets = [...bytes(8, int(2, 13)), ...(ml ? bytes(8, [...str(1, 'ai.onnx.ml'), ...int(2, 1)]) : [])];
  return new Uint8Array([...int(1, 8), ...str(2, 'vigil-test'), ...bytes(7, graph), ...opsets]);
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
    ...bytes(11, valueInfo('x', tensorType('float', ['N', w.length]))),
    ...bytes(12, valueInfo('y', tensorType('float', ['N', 1]))),
  ];
  return model(graph);
}

/** Variants of {@link classifierOnnx}. */
export interface ClassifierOnnxOptions {
  /** sklearn-onnx's default: probabilities as a sequence of {class: probability} maps. */
  readonly zipmap?: boolean;
  /** The input's element type (int64 and double inputs are cast to float inside the graph). */
  readonly input?: Elem;
  /** The input's declared width: a number (default w.length) or a symbolic name. */
  readonly width?: number | string;
  /** A second graph input `extra` [N, 1] (ignored by the graph). */
  readonly secondInput?: boolean;
  /** The batch dimension (default symbolic 'N'). */
  readonly batch?: number | string;
}

/**
 * A logistic model shaped like sklearn-onnx's output for a binary classifier: `label` (int64 [N],
 * the argmax) and `probabilities` (float [N, 2], class 1 = sigmoid(x·w + b)), or with `zipmap`
 * `output_label` + `output_probability` (a sequence of maps, which Vigil does not read).
 * @example const bytes = classifierOnnx([0.5, -1.25, 2], 0.1);
 */
export function classifierOnnx(
  w: readonly number[],
  b: number,
  opts: ClassifierOnnxOptions = {},
): Uint8Array {
  const elem = opts.input ?? 'float';
  const probs = opts.zipmap === true ? 'probs_tensor' : 'probabilities';
  const nodes = [
    ...(elem === 'float' ? [] : bytes(1, node('Cast', ['input'], 'xf', [['to', ELEM.float]]))),
    ...bytes(1, node('MatMul', [elem === 'float' ? 'input' : 'xf', 'coef'], 'xw')),
    ...bytes(1, node('Add', ['xw', 'intercept'], 'z')),
    ...bytes(1, node('Softmax', ['z'], probs, [['axis', 1]])),
    ...bytes(
      1,
      node('ArgMax', [probs], opts.zipmap === true ? 'output_label' : 'label', [
        ['axis', 1],
        ['keepdims', 0],
      ]),
    ),
    ...(opts.zipmap === true
      ? bytes(
          1,
          node('ZipMap', [probs], 'output_probability', [['classlabels_int64s', [0, 1]]], 'ai.onnx.ml'),
        )
      : []),
  ];
  const batch = opts.batch ?? 'N';
  const graph = [
    ...nodes,
    ...str(2, 'classifier'),
    // column 0 scores 0, column 1 x·w + b: softmax's class 1 is sigmoid(x·w + b)
    ...bytes(
      5,
      floatTensor(
        'coef',
        [w.length, 2],
        w.flatMap((v) => [0, v]),
      ),
    ),
    ...bytes(5, floatTensor('intercept', [2], [0, b])),
    ...bytes(11, valueInfo('input', tensorType(elem, [batch, opts.width ?? w.length]))),
    ...(opts.secondInput === true ? bytes(11, valueInfo('extra', tensorType('float', [batch, 1]))) : []),
    ...(opts.zipmap === true
      ? [
          ...bytes(12, valueInfo('output_label', tensorType('int64', [batch]))),
          ...bytes(12, valueInfo('output_probability', zipMapType())),
        ]
      : [
          ...bytes(12, valueInfo('label', tensorType('int64', [batch]))),
          ...bytes(12, valueInfo('probabilities', tensorType('float', [batch, 2]))),
        ]),
  ];
  return model(graph, opts.zipmap === true);
}
