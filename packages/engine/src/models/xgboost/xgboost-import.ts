/**
 * Import of gradient-boosted models trained with XGBoost, into the flat layout of Vigil's own
 * tree models (so they score in the same few microseconds and explain with the same TreeSHAP):
 *
 * - `importXgboostDump` reads `booster.get_dump(dump_format='json')`: a list of trees (JSON text
 *   or parsed) of nodes `{nodeid, split, split_condition, yes, no, missing, children}` and leaves
 *   `{nodeid, leaf}` (`cover` present when dumped `with_stats=True`, needed for contributions).
 *   The dump carries neither the base score nor the objective: pass them (XGBoost's defaults are
 *   0.5 and binary:logistic).
 * - `importXgboostModel` reads `booster.save_model('model.json')`: learner_model_param.base_score,
 *   the objective, and `gradient_booster.model.trees` with `left_children`, `right_children`,
 *   `split_indices`, `split_conditions` (the leaf value on a leaf), `default_left`,
 *   `sum_hessian` (covers); pruned nodes are skipped; `dart` boosters apply their tree weights.
 *
 * XGBoost goes left ("yes") when `x < split_condition` and compares in float32, so imported
 * models set the ensemble's float32 flag. The base score is a probability for logistic
 * objectives (margin = logit(base_score)). Categorical splits and multi-class models are
 * rejected with a clear error.
 */
import { assertNever } from '../../util/assert-never.js';
import { isRecord } from '../model-package.js';
import {
  buildEnsemble,
  createTreeModel,
  type OutputTransform,
  type TreeModel,
  type TreeNodes,
} from '../gbdt/tree-ensemble.js';

/** Objectives an imported model may have. */
export const XGBOOST_OBJECTIVES = [
  'binary:logistic',
  'binary:logitraw',
  'reg:logistic',
  'reg:squarederror',
  'reg:linear',
] as const;
/** An XGBoost objective Vigil imports. */
export type XgboostObjective = (typeof XGBOOST_OBJECTIVES)[number];

/** An imported XGBoost model. */
export interface XgboostModel extends TreeModel {
  readonly kind: 'xgboost';
  readonly objective: XgboostObjective;
  /** The base score as XGBoost states it (a probability for logistic objectives). */
  readonly baseScore: number;
  /** Whether every node had a cover, so `contributions` works. */
  readonly hasCovers: boolean;
}

/** Options of {@link importXgboostDump}. */
export interface XgboostDumpOptions {
  /** XGBoost's base_score (default 0.5). */
  readonly baseScore?: number;
  /** The objective (default 'binary:logistic'). */
  readonly objective?: XgboostObjective;
  /** Feature names in column order; `split` names are looked up here (else `f<index>`). */
  readonly featureNames?: readonly string[];
  /** Number of columns (default: featureNames' length, else the highest split index + 1). */
  readonly features?: number;
}

function fail(what: string, reason: string): never {
  throw new Error(`bad XGBoost ${what}: ${reason}`);
}

function isObjective(x: unknown): x is XgboostObjective {
  return typeof x === 'string' && (XGBOOST_OBJECTIVES as readonly string[]).includes(x);
}

function baseMargin(objective: XgboostObjective, baseScore: number, what: string): number {
  if (!Number.isFinite(baseScore)) fail(what, `base_score ${baseScore} is not a number`);
  switch (objective) {
    case 'binary:logistic':
    case 'binary:logitraw':
    case 'reg:logistic':
      if (!(baseScore > 0 && baseScore < 1))
        fail(what, `base_score ${baseScore} must be in (0, 1) for ${objective}`);
      return Math.log(baseScore / (1 - baseScore));
    case 'reg:squarederror':
    case 'reg:linear':
      return baseScore;
    default:
      return assertNever(objective);
  }
}

function outputOf(objective: XgboostObjective): OutputTransform {
  return objective === 'binary:logistic' || objective === 'reg:logistic' ? 'sigmoid' : 'identity';
}

