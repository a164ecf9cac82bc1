/**
 * What a role's `allows` entries ("pods:get", "blob:read", "*") mean, in words a researcher reads
 * ("Read and list pods"). The exact values stay with each phrase (`permissions`) so the page can
 * show them on hover. Unknown nouns and verbs still read as words ("models:promote" → "Promote
 * models"), so a policy with new verbs never shows a blank or a raw key.
 */

/** Nouns as people say them (the rest: dashes and underscores become spaces). */
const NOUNS: Record<string, string> = {
  blob: 'files',
  blobs: 'files',
  container: 'containers',
  configmaps: 'config maps',
  secrets: 'secrets',
  pvc: 'volumes',
  persistentvolumeclaims: 'volumes',
  statefulsets: 'stateful sets',
  daemonsets: 'daemon sets',
  replicasets: 'replica sets',
  cronjobs: 'cron jobs',
  networkpolicies: 'network policies',
  serviceaccounts: 'service accounts',
  rolebindings: 'role bindings',
};

/** Verbs that read "<Verb> <things>": one phrase may join several of them ("Read and list pods"). */
const SIMPLE_VERBS: Record<string, string> = {
  get: 'read',
  read: 'read',
  view: 'read',
  list: 'list',
  watch: 'watch',
  create: 'create',
  write: 'change',
  update: 'change',
  patch: 'change',
  edit: 'change',
  delete: 'delete',
  deletecollection: 'delete',
};

/** Verbs with their own sentence shape. */
const SPECIAL_VERBS: Record<string, (noun: string) => string> = {
  log: noun => `read ${singular(noun)} logs`,
  logs: noun => `read ${singular(noun)} logs`,
  exec: noun => `run commands in ${noun}`,
  attach: noun => `attach to ${noun}`,
  'port-forward': noun => `forward ports to ${noun}`,
  portforward: noun => `forward ports to ${noun}`,
  transition: noun => `move ${noun} between stages`,
  admin: noun => `administer ${noun}`,
  '*': noun => `full control of ${noun}`,
};

function singular(noun: string): string {
  if (noun === 'files') return 'file';
  return noun.endsWith('s') && !noun.endsWith('ss') ? noun.slice(0, -1) : noun;
}

function words(raw: string): string {
  return raw.replace(/[-_.]+/g, ' ').replace(/\s+/g, ' ').trim().toLocaleLowerCase('en-US');
}

function nounOf(raw: string): string {
  const key = raw.trim().toLocaleLowerCase('en-US');
  return NOUNS[key] ?? (words(raw) || 'resources');
}

function capitalise(s: string): string {
  return s ? s.charAt(0).toLocaleUpperCase('en-US') + s.slice(1) : s;
}

function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** One phrase of what a role allows, with the exact policy values it stands for. */
export interface AllowedAction {
  /** e.g. "Read and list pods" */
  text: string;
  /** e.g. ["pods:get", "pods:list"] */
  permissions: string[];
}

/**
 * A role's `allows` as phrases: verbs on the same thing are joined ("Read and list pods"), in
 * the order the policy names them; "*" alone is "Full control".
 */
export function describeAllows(allows: readonly string[]): AllowedAction[] {
  const out: AllowedAction[] = [];
  const grouped = new Map<string, { verbs: string[]; permissions: string[]; index: number }>();
  for (const raw of allows) {
    const value = raw.trim();
    if (!value) continue;
    if (value === '*' || value === '*:*') {
      out.push({ text: 'Full control (every action on everything)', permissions: [raw] });
      continue;
    }
    const colon = value.lastIndexOf(':');
    if (colon < 0) {
      out.push({ text: capitalise(words(value)), permissions: [raw] });
      continue;
    }
    const thing = nounOf(value.slice(0, colon));
    const verbKey = value.slice(colon + 1).trim().toLocaleLowerCase('en-US');
    const simple = SIMPLE_VERBS[verbKey];
    const special = SPECIAL_VERBS[verbKey];
    if (!simple && special) {
      out.push({ text: capitalise(special(thing)), permissions: [raw] });
      continue;
    }
    const verb = simple ?? (words(verbKey) || 'use');
    const group = grouped.get(thing);
    if (group) {
      if (!group.verbs.includes(verb)) group.verbs.push(verb);
      group.permissions.push(raw);
      continue;
    }
    const entry = { verbs: [verb], permissions: [raw], index: out.length };
    grouped.set(thing, entry);
    out.push({ text: '', permissions: entry.permissions });
  }
  for (const [thing, g] of grouped) {
    out[g.index] = { text: capitalise(`${joinAnd(g.verbs)} ${thing}`), permissions: g.permissions };
  }
  return out;
}

/** The phrases as one line ("Read and list pods, list nodes"), e.g. for a menu item. */
export function describeAllowsText(allows: readonly string[]): string {
  const phrases = describeAllows(allows).map(a => a.text);
  if (!phrases.length) return 'Nothing';
  return phrases.map((p, i) => (i === 0 ? p : p.charAt(0).toLocaleLowerCase('en-US') + p.slice(1))).join(', ');
}

/** A policy kind in words, for people: "rigid" → "fixed approvers". */
export function describePolicyKind(kind: string): string {
  if (kind === 'rigid') return 'fixed approvers, no exceptions; one denial ends a request';
  if (kind === 'flexible') return 'the owning team approves; low-risk roles may be granted at once';
  return kind;
}
