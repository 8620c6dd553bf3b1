export * from './card-precision.js';
export * from './psi.js';
export * from './ranking-metrics.js';
export * from './threshold-metrics.js';
export * from './report/index.js';
