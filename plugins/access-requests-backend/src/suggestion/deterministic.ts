import { RoleSuggestion, SuggestionCandidate } from './types';

/** Kinds of action, ordered from least to most privileged. */
export type ActionLevel = 'read' | 'write' | 'admin';
const LEVEL_ORDER: ActionLevel[] = ['read', 'write', 'admin'];

const READ_VERBS = new Set([
  'read',
  'list',
  'get',
  'view',
  'watch',
  'download',
  'pull',
  'describe',
  'logs',
  'log',
  'browse',
  'query',
  'inspect',
  'export',
]);
const ADMIN_VERBS = new Set([
  '*',
  'admin',
  'manage',
  'owner',
  'own',
  'rbac',
  'grant',
  'escalate',
  'impersonate',
  'bind',
  'setpolicy',
  'set-policy',
  'full',
]);

/**
 * The level of one `allows` entry such as `blob:read` or `pods:exec`. Unknown
 * verbs count as `write`: for least privilege an unrecognised action is never
 * treated as harmless reading.
 */
export function actionLevel(allow: string): ActionLevel {
  const lower = allow.trim().toLocaleLowerCase('en-US');
  const parts = lower.split(':');
  const verb = parts[parts.length - 1];
  if (ADMIN_VERBS.has(verb) || parts[0] === '*' || lower === '*') {
    return 'admin';
  }
  if (READ_VERBS.has(verb)) {
    return 'read';
  }
  return 'write';
}

const QUERY_WORDS: Record<ActionLevel, string[]> = {
  read: [
    'read',
    'reading',
    'reads',
    'view',
    'viewing',
    'see',
    'look',
    'inspect',
    'download',
    'downloading',
    'list',
    'listing',
    'browse',
    'load',
    'loading',
    'fetch',
    'pull',
    'get',
    'access',
    'evaluate',
    'evaluation',
    'eval',
    'evals',
    'analyze',
    'analyse',
    'audit',
    'copy',
    'debug',
    'logs',
    'monitor',
    'query',
    'check',
    'inference',
    'benchmark',
  ],
  write: [
    'write',
    'writing',
    'writes',
    'upload',
    'uploading',
    'push',
    'modify',
    'update',
    'edit',
    'change',
    'create',
    'delete',
    'remove',
    'save',
    'store',
    'overwrite',
    'put',
    'publish',
    'deploy',
    'replace',
    'rotate',
    'scale',
    'restart',
    'exec',
  ],
  admin: [
    'admin',
    'administer',
    'administrator',
    'manage',
    'management',
    'owner',
    'ownership',
    'permission',
    'permissions',
    'rbac',
    'grant',
    'configure',
    'configuration',
    'settings',
    'policy',
    'policies',
    'full',
    'root',
    'superuser',
    'escalate',
  ],
};
const WORD_LEVEL = new Map<string, ActionLevel>();
for (const level of LEVEL_ORDER) {
  for (const w of QUERY_WORDS[level]) WORD_LEVEL.set(w, level);
}

const STOPWORDS = new Set([
  'a',
  'an',
  'the',
  'to',
  'of',
  'for',
  'on',
  'in',
  'and',
  'or',
  'i',
  'we',
  'my',
  'our',
  'me',
  'need',
  'needs',
  'want',
  'would',
  'like',
  'some',
  'with',
  'from',
  'into',
  'at',
  'be',
  'is',
  'are',
  'it',
  'this',
  'that',
  'can',
  'please',
  'so',
  'only',
  'just',
  'all',
  'any',
  'do',
  'data',
]);

export function tokenize(text: string): string[] {
  return (text.toLocaleLowerCase('en-US').match(/[a-z0-9]+/g) ?? []).filter(
    t => !STOPWORDS.has(t),
  );
}

/** What the researcher's text asks to do; defaults to reading when it names no action. */
export function requestedLevels(query: string): {
  levels: ActionLevel[];
  evidence: Partial<Record<ActionLevel, string[]>>;
  defaulted: boolean;
} {
  const evidence: Partial<Record<ActionLevel, string[]>> = {};
  for (const token of tokenize(query)) {
    const level = WORD_LEVEL.get(token);
    if (level) {
      const words = (evidence[level] ??= []);
      if (!words.includes(token)) words.push(token);
    }
  }
  const levels = LEVEL_ORDER.filter(l => evidence[l]);
  if (levels.length === 0) {
    return { levels: ['read'], evidence, defaulted: true };
  }
  return { levels, evidence, defaulted: false };
}

