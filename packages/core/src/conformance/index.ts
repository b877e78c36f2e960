export type { ConformanceCase, ConformanceContext } from './context.js';
export { conformanceCases } from './cases.js';
