export {
  LISTS_DEFAULTS,
  ListsOptionsSchema,
  createListDetector,
  type ListsOptions,
} from './lists.detector.js';