function finish(
  trees: TreeNodes[],
  features: number,
  objective: XgboostObjective,
  baseScore: number,
  hasCovers: boolean,
  featureNames: readonly string[] | undefined,
  what: string,
): XgboostModel {
  if (trees.length === 0) fail(what, 'the model has no trees');
  let ensemble;
  try {
    ensemble = buildEnsemble(features, trees, baseMargin(objective, baseScore, what), true);
  } catch (e) {
    return fail(what, e instanceof Error ? e.message : String(e));
  }
  return {
    ...createTreeModel(ensemble, outputOf(objective), featureNames),
    kind: 'xgboost',
    objective,
    baseScore,
    hasCovers,
  };
}

function finiteNumber(x: unknown, what: string, field: string): number {
  const v = typeof x === 'string' ? Number(x) : x;
  if (typeof v !== 'number' || !Number.isFinite(v)) return fail(what, `${field} is not a finite number`);
  return v;
}

/**
 * Imports the JSON dump of a booster (`get_dump(dump_format='json')`, optionally
 * `with_stats=True`): a list of per-tree JSON strings, the parsed list, or the whole dump as one
 * JSON array string.
 * @example
 * const model = importXgboostDump(booster_dump, { baseScore: 0.5, featureNames: ['amount', 'age'] });
 * model.predict([120, 3]);
 */
export function importXgboostDump(dump: unknown, options: XgboostDumpOptions = {}): XgboostModel {
  const what = 'dump';
  let list: unknown = dump;
  if (typeof list === 'string') list = parseJson(list, what);
  if (!Array.isArray(list)) return fail(what, 'expected a list of trees');
  if (list.length === 0) fail(what, 'the model has no trees');
  const objective = options.objective ?? 'binary:logistic';
  if (!isObjective(objective)) fail(what, `unsupported objective ${String(objective)}`);
  const names = options.featureNames;
  const nameIndex = new Map(names?.map((n, i) => [n, i] as const) ?? []);
  let maxFeature = -1;
  let hasCovers = true;
  const trees: TreeNodes[] = [];
  for (let t = 0; t < list.length; t++) {
    const item: unknown = list[t];
    const raw: unknown = typeof item === 'string' ? parseJson(item, `${what} tree ${t}`) : item;
    // Collect nodes by nodeid.
    const byId = new Map<number, Record<string, unknown>>();
    const stack: unknown[] = [raw];
    while (stack.length > 0) {
      const n = stack.pop();
      if (!isRecord(n)) return fail(what, `tree ${t} has a node that is not an object`);
      const id = n['nodeid'];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
        return fail(what, `tree ${t} has a node without a nodeid`);
      if (byId.has(id)) fail(what, `tree ${t} repeats node ${id}`);
      byId.set(id, n);
      const children = n['children'];
      if (children !== undefined) {
        if (!Array.isArray(children)) fail(what, `tree ${t} node ${id}: children is not a list`);
        for (const c of children) stack.push(c);
      }
    }
    if (!isRecord(raw) || raw['nodeid'] !== 0) fail(what, `tree ${t} does not start at node 0`);
    // Dense renumbering: node id -> index.
    const ids = [...byId.keys()].sort((a, b) => a - b);
    const index = new Map(ids.map((id, i) => [id, i] as const));
    const n = ids.length;
    const tree = {
      feature: new Int32Array(n),
      threshold: new Float64Array(n),
      left: new Int32Array(n).fill(-1),
      right: new Int32Array(n).fill(-1),
      defaultLeft: new Uint8Array(n),
      value: new Float64Array(n),
      cover: new Float64Array(n),
    };
    for (const [id, node] of byId) {
      const i = index.get(id)!;
      const where = `tree ${t} node ${id}`;
      const cover = node['cover'];
      if (typeof cover === 'number' && Number.isFinite(cover) && cover >= 0) tree.cover[i] = cover;
      else hasCovers = false;
      if (node['leaf'] !== undefined) {
        tree.feature[i] = -1;
        tree.value[i] = Math.fround(finiteNumber(node['leaf'], what, `${where} leaf`));
        continue;
      }
      const split = node['split'];
      let f: number | undefined;
      if (typeof split === 'number') f = split;
      else if (typeof split === 'string') {
        f = nameIndex.get(split);
        if (f === undefined && /^f\d+$/.test(split)) f = Number(split.slice(1));
      }
      if (f === undefined || !Number.isInteger(f) || f < 0)
        return fail(what, `${where} splits on unknown feature ${JSON.stringify(split)}`);
      if (Array.isArray(node['split_condition']))
        fail(what, `${where} is a categorical split, which Vigil does not import`);
      const cond = finiteNumber(node['split_condition'], what, `${where} split_condition`);
      const yesId = node['yes'];
      const noId = node['no'];
      const yes = typeof yesId === 'number' ? index.get(yesId) : undefined;
      const no = typeof noId === 'number' ? index.get(noId) : undefined;
      if (yes === undefined || no === undefined || yes === no)
        return fail(what, `${where} has bad yes/no children`);
      const missing = node['missing'];
      if (missing !== undefined && missing !== yesId && missing !== noId)
        fail(what, `${where} has a bad missing child`);
      tree.feature[i] = f;
      tree.threshold[i] = Math.fround(cond);
      tree.left[i] = yes;
      tree.right[i] = no;
      tree.defaultLeft[i] = missing === undefined || missing === yesId ? 1 : 0;
      if (f > maxFeature) maxFeature = f;
    }
    trees.push(tree);
  }
  const features = options.features ?? names?.length ?? maxFeature + 1;
  if (names !== undefined && names.length !== features)
    fail(what, `${names.length} feature names for ${features} features`);
  if (!Number.isInteger(features) || features < 1 || maxFeature >= features) {
    fail(what, `splits use feature ${maxFeature} but the model has ${features} features`);
  }
  return finish(trees, features, objective, options.baseScore ?? 0.5, hasCovers, names, what);
}

