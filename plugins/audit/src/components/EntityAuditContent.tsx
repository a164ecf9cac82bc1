import { EmptyState } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { auditEventsReadPermission } from '@internal/plugin-audit-common';
import { AuditEventsView } from './AuditEventsView';

/** Entity tab "Audit": the audit events that name this entity. */
export function EntityAuditContent() {
  const { entity } = useEntity();
  const allowed = usePermission({ permission: auditEventsReadPermission });
  if (allowed.loading) return null;
  if (!allowed.allowed) {
    return <EmptyState missing="info" title="Only security reviewers and platform admins read the audit trail" />;
  }
  const entityRef = stringifyEntityRef(entity);
  return <AuditEventsView fixed={{ entityRef }} title="Audit events about this entity" />;
}
