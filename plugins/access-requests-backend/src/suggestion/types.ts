/** One (resource, role) pair the researcher could request; only these may be suggested. */
export interface SuggestionCandidate {
  resourceRef: string;
  resourceTitle: string;
  resourceDescription: string;
  roleId: string;
  roleTitle: string;
  roleDescription: string;
  allows: string[];
  /** 1 = narrowest; higher = broader. */
  privilege: number;
}

export interface RoleSuggestion {
  resourceRef: string;
  roleId: string;
  explanation: string;
  source: 'llm' | 'deterministic';
  /** Set when a model answered but its choice failed the deterministic check. */
  rejectedLlmSuggestion?: { roleId: string; reason: string };
}

export interface RoleSuggester {
  suggest(input: {
    query: string;
    candidates: SuggestionCandidate[];
  }): Promise<RoleSuggestion | undefined>;
}
