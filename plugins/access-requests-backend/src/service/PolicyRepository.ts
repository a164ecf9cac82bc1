import path from 'node:path';
import { LoggerService } from '@backstage/backend-plugin-api';
import { LoadedPolicy, loadPolicyDirectory } from '../domain/policies';
import { PolicySource } from './AccessRequestsService';

/** Access policies read from `accessRequests.policyDirectory`; reloaded by the scheduled task. */
export class PolicyRepository implements PolicySource {
  private policies = new Map<string, LoadedPolicy>();

  constructor(private readonly directory: string, private readonly logger: LoggerService) {}

  static async create(options: { directory: string; logger: LoggerService }) {
    const repo = new PolicyRepository(path.resolve(options.directory), options.logger);
    await repo.reload();
    return repo;
  }

  async reload(): Promise<void> {
    const { policies, errors } = await loadPolicyDirectory(this.directory);
    for (const e of errors) {
      this.logger.error(`access-requests: policy ${e.file} rejected: ${e.message}`);
    }
    this.policies = policies;
  }

  get(name: string): LoadedPolicy | undefined {
    return this.policies.get(name);
  }

  names(): string[] {
    return [...this.policies.keys()];
  }
}
