import { describe, expect, it } from 'vitest';
import { importXgboostDump, importXgboostModel } from './xgboost-import.js';

// A hand-written two-tree model in both XGBoost formats (XGBoost goes to "yes" when x < split_condition).
// tree 0: f0 < 0.5 ? (f1 < 10 ? -0.2 : 0.1) : 0.3   (missing: f0 -> no, f1 -> yes)
// tree 1: f1 < 3.5 ? -0.05 : 0.15                    (missing -> yes)
const dump = [
  JSON.stringify({
    nodeid: 0,
    depth: 0,
    split: 'f0',
    split_condition: 0.5,
    yes: 1,
    no: 2,
    missing: 2,
    gain: 5,
    cover: 100,
    children: [
      {
        nodeid: 1,
        depth: 1,
        split: 'f1',
        split_condition: 10,
        yes: 3,
        no: 4,
        missing: 3,
        gain: 2,
        cover: 60,
        children: [
          { nodeid: 3, leaf: -0.2, cover: 40 },
          { nodeid: 4, leaf: 0.1, cover: 20 },
        ],
      },
      { nodeid: 2, leaf: 0.3, cover: 40 },
    ],
  }),
  JSON.stringify({
    nodeid: 0,
    depth: 0,
    split: 'f1',
    split_condition: 3.5,
    yes: 1,
    no: 2,
    missing: 1,
    cover: 100,
    children: [
      { nodeid: 1, leaf: -0.05, cover: 70 },
      { nodeid: 2, leaf: 0.15, cover: 30 },
    ],
  }),
];

function savedModel(baseScore = '[5E-1]', extra: Record<string, unknown> = {}) {
  return {
    learner: {
      attributes: {},
      feature_names: ['amount', 'age'],
      feature_types: [],
      gradient_booster: {
        name: 'gbtree',
        model: {
          gbtree_model_param: { num_parallel_tree: '1', num_trees: '2' },
          iteration_indptr: [0, 1, 2],
          tree_info: [0, 0],
          trees: [
            {
              id: 0,
              left_children: [1, 3, -1, -1, -1],
              right_children: [2, 4, -1, -1, -1],
              parents: [2147483647, 0, 0, 1, 1],
              split_indices: [0, 1, 0, 0, 0],
              split_conditions: [0.5, 10, 0.3, -0.2, 0.1],
              split_type: [0, 0, 0, 0, 0],
              default_left: [0, 1, 0, 0, 0],
              base_weights: [0, -0.1, 0.9, -0.6, 0.3],
              loss_changes: [5, 2, 0, 0, 0],
              sum_hessian: [100, 60, 40, 40, 20],
              categories: [],
              categories_nodes: [],
              categories_segments: [],
              categories_sizes: [],
              tree_param: { num_deleted: '0', num_feature: '2', num_nodes: '5', size_leaf_vector: '1' },
            },
            {
              id: 1,
              // Node 3 was pruned: it stays in the arrays but is not reachable.
              left_children: [1, -1, -1, -1],
              right_children: [2, -1, -1, -1],
              parents: [2147483647, 0, 0, 2],
              split_indices: [1, 0, 0, 4294967295],
              split_conditions: [3.5, -0.05, 0.15, 0],
              split_type: [0, 0, 0, 0],
              default_left: [true, false, false, false],
              base_weights: [0, 0, 0, 0],
              loss_changes: [1, 0, 0, 0],
              sum_hessian: [100, 70, 30, 0],
              categories: [],
              categories_nodes: [],
              categories_segments: [],
              categories_sizes: [],
              tree_param: { num_deleted: '1', num_feature: '2', num_nodes: '4', size_leaf_vector: '1' },
            },
          ],
        },
      },
      learner_model_param: {
        base_score: baseScore,
        boost_from_average: '1',
        num_class: '0',
        num_feature: '2',
        num_target: '1',
      },
      objective: { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } },
      ...extra,
    },
    version: [2, 0, 3],
  };
}

const f = Math.fround;
const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));
const cases: [number[], number][] = [
  [[0.2, 5], f(-0.2) + f(0.15)],
  [[0.2, 12], f(0.1) + f(0.15)],
  [[0.2, 1], f(-0.2) + f(-0.05)],
  [[NaN, NaN], f(0.3) + f(-0.05)],
  [[0.5, 3.5], f(0.3) + f(0.15)],
  [[0.1, NaN], f(-0.2) + f(-0.05)],
];

