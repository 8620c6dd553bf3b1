export * from './live-features.js';
export * from './live-model-hook.js';
export * from './model-package.js';
export * from './sequence-package.js';
