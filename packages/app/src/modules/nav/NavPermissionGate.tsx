import { ReactNode } from 'react';
import { BasicPermission } from '@backstage/plugin-permission-common';
import { usePermission } from '@backstage/plugin-permission-react';
import { auditEventsReadPermission } from '@internal/plugin-audit-common';
import { detectionsNavPermission } from '@internal/plugin-detections';

/**
 * Sidebar entries that lead to a page only some people may use: the entry shows only to those
 * the backend lets in (it still refuses everyone else). Keyed by the page's extension id.
 */
export const NAV_ITEM_PERMISSIONS: Record<string, BasicPermission> = {
  'page:audit': auditEventsReadPermission,
  'page:detections': detectionsNavPermission,
};

function Gate(props: { permission: BasicPermission; children: ReactNode }) {
  const { allowed } = usePermission({ permission: props.permission });
  return allowed ? <>{props.children}</> : null;
}

/** The sidebar entry of the page `id`, or nothing when the signed-in person may not use it. */
export function NavPermissionGate(props: { id: string; children: ReactNode }) {
  const permission = NAV_ITEM_PERMISSIONS[props.id];
  return permission ? <Gate permission={permission}>{props.children}</Gate> : <>{props.children}</>;
}
