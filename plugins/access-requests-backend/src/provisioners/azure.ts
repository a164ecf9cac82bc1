import {
  AuthorizationManagementClient,
  AuthorizationManagementClientOptionalParams,
} from '@azure/arm-authorization';
import {
  ClientSecretCredential,
  DefaultAzureCredential,
  TokenCredential,
} from '@azure/identity';
import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AccessProvisioner,
  ProvisioningTarget,
  ProvisionResult,
} from '@internal/plugin-access-requests-node';
import { roleAssignmentNameForGrant } from './names';

export const AZURE_SCOPE_ANNOTATION = 'frontier-guard.io/azure-scope';
export const AZURE_USER_ID_ANNOTATION = 'graph.microsoft.com/user-id';

/** Finds the Entra ID object id of a Backstage user. */
export type PrincipalIdResolver = (
  userRef: string,
) => Promise<string | undefined>;

export interface AzureProvisionerOptions {
  subscriptionId: string;
  credential: TokenCredential;
  /** Default https://management.azure.com */
  resourceManagerEndpoint?: string;
  resolvePrincipalId: PrincipalIdResolver;
  logger: LoggerService;
  /** Extra options for the Azure SDK client (e.g. `tlsOptions` for a private CA, retry settings). */
  clientOptions?: AuthorizationManagementClientOptionalParams;
}

const DESCRIPTION_PREFIX = 'Frontier Guard grant ';
const STANDING_PREFIX = 'standing:';
const ASSIGNMENT_ID =
  /^(\/subscriptions\/.+)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i;

const GUID =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// /subscriptions/<guid>[/segment]* with ARM-safe characters only
const SCOPE = /^\/subscriptions\/[0-9a-fA-F-]{36}(\/[A-Za-z0-9._()-]+)*$/;

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
}

function asRestError(e: unknown): RestErrorLike {
  return typeof e === 'object' && e !== null ? (e as RestErrorLike) : {};
}

function describeError(e: unknown): string {
  const r = asRestError(e);
  const parts = [];
  if (r.statusCode) parts.push(`HTTP ${r.statusCode}`);
  if (r.code) parts.push(r.code);
  const head = parts.length ? `(${parts.join(' ')}) ` : '';
  return `${head}${r.message ?? String(e)}`;
}

/** Reads `accessRequests.provisioners.azure` and builds the credential it describes. */
export function azureCredentialFromConfig(config: Config): TokenCredential {
  const tenantId = config.getOptionalString('tenantId');
  const clientId = config.getOptionalString('clientId');
  const clientSecret = config.getOptionalString('clientSecret');
  const authorityHost = config.getOptionalString('authorityHost');
  if (clientSecret) {
    if (!tenantId || !clientId) {
      throw new Error(
        'accessRequests.provisioners.azure.clientSecret needs tenantId and clientId',
      );
    }
    return new ClientSecretCredential(tenantId, clientId, clientSecret, {
      authorityHost,
    });
  }
  return new DefaultAzureCredential({
    tenantId,
    managedIdentityClientId: clientId,
    authorityHost,
  });
}

/**
 * Grants an Azure RBAC role on the scope in the resource's
 * `frontier-guard.io/azure-scope` annotation by creating a role assignment
 * named after the grant (a name-based UUID), and deletes it on deprovision.
 *
 * Policy role settings: `{ type: 'azure-role-assignment', roleDefinitionName: 'Storage Blob Data Reader' }`
 * or `{ type: 'azure-role-assignment', roleDefinitionId: '<guid or full id>' }`,
 * optional `principalType` (default `User`).
 */
export class AzureRoleAssignmentProvisioner implements AccessProvisioner {
  readonly type = 'azure-role-assignment';
  private readonly client: AuthorizationManagementClient;
  private readonly subscriptionId: string;
  private readonly resolvePrincipalId: PrincipalIdResolver;
  private readonly logger: LoggerService;
  private readonly roleDefinitionIds = new Map<string, string>();

