import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AccessProvisioner,
  ProvisioningTarget,
  ProvisionResult,
} from '@internal/plugin-access-requests-node';

/**
 * A provisioner with no external effect: it only logs. The grant record kept
 * by the access-requests backend is the whole of the access (demo resources,
 * or systems that read grants from the portal's API).
 */
export class RecordOnlyProvisioner implements AccessProvisioner {
  readonly type = 'record-only';

  constructor(private readonly logger: LoggerService) {}

  async provision(target: ProvisioningTarget): Promise<ProvisionResult> {
    this.logger.info(
      `record-only: grant ${target.grantId} gives ${target.userRef} role '${target.role.id}' on ${target.resource.entityRef} until ${target.expiresAt}`,
    );
    return {
      externalId: `record-only:${target.grantId}`,
      details: { recordOnly: true },
    };
  }

  async deprovision(target: ProvisioningTarget): Promise<void> {
    this.logger.info(
      `record-only: grant ${target.grantId} of role '${target.role.id}' on ${target.resource.entityRef} for ${target.userRef} removed`,
    );
  }
}