function isStringList(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'string');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(what, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function numberList(o: Record<string, unknown>, key: string, n: number, what: string): number[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length !== n) return fail(what, `${key} is not a list of ${n} numbers`);
  return v.map((x, i) => {
    if (typeof x === 'boolean') return x ? 1 : 0;
    if (typeof x !== 'number' || Number.isNaN(x)) return fail(what, `${key}[${i}] is not a number`);
    return x;
  });
}

/** Options of {@link importXgboostModel}. */
export interface XgboostModelOptions {
  /** Use only the first `iterations` trees (default all, as Booster.predict). */
  readonly iterations?: number;
}

/**
 * Imports a model saved by XGBoost as JSON (`booster.save_model('model.json')` or
 * `XGBClassifier.save_model`), given as text or parsed.
 * @example
 * const model = importXgboostModel(readFileSync('model.json', 'utf8'));
 * model.predict(row); // the same probability as XGBoost's predict (to float32 rounding)
 */
export function importXgboostModel(json: unknown, options: XgboostModelOptions = {}): XgboostModel {
  const what = 'model';
  const root: unknown = typeof json === 'string' ? parseJson(json, what) : json;
  if (!isRecord(root) || !isRecord(root['learner']))
    return fail(what, 'no "learner" object (is this a save_model JSON file?)');
  const learner = root['learner'];
  const param = learner['learner_model_param'];
  if (!isRecord(param)) return fail(what, 'no learner_model_param');
  const numClass = Number(param['num_class'] ?? 0);
  if (numClass > 1) fail(what, `multi-class models (num_class ${numClass}) are not supported`);
  const features = Number(param['num_feature']);
  if (!Number.isInteger(features) || features < 1) fail(what, 'num_feature is not a positive integer');
  // base_score is "5E-1" in XGBoost 1.x and "[5E-1]" in 2.x/3.x.
  const base = param['base_score'] ?? '0.5';
  if (typeof base !== 'string' && typeof base !== 'number') return fail(what, 'base_score is not a number');
  const rawBase = String(base).replace(/^\[|\]$/g, '');
  const baseScore = finiteNumber(rawBase, what, 'base_score');
  const objectiveRecord = learner['objective'];
  const objective = isRecord(objectiveRecord) ? objectiveRecord['name'] : undefined;
  if (!isObjective(objective)) return fail(what, `unsupported objective ${JSON.stringify(objective)}`);
  const booster = learner['gradient_booster'];
  if (!isRecord(booster)) return fail(what, 'no gradient_booster');
  let model: unknown;
  let weights: number[] | undefined;
  if (booster['name'] === 'gbtree') model = booster['model'];
  else if (booster['name'] === 'dart') {
    const inner = booster['gbtree'];
    model = isRecord(inner) ? inner['model'] : undefined;
    const wd = booster['weight_drop'];
    if (!Array.isArray(wd)) fail(what, 'dart booster without weight_drop');
    weights = wd.map((w: unknown, i) => finiteNumber(w, what, `weight_drop[${i}]`));
  } else fail(what, `unsupported booster ${JSON.stringify(booster['name'])}`);
  if (!isRecord(model) || !Array.isArray(model['trees']))
    return fail(what, 'no trees in gradient_booster.model');
  const rawTrees: unknown[] = model['trees'];
  const count =
    options.iterations === undefined ? rawTrees.length : Math.min(options.iterations, rawTrees.length);
  if (!Number.isInteger(count) || count < 1)
    fail(what, `iterations must be a positive integer, got ${String(options.iterations)}`);
  let hasCovers = true;
  const trees: TreeNodes[] = [];
  for (let t = 0; t < count; t++) {
    const tr = rawTrees[t];
    const where = `tree ${t}`;
    if (!isRecord(tr)) return fail(what, `${where} is not an object`);
    const left = tr['left_children'];
    if (!Array.isArray(left) || left.length === 0) return fail(what, `${where}: left_children is not a list`);
    const n = left.length;
    const l = numberList(tr, 'left_children', n, `${what} ${where}`);
    const r = numberList(tr, 'right_children', n, `${what} ${where}`);
    const split = numberList(tr, 'split_indices', n, `${what} ${where}`);
    const cond = numberList(tr, 'split_conditions', n, `${what} ${where}`);
    const dl = numberList(tr, 'default_left', n, `${what} ${where}`);
    const types = tr['split_type'];
    if (Array.isArray(types) && types.some((x) => x !== 0))
      fail(what, `${where} has categorical splits, which Vigil does not import`);
    let cover: number[];
    if (Array.isArray(tr['sum_hessian']) && tr['sum_hessian'].length === n)
      cover = numberList(tr, 'sum_hessian', n, `${what} ${where}`);
    else {
      cover = new Array<number>(n).fill(0);
      hasCovers = false;
    }
    const w = weights?.[t] ?? 1;
    // Keep the nodes reachable from the root (pruned ones stay in XGBoost's arrays), renumbered.
    const order: number[] = [];
    const newId = new Map<number, number>();
    const stack = [0];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (!Number.isInteger(i) || i < 0 || i >= n)
        return fail(what, `${where} has a child index ${i} outside the tree`);
      if (newId.has(i)) return fail(what, `${where} reaches node ${i} twice`);
      newId.set(i, order.length);
      order.push(i);
      if (l[i] !== -1) stack.push(r[i]!, l[i]!);
    }
    const m = order.length;
    const nodes = {
      feature: new Int32Array(m),
      threshold: new Float64Array(m),
      left: new Int32Array(m).fill(-1),
      right: new Int32Array(m).fill(-1),
      defaultLeft: new Uint8Array(m),
      value: new Float64Array(m),
      cover: new Float64Array(m),
    };
    for (let k = 0; k < m; k++) {
      const i = order[k]!;
      nodes.cover[k] = cover[i]!;
      if (l[i] === -1) {
        nodes.feature[k] = -1;
        nodes.value[k] = Math.fround(cond[i]!) * w;
        continue;
      }
      const f = split[i]!;
      if (!Number.isInteger(f) || f < 0 || f >= features)
        fail(what, `${where} node ${i} splits on feature ${f} of ${features}`);
      nodes.feature[k] = f;
      nodes.threshold[k] = Math.fround(cond[i]!);
      nodes.left[k] = newId.get(l[i]!)!;
      nodes.right[k] = newId.get(r[i]!)!;
      nodes.defaultLeft[k] = dl[i] ? 1 : 0;
    }
    trees.push(nodes);
  }
  const rawNames = learner['feature_names'];
  const names = isStringList(rawNames) && rawNames.length === features ? rawNames : undefined;
  return finish(trees, features, objective, baseScore, hasCovers, names, what);
}
