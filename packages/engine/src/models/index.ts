export * from './anomaly-ensemble.js';
export * from './anomaly-model.js';
export * from './ecod.js';
export * from './isolation-forest.js';
export * from './matrix.js';
export * from './model-package.js';
