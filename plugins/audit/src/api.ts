import { createApiRef } from '@backstage/frontend-plugin-api';
import { AuditClient } from '@internal/plugin-audit-common';

/** The audit trail client (typed client of @internal/plugin-audit-common, user token via fetchApi). */
export type AuditApi = Pick<AuditClient, 'listEvents' | 'verify'>;

export const auditApiRef = createApiRef<AuditApi>({ id: 'plugin.audit.api' });
