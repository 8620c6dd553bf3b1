export * from './xgboost-import.js';