describe('importXgboostDump', () => {
  it('scores like XGBoost: x < split_condition goes yes, missing follows the missing branch', () => {
    const m = importXgboostDump(dump);
    expect(m.features).toBe(2);
    expect(m.trees).toBe(2);
    for (const [row, margin] of cases) {
      expect(m.score(row)).toBeCloseTo(margin, 12);
      expect(m.predict(row)).toBeCloseTo(sigmoid(margin), 12);
    }
  });

  it('accepts parsed trees, the whole dump as one string, feature names and a base score', () => {
    const parsed = dump.map((t) => JSON.parse(t) as unknown);
    const named = JSON.stringify(parsed).replaceAll('"f0"', '"amount"').replaceAll('"f1"', '"age"');
    const m = importXgboostDump(named, { featureNames: ['amount', 'age'], baseScore: 0.2 });
    expect(m.featureNames).toEqual(['amount', 'age']);
    expect(m.score([0.2, 5])).toBeCloseTo(Math.log(0.25) + f(-0.2) + f(0.15), 12);
    const raw = importXgboostDump(parsed, { objective: 'binary:logitraw' });
    expect(raw.predict([0.2, 5])).toBeCloseTo(f(-0.2) + f(0.15), 12);
  });

  it('compares in float32 as XGBoost does', () => {
    const t = {
      nodeid: 0,
      split: 'f0',
      split_condition: 0.1,
      yes: 1,
      no: 2,
      missing: 1,
      children: [
        { nodeid: 1, leaf: -1 },
        { nodeid: 2, leaf: 1 },
      ],
    };
    const m = importXgboostDump([t], { objective: 'reg:squarederror', baseScore: 0 });
    // 0.1 (float64) < 0.1 (float64), but not in float32.
    expect(m.predict([0.1])).toBe(1);
    expect(m.predict([0.09])).toBe(-1);
  });

  it('explains with TreeSHAP when covers were dumped, and says so when not', () => {
    const m = importXgboostDump(dump);
    expect(m.hasCovers).toBe(true);
    for (const [row] of cases) {
      const phi = m.contributions(row);
      expect(phi.reduce((a, b) => a + b, 0)).toBeCloseTo(m.score(row), 12);
    }
    const bare = importXgboostDump(dump.map((t) => t.replace(/,"cover":\d+/g, '')));
    expect(bare.hasCovers).toBe(false);
    expect(bare.score([0.2, 5])).toBeCloseTo(cases[0]![1], 12);
    expect(() => bare.contributions([0.2, 5])).toThrow(/node covers/);
  });

  it('rejects malformed dumps with clear messages', () => {
    expect(() => importXgboostDump('not json')).toThrow(/bad XGBoost dump: not valid JSON/);
    expect(() => importXgboostDump({})).toThrow(/list of trees/);
    expect(() => importXgboostDump([])).toThrow(/no trees/);
    expect(() => importXgboostDump([dump[0]!.replace('"f1"', '"colour"')])).toThrow(
      /unknown feature "colour"/,
    );
    expect(() => importXgboostDump([dump[0]!.replace('"yes":3', '"yes":9')])).toThrow(/bad yes\/no/);
    expect(() =>
      importXgboostDump([dump[0]!.replace('"split_condition":10', '"split_condition":[1,2]')]),
    ).toThrow(/categorical/);
    expect(() => importXgboostDump(dump, { features: 1 })).toThrow(/feature 1/);
    expect(() => importXgboostDump(dump, { baseScore: 1.5 })).toThrow(/base_score/);
  });
});

describe('importXgboostModel', () => {
  it('reads save_model JSON and agrees with the dump of the same model', () => {
    const m = importXgboostModel(JSON.stringify(savedModel()));
    const d = importXgboostDump(dump);
    expect(m.featureNames).toEqual(['amount', 'age']);
    expect(m.objective).toBe('binary:logistic');
    expect(m.baseScore).toBe(0.5);
    for (const [row, margin] of cases) {
      expect(m.score(row)).toBeCloseTo(margin, 12);
      expect(m.score(row)).toBe(d.score(row));
      expect(Array.from(m.contributions(row))).toEqual(Array.from(d.contributions(row)));
    }
  });

  it('reads the XGBoost 1.x base_score form and limits iterations', () => {
    const m = importXgboostModel(savedModel('2E-1'), { iterations: 1 });
    expect(m.trees).toBe(1);
    expect(m.score([0.2, 5])).toBeCloseTo(Math.log(0.25) + f(-0.2), 12);
  });

  it('applies dart tree weights', () => {
    const base = savedModel();
    const dart = {
      ...base,
      learner: {
        ...base.learner,
        gradient_booster: { name: 'dart', gbtree: base.learner.gradient_booster, weight_drop: [0.5, 2] },
      },
    };
    expect(importXgboostModel(dart).score([0.2, 5])).toBeCloseTo(0.5 * f(-0.2) + 2 * f(0.15), 12);
  });

  it('rejects what it cannot import', () => {
    expect(() => importXgboostModel({ trees: [] })).toThrow(/no "learner" object/);
    const multi = savedModel();
    multi.learner.learner_model_param.num_class = '3';
    expect(() => importXgboostModel(multi)).toThrow(/multi-class/);
    expect(() => importXgboostModel(savedModel('[5E-1]', { objective: { name: 'rank:pairwise' } }))).toThrow(
      /unsupported objective "rank:pairwise"/,
    );
    const cat = savedModel();
    cat.learner.gradient_booster.model.trees[0]!.split_type = [1, 0, 0, 0, 0];
    expect(() => importXgboostModel(cat)).toThrow(/categorical/);
    const cyc = savedModel();
    cyc.learner.gradient_booster.model.trees[0]!.left_children = [1, 0, -1, -1, -1];
    expect(() => importXgboostModel(cyc)).toThrow(/twice/);
    const far = savedModel();
    far.learner.gradient_booster.model.trees[0]!.split_indices = [7, 1, 0, 0, 0];
    expect(() => importXgboostModel(far)).toThrow(/feature 7 of 2/);
    const short = savedModel();
    short.learner.gradient_booster.model.trees[1]!.split_conditions = [3.5];
    expect(() => importXgboostModel(short)).toThrow(/split_conditions is not a list of 4 numbers/);
  });
});
