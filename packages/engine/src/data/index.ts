export * from './analyze-dataset.js';
export * from './card-features.js';
export * from './column-types.js';
export * from './csv.js';
export * from './data-error.js';
export * from './data-table.js';
export * from './ndjson.js';
export * from './preprocessor.js';
