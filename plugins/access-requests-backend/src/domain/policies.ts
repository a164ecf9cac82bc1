import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import yaml from 'js-yaml';
import { InputError } from '@backstage/errors';
import {
  AccessPolicy,
  FrozenPolicy,
  FrozenPolicySummary,
  accessPolicySchema,
  describeZodError,
} from '@internal/plugin-access-requests-common';

export interface LoadedPolicy {
  policy: AccessPolicy;
  digest: string;
  file: string;
}

/** Parses and validates one policy YAML document. Throws InputError naming the field. */
export function parsePolicy(text: string, source: string): AccessPolicy {
  let raw: unknown;
  try {
    raw = yaml.load(text);
  } catch (e) {
    throw new InputError(`${source}: not valid YAML: ${(e as Error).message}`);
  }
  const parsed = accessPolicySchema.safeParse(raw);
  if (!parsed.success) {
    throw new InputError(`${source}: invalid access policy: ${describeZodError(parsed.error)}`);
  }
  return parsed.data as AccessPolicy;
}

/**
 * Reads every *.yaml / *.yml in a directory. Invalid files are reported and NOT served
 * (a resource pointing at them is not requestable), so one bad file cannot weaken a rule.
 */
export async function loadPolicyDirectory(dir: string): Promise<{
  policies: Map<string, LoadedPolicy>;
  errors: Array<{ file: string; message: string }>;
}> {
  const policies = new Map<string, LoadedPolicy>();
  const errors: Array<{ file: string; message: string }> = [];
  let files: string[];
  try {
    files = (await fs.readdir(dir)).filter(f => /\.ya?ml$/.test(f)).sort();
  } catch (e) {
    errors.push({ file: dir, message: `cannot read policy directory: ${(e as Error).message}` });
    return { policies, errors };
  }
  for (const file of files) {
    const full = path.join(dir, file);
    const text = await fs.readFile(full, 'utf8');
    try {
      const policy = parsePolicy(text, file);
      if (policies.has(policy.name)) {
        errors.push({ file, message: `duplicate policy name ${policy.name} (also in ${policies.get(policy.name)!.file})` });
        policies.delete(policy.name); // ambiguous: serve neither
        continue;
      }
      policies.set(policy.name, {
        policy,
        file,
        digest: crypto.createHash('sha256').update(text).digest('hex'),
      });
    } catch (e) {
      errors.push({ file, message: (e as Error).message });
    }
  }
  return { policies, errors };
}

/**
 * Freezes the policy into a request: a deep copy, the requested role id, the time, and
 * `owner` approval steps resolved to the resource's owner group. Later edits to the policy
 * file never change an existing request.
 */
export function freezePolicy(options: {
  policy: AccessPolicy;
  roleId: string;
  ownerRef?: string;
  now: Date;
  digest?: string;
}): FrozenPolicy {
  const { policy, roleId, ownerRef, now } = options;
  if (!policy.roles.some(r => r.id === roleId)) {
    throw new InputError(`roleId: policy ${policy.name} has no role '${roleId}' (roles: ${policy.roles.map(r => r.id).join(', ')})`);
  }
  const copy: AccessPolicy = JSON.parse(JSON.stringify(policy));
  for (const role of copy.roles) {
    role.approvals = role.approvals.map(step => {
      if (step.group !== 'owner') return step;
      if (!ownerRef || !ownerRef.startsWith('group:')) {
        throw new InputError(
          `policy ${policy.name} needs approval from the resource owner, but the owner '${ownerRef ?? '(none)'}' is not a group`,
        );
      }
      return { ...step, group: ownerRef };
    });
  }
  return { ...copy, roleId, frozenAt: now.toISOString(), digest: options.digest };
}

export function summarizePolicy(policy: AccessPolicy): FrozenPolicySummary {
  return {
    name: policy.name,
    kind: policy.kind,
    title: policy.title,
    maxDurationMinutes: policy.maxDurationMinutes,
    requireJustification: policy.requireJustification,
    requireTicket: policy.requireTicket,
    allowBreakGlass: policy.allowBreakGlass !== false,
    decisionTimeoutMinutes: policy.decisionTimeoutMinutes ?? 1440,
    roles: policy.roles.map(r => ({
      id: r.id,
      title: r.title,
      description: r.description,
      allows: r.allows,
      privilege: r.privilege,
      approvals: r.approvals,
      selfService: r.selfService,
    })),
  };
}
