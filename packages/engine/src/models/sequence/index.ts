export * from './gru.js';
export * from './sequence-encoder.js';
export * from './sequence-model.js';
export * from './sequence-scorer.js';
