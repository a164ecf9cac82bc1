export type {
  RoleSuggester,
  RoleSuggestion,
  SuggestionCandidate,
} from './types';
export { createRoleSuggester, checkLlmChoice } from './suggester';
export {
  analyze,
  deterministicSuggestion,
  actionLevel,
  requestedLevels,
} from './deterministic';
