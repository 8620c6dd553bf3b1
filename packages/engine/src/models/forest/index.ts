export * from './random-forest.js';
