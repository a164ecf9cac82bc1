import { ExceptionSubject } from './types';

/**
 * Model files: the model-scan family's acceptances of suspicious verdicts are exceptions to the
 * model-scanning control scoped to one exact file hash. The hash is the finding; the scope's
 * entity is the model registry (one entity for every model file, since a hash is not tied to one
 * model: the same bytes are the same risk wherever they are used).
 */
export const MODEL_SCAN_CONTROL_ID = 'FG-MODEL-SCAN';
export const MODEL_FILES_ENTITY_REF = 'resource:default/model-registry';

const SHA256 = /^[0-9a-f]{64}$/;

export function modelFileFindingKey(sha256: string): string {
  return `sha256:${sha256.trim().toLowerCase()}`;
}

/** The subject to ask isExcepted about for one model file. */
export function modelFileSubject(sha256: string): ExceptionSubject {
  return { entityRef: MODEL_FILES_ENTITY_REF, findingKey: modelFileFindingKey(sha256) };
}

/** The hash of a model-file finding key, or undefined when the key is not `sha256:<64 hex>`. */
export function sha256OfFindingKey(findingKey: string | undefined): string | undefined {
  const m = /^sha256:(.*)$/.exec(findingKey ?? '');
  return m && SHA256.test(m[1]) ? m[1] : undefined;
}

/**
 * Sub-paths of the portal's exceptions pages under `/policy-exceptions`: the frontend builds its
 * route refs from them and the backend its notification links, so the links resolve.
 */
export const EXCEPTIONS_APP_BASE_PATH = '/policy-exceptions';
export const EXCEPTIONS_APP_SUB_PATHS = {
  exception: '/exceptions/:id',
  newException: '/new',
} as const;
