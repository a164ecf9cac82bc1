import { InputError } from '@backstage/errors';
import { AzureAccountConfig } from './config';
import { hasControlChars } from './workspace';

export type ParsedTarget =
  | { kind: 'https'; url: URL }
  | { kind: 'huggingface'; repo: string; revision: string }
  | { kind: 'mlflow' | 'databricks'; name: string; version: string }
  | {
      kind: 'azure';
      /** Account endpoint without trailing slash. */
      endpoint: string;
      account?: AzureAccountConfig;
      container: string;
      /** Blob name, or prefix when it ends with "/" or is empty. */
      blobPath: string;
    };

const HF_REPO =
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$/;
const AZURE_HOST = /^([a-z0-9]{3,24})\.blob\.core\.windows\.net$/;
const CONTAINER = /^(\$root|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9])$/;

/** Validates a Hugging Face repo id ("org/name" or a legacy "name"). */
export function parseHfRepo(repo: string): string {
  if (!HF_REPO.test(repo) || repo.includes('..')) {
    throw new InputError(
      `Invalid Hugging Face repository id ${JSON.stringify(repo)}`,
    );
  }
  return repo;
}

/** Validates a revision (branch, tag, commit sha, refs/pr/N). */
export function parseHfRevision(rev: string): string {
  if (
    !rev ||
    rev.length > 256 ||
    hasControlChars(rev, true) ||
    rev.includes('\\') ||
    rev.includes('..')
  ) {
    throw new InputError(
      `Invalid Hugging Face revision ${JSON.stringify(rev)}`,
    );
  }
  return rev;
}

function parseRegistry(
  kind: 'mlflow' | 'databricks',
  rest: string,
): ParsedTarget {
  const slash = rest.lastIndexOf('/');
  const name = slash > 0 ? decodeURIComponent(rest.slice(0, slash)) : '';
  const version = slash > 0 ? rest.slice(slash + 1) : '';
  if (
    !name ||
    name.length > 512 ||
    hasControlChars(name) ||
    !/^\d{1,10}$/.test(version)
  ) {
    throw new InputError(
      `Invalid ${kind} target: expected ${kind}://<model-name>/<version> with a numeric version`,
    );
  }
  return { kind, name, version };
}

function stripSlash(s: string) {
  return s.replace(/\/+$/, '');
}

/**
 * Parses a scan target. Local paths are refused: the backend only fetches remote
 * targets (a local path would let a user read the server's files).
 */
export function parseTarget(
  target: string,
  azureAccounts: AzureAccountConfig[],
): ParsedTarget {
  if (typeof target !== 'string' || !target.trim()) {
    throw new InputError('target must be a non-empty string');
  }
  const t = target.trim();
  if (t.startsWith('hf://')) {
    const rest = t.slice('hf://'.length);
    const at = rest.indexOf('@');
    const repo = at >= 0 ? rest.slice(0, at) : rest;
    const revision = at >= 0 ? decodeURIComponent(rest.slice(at + 1)) : 'main';
    return {
      kind: 'huggingface',
      repo: parseHfRepo(repo),
      revision: parseHfRevision(revision),
    };
  }
  if (t.startsWith('mlflow://'))
    return parseRegistry('mlflow', t.slice('mlflow://'.length));
  if (t.startsWith('databricks://')) {
    return parseRegistry('databricks', t.slice('databricks://'.length));
  }
  if (!/^https?:\/\//i.test(t)) {
    throw new InputError(
      `Unsupported target ${JSON.stringify(
        t.slice(0, 200),
      )}: expected https://…, hf://org/repo[@rev], mlflow://name/version, databricks://name/version or an Azure blob URL (local paths are not accepted by the backend)`,
    );
  }
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    throw new InputError(`Invalid URL ${JSON.stringify(t.slice(0, 200))}`);
  }
  // Configured storage accounts (e.g. Azurite http://127.0.0.1:10000/devstoreaccount1)
  const href = url.origin + decodeURIComponent(url.pathname);
  for (const account of azureAccounts) {
    const endpoint = stripSlash(account.endpoint);
    if (href === endpoint || href.startsWith(`${endpoint}/`)) {
      return azureTarget(endpoint, href.slice(endpoint.length), account);
    }
  }
  const m = url.hostname.toLowerCase().match(AZURE_HOST);
  if (m && url.protocol === 'https:' && !url.port) {
    return azureTarget(url.origin, decodeURIComponent(url.pathname), undefined);
  }
  return { kind: 'https', url };
}

function azureTarget(
  endpoint: string,
  pathPart: string,
  account: AzureAccountConfig | undefined,
): ParsedTarget {
  const rest = pathPart.replace(/^\/+/, '');
  const slash = rest.indexOf('/');
  const container = slash >= 0 ? rest.slice(0, slash) : rest;
  const blobPath = slash >= 0 ? rest.slice(slash + 1) : '';
  if (!CONTAINER.test(container)) {
    throw new InputError(
      `Invalid Azure blob URL: ${JSON.stringify(
        container,
      )} is not a container name (expected <endpoint>/<container>/<blob or prefix/>)`,
    );
  }
  return { kind: 'azure', endpoint, account, container, blobPath };
}
