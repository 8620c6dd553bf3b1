export * from './evaluation-report.js';
export * from './report-curves.js';
export * from './report-svg.js';