/** Levels a role grants; `admin` implies every other level. */
export function grantedLevels(allows: string[]): Set<ActionLevel> {
  const levels = new Set(allows.map(actionLevel));
  if (levels.has('admin')) {
    return new Set(LEVEL_ORDER);
  }
  return levels;
}

function overlap(queryTokens: string[], text: string): number {
  const words = new Set(tokenize(text));
  return queryTokens.filter(t => words.has(t)).length;
}

export interface ResourceAnalysis {
  resourceRef: string;
  /** The narrowest candidate covering the request (or the closest, see `covers`). */
  choice: SuggestionCandidate;
  covers: boolean;
  /** Highest privilege a suggestion for this resource may have. */
  privilegeBound: number;
  relevance: number;
}

export interface DeterministicAnalysis {
  levels: ActionLevel[];
  defaulted: boolean;
  evidence: Partial<Record<ActionLevel, string[]>>;
  resources: Map<string, ResourceAnalysis>;
  /** Resource chosen by text relevance (ties: first in candidate order). */
  bestResourceRef: string;
}

/** Ranks the candidates of each resource and chooses the most relevant resource. */
export function analyze(
  query: string,
  candidates: SuggestionCandidate[],
): DeterministicAnalysis | undefined {
  if (candidates.length === 0) {
    return undefined;
  }
  const { levels, evidence, defaulted } = requestedLevels(query);
  const queryTokens = tokenize(query).filter(t => !WORD_LEVEL.has(t));
  const byResource = new Map<string, SuggestionCandidate[]>();
  for (const c of candidates) {
    const list = byResource.get(c.resourceRef) ?? [];
    list.push(c);
    byResource.set(c.resourceRef, list);
  }

  const resources = new Map<string, ResourceAnalysis>();
  let bestResourceRef = candidates[0].resourceRef;
  let bestRelevance = -1;
  for (const [resourceRef, roles] of byResource) {
    const scored = roles.map((c, index) => {
      const granted = grantedLevels(c.allows);
      const covered = levels.filter(l => granted.has(l)).length;
      const text = overlap(
        queryTokens,
        `${c.roleId} ${c.roleTitle} ${c.roleDescription} ${c.allows.join(' ')}`,
      );
      return { c, index, covered, text };
    });
    scored.sort(
      (a, b) =>
        b.covered - a.covered || // covering the request comes first
        a.c.privilege - b.c.privilege || // then the narrowest
        b.text - a.text || // then the best textual match
        a.index - b.index,
    );
    const top = scored[0];
    const first = roles[0];
    const relevance = overlap(
      queryTokens,
      `${resourceRef.replace(/[:/]/g, ' ')} ${first.resourceTitle} ${
        first.resourceDescription
      }`,
    );
    resources.set(resourceRef, {
      resourceRef,
      choice: top.c,
      covers: top.covered === levels.length,
      privilegeBound: top.c.privilege,
      relevance,
    });
    if (relevance > bestRelevance) {
      bestRelevance = relevance;
      bestResourceRef = resourceRef;
    }
  }
  return { levels, defaulted, evidence, resources, bestResourceRef };
}

function describeLevels(a: DeterministicAnalysis): string {
  if (a.defaulted) {
    return 'Your request names no action, so read access is assumed';
  }
  const parts = a.levels.map(
    l => `${l} (${(a.evidence[l] ?? []).map(w => `"${w}"`).join(', ')})`,
  );
  return `You asked to ${parts.join(' and ')}`;
}

/** The deterministic suggestion with a human-readable reason. */
export function deterministicSuggestion(
  a: DeterministicAnalysis,
  candidates: SuggestionCandidate[],
  resourceRef: string = a.bestResourceRef,
): RoleSuggestion {
  const r = a.resources.get(resourceRef)!;
  const c = r.choice;
  const broader = candidates
    .filter(o => o.resourceRef === resourceRef && o.privilege > c.privilege)
    .map(o => `'${o.roleTitle}'`);
  let explanation = `${describeLevels(a)}. `;
  if (r.covers) {
    explanation += `'${c.roleTitle}' (allows ${c.allows.join(
      ', ',
    )}; privilege ${c.privilege}) is the narrowest role on ${
      c.resourceTitle
    } that covers it.`;
  } else {
    explanation += `No role on ${c.resourceTitle} covers all of that; '${
      c.roleTitle
    }' (allows ${c.allows.join(', ')}; privilege ${
      c.privilege
    }) is the closest and narrowest.`;
  }
  if (broader.length > 0) {
    explanation += ` Broader roles not needed: ${broader.join(', ')}.`;
  }
  return {
    resourceRef,
    roleId: c.roleId,
    explanation,
    source: 'deterministic',
  };
}