  constructor(options: AzureProvisionerOptions) {
    if (!GUID.test(options.subscriptionId)) {
      throw new Error(
        `accessRequests.provisioners.azure.subscriptionId '${options.subscriptionId}' is not a GUID`,
      );
    }
    this.subscriptionId = options.subscriptionId;
    const endpoint = (
      options.resourceManagerEndpoint ?? 'https://management.azure.com'
    ).replace(/\/+$/, '');
    this.client = new AuthorizationManagementClient(
      options.credential,
      options.subscriptionId,
      { ...options.clientOptions, endpoint },
    );
    this.resolvePrincipalId = options.resolvePrincipalId;
    this.logger = options.logger;
  }

  private scopeOf(target: ProvisioningTarget): string {
    const scope = target.resource.annotations[AZURE_SCOPE_ANNOTATION];
    if (!scope) {
      throw new Error(
        `${target.resource.entityRef} has no '${AZURE_SCOPE_ANNOTATION}' annotation (needed for role '${target.role.id}')`,
      );
    }
    if (!SCOPE.test(scope)) {
      throw new Error(
        `${target.resource.entityRef} annotation '${AZURE_SCOPE_ANNOTATION}' is not an Azure resource scope: '${scope}'`,
      );
    }
    return scope;
  }

  /** The SDK puts the scope after a '/', so it is passed without its leading slash. */
  private static sdkScope(scope: string): string {
    return scope.replace(/^\/+/, '');
  }

  private async roleDefinitionId(
    target: ProvisioningTarget,
    scope: string,
  ): Promise<string> {
    const p = target.role.provisioner ?? { type: this.type };
    if (typeof p.roleDefinitionId === 'string' && p.roleDefinitionId) {
      if (GUID.test(p.roleDefinitionId)) {
        return `/subscriptions/${this.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${p.roleDefinitionId}`;
      }
      return p.roleDefinitionId;
    }
    const name = p.roleDefinitionName;
    if (typeof name !== 'string' || !name) {
      throw new Error(
        `azure-role-assignment provisioner for role '${target.role.id}' needs 'roleDefinitionId' or 'roleDefinitionName'`,
      );
    }
    const cacheKey = `${scope}\n${name}`;
    const cached = this.roleDefinitionIds.get(cacheKey);
    if (cached) {
      return cached;
    }
    const filter = `roleName eq '${name.replace(/'/g, "''")}'`;
    let found: string | undefined;
    try {
      for await (const def of this.client.roleDefinitions.list(
        AzureRoleAssignmentProvisioner.sdkScope(scope),
        { filter },
      )) {
        if (def.roleName === name && def.id) {
          found = def.id;
          break;
        }
      }
    } catch (e) {
      throw new Error(
        `Looking up Azure role definition '${name}' at ${scope} failed: ${describeError(
          e,
        )}`,
      );
    }
    if (!found) {
      throw new Error(`Azure role definition '${name}' not found at ${scope}`);
    }
    this.roleDefinitionIds.set(cacheKey, found);
    return found;
  }

