import type { AccessProvisioner } from '@internal/plugin-access-requests-node';

/** The built-in provisioner: records the grant, touches no external system (demo). */
export const builtInRecordOnlyProvisioner: AccessProvisioner = {
  type: 'record-only',
  async provision(target) {
    return { externalId: `record-only:${target.grantId}`, details: { note: 'recorded only; no external system' } };
  },
  async deprovision() {},
};

export class ProvisionerRegistry {
  private readonly byType = new Map<string, AccessProvisioner>();

  /**
   * @param aliases from config accessRequests.provisionerAliases, e.g. in the embedded demo
   *   `{ azure-role-assignment: record-only }` when no Azure subscription is configured.
   *   An alias applies only when no provisioner of the original type is registered.
   */
  constructor(provisioners: AccessProvisioner[] = [], private readonly aliases: Record<string, string> = {}) {
    for (const p of provisioners) this.add(p);
    if (!this.byType.has('record-only')) this.byType.set('record-only', builtInRecordOnlyProvisioner);
  }

  add(p: AccessProvisioner) {
    if (this.byType.has(p.type)) {
      throw new Error(`access-requests: a provisioner of type '${p.type}' is already registered`);
    }
    this.byType.set(p.type, p);
  }

  get(type: string | undefined): AccessProvisioner | undefined {
    const t = type ?? 'record-only';
    return this.byType.get(t) ?? (this.aliases[t] ? this.byType.get(this.aliases[t]) : undefined);
  }

  types(): string[] {
    return [...this.byType.keys()];
  }
}
