export type { Capability, ConformanceCase, ConformanceContext } from './context.js';
export type {
  CaseGroup,
  ConformancePlan,
  ConformanceSuite,
  ConformanceTiming,
  PlannedCase,
} from './conformance-suite.js';
export {
  CAPABILITIES,
  CASE_GROUPS,
  REQUIRED_CAPABILITIES,
  capabilitySet,
  conformanceCases,
  conformancePlan,
  conformanceSuite,
} from './conformance-suite.js';
export { within } from './case-helpers.js';