  async provision(target: ProvisioningTarget): Promise<ProvisionResult> {
    const scope = this.scopeOf(target);
    const principalId = await this.resolvePrincipalId(target.userRef);
    if (!principalId) {
      throw new Error(
        `No Azure principal id for ${target.userRef}: set the '${AZURE_USER_ID_ANNOTATION}' annotation on the user entity or list it in accessRequests.provisioners.azure.userPrincipals`,
      );
    }
    if (!GUID.test(principalId)) {
      throw new Error(
        `Azure principal id for ${target.userRef} is not a GUID: '${principalId}'`,
      );
    }
    const roleDefinitionId = await this.roleDefinitionId(target, scope);
    const name = roleAssignmentNameForGrant(target.grantId);
    const externalId = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    const p = target.role.provisioner ?? { type: this.type };
    const principalType =
      typeof p.principalType === 'string' ? p.principalType : 'User';
    const details: Record<string, unknown> = {
      scope,
      roleAssignmentName: name,
      roleDefinitionId,
      principalId,
    };
    try {
      await this.client.roleAssignments.create(
        AzureRoleAssignmentProvisioner.sdkScope(scope),
        name,
        {
          roleDefinitionId,
          principalId,
          principalType,
          description: `${DESCRIPTION_PREFIX}${target.grantId} for ${target.userRef} until ${target.expiresAt}`,
        },
      );
      this.logger.info(
        `Created Azure role assignment ${name} (${roleDefinitionId}) for ${target.userRef} at ${scope}`,
      );
      return { externalId, details };
    } catch (e) {
      const r = asRestError(e);
      if (r.statusCode === 409 && r.code === 'RoleAssignmentExists') {
        return this.adoptExisting(
          scope,
          principalId,
          roleDefinitionId,
          details,
        );
      }
      throw new Error(
        `Creating Azure role assignment for ${
          target.userRef
        } at ${scope} failed: ${describeError(e)}`,
      );
    }
  }

  /**
   * Azure allows one assignment per (principal, role, scope). When it exists
   * already it is either Frontier Guard's (this grant's earlier attempt, or an
   * overlapping grant of the same role: the later grant takes it over so that
   * deprovisioning the last grant removes it) or standing access someone else
   * made, which is recorded as such and never deleted.
   */
  private async adoptExisting(
    scope: string,
    principalId: string,
    roleDefinitionId: string,
    details: Record<string, unknown>,
  ): Promise<ProvisionResult> {
    let existing:
      | { id?: string; name?: string; description?: string }
      | undefined;
    try {
      for await (const a of this.client.roleAssignments.listForScope(
        AzureRoleAssignmentProvisioner.sdkScope(scope),
        { filter: `principalId eq '${principalId}'` },
      )) {
        if (
          a.scope?.toLowerCase() === scope.toLowerCase() &&
          a.roleDefinitionId?.toLowerCase() === roleDefinitionId.toLowerCase()
        ) {
          existing = a;
          break;
        }
      }
    } catch (e) {
      throw new Error(
        `Role assignment exists at ${scope} but listing it failed: ${describeError(
          e,
        )}`,
      );
    }
    if (!existing?.id) {
      throw new Error(
        `Azure reports RoleAssignmentExists at ${scope} for principal ${principalId}, but no such assignment is listed`,
      );
    }
    if (existing.description?.startsWith(DESCRIPTION_PREFIX)) {
      return {
        externalId: existing.id,
        details: {
          ...details,
          roleAssignmentName: existing.name,
          alreadyExisted: true,
        },
      };
    }
    this.logger.info(
      `Principal ${principalId} already holds ${roleDefinitionId} at ${scope} through ${existing.id} (not created by Frontier Guard; it will not be removed)`,
    );
    return {
      externalId: `${STANDING_PREFIX}${existing.id}`,
      details: {
        ...details,
        roleAssignmentName: existing.name,
        standingAccess: true,
      },
    };
  }

  async deprovision(
    target: ProvisioningTarget & { externalId?: string },
  ): Promise<void> {
    if (target.externalId?.startsWith(STANDING_PREFIX)) {
      // Access existed before this grant and was not created by it.
      return;
    }
    let scope: string;
    let name: string;
    const m = target.externalId?.match(ASSIGNMENT_ID);
    if (m) {
      [, scope, name] = m;
    } else {
      scope = this.scopeOf(target);
      name = roleAssignmentNameForGrant(target.grantId);
    }
    try {
      await this.client.roleAssignments.delete(
        AzureRoleAssignmentProvisioner.sdkScope(scope),
        name,
      );
      this.logger.info(
        `Deleted Azure role assignment ${name} at ${scope} (grant ${target.grantId})`,
      );
    } catch (e) {
      if (asRestError(e).statusCode === 404) {
        return;
      }
      throw new Error(
        `Deleting Azure role assignment ${name} at ${scope} failed: ${describeError(
          e,
        )}`,
      );
    }
  }
}
