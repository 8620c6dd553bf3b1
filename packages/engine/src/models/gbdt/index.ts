export * from './binning.js';
export * from './gbdt.js';
export * from './tree-ensemble.js';
export * from './tree-grower.js';
