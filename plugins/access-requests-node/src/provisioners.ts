import { createExtensionPoint } from '@backstage/backend-plugin-api';

/**
 * What a provisioner is asked to grant or take away: one user, one role, on one
 * catalog resource, for one time window.
 *
 * @public
 */
export interface ProvisioningTarget {
  /** Id of the grant in the access-requests store; stable across retries. */
  grantId: string;
  /** The request that produced the grant (absent for break-glass grants). */
  requestId?: string;
  /** Entity ref of the user receiving access, e.g. `user:default/alice`. */
  userRef: string;
  /** The requestable catalog entity. */
  resource: {
    entityRef: string;
    kind: string;
    type?: string;
    /** The entity's annotations (e.g. `frontier-guard.io/azure-scope`). */
    annotations: Record<string, string>;
  };
  /** The role from the frozen access policy. */
  role: {
    id: string;
    title: string;
    allows: string[];
    /** 1 = narrowest; higher = broader. */
    privilege: number;
    /** Provisioner selection and its settings, from the policy YAML. */
    provisioner?: { type: string; [k: string]: unknown };
  };
  /** ISO 8601 timestamps. */
  startsAt: string;
  expiresAt: string;
}

/**
 * What a provisioner reports after granting access.
 *
 * @public
 */
export interface ProvisionResult {
  /** Identifier of the external object (RoleBinding name, role assignment id, ...). */
  externalId?: string;
  details?: Record<string, unknown>;
}

/**
 * Grants and removes access in an external system.
 *
 * Both methods must be idempotent: the backend retries them after failures and
 * restarts, so "already exists" and "already gone" are successes. A thrown error
 * marks the grant's provisioning as failed (visible, retryable), never active.
 *
 * @public
 */
export interface AccessProvisioner {
  /** Matches `role.provisioner.type`; `record-only` is the default. */
  type: string;
  provision(target: ProvisioningTarget): Promise<ProvisionResult>;
  deprovision(
    target: ProvisioningTarget & { externalId?: string },
  ): Promise<void>;
}

/**
 * Lets backend modules contribute provisioners to the access-requests plugin.
 *
 * @public
 */
export interface AccessProvisionersExtensionPoint {
  addProvisioner(...provisioners: AccessProvisioner[]): void;
}

/**
 * Extension point id `access-requests.provisioners`.
 *
 * @public
 */
export const accessProvisionersExtensionPoint =
  createExtensionPoint<AccessProvisionersExtensionPoint>({
    id: 'access-requests.provisioners',
  });
