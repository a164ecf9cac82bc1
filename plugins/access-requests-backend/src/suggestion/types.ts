import type {
  RoleSuggestion,
  SuggestionCandidate,
} from '@internal/plugin-access-requests-common';

// The wire types live in -common (shared with the frontend); re-exported here.
export type { RoleSuggestion, SuggestionCandidate };

export interface RoleSuggester {
  suggest(input: {
    query: string;
    candidates: SuggestionCandidate[];
  }): Promise<RoleSuggestion | undefined>;
}
