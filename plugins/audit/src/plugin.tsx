import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import HistoryIcon from '@material-ui/icons/History';
import { AuditClient } from '@internal/plugin-audit-common';
import { auditApiRef } from './api';

export const rootRouteRef = createRouteRef();

/** api:audit */
export const auditApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: auditApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new AuditClient({ discoveryApi, fetchApi }),
    }),
});

/** page:audit — /audit; also the nav item "Audit trail" (the page's title). */
export const auditPage = PageBlueprint.make({
  params: {
    path: '/audit',
    title: 'Audit trail',
    icon: <HistoryIcon />,
    routeRef: rootRouteRef,
    noHeader: true,
    loader: () => import('./components/AuditPage').then(m => <m.AuditPage />),
  },
});

/** entity-content:audit/audit — the "Audit" tab of resources, models and components. */
export const entityAuditContent = EntityContentBlueprint.make({
  name: 'audit',
  params: {
    path: '/audit',
    title: 'Audit',
    filter: (entity: Entity) => ['resource', 'component'].includes(entity.kind.toLowerCase()),
    loader: () => import('./components/EntityAuditContent').then(m => <m.EntityAuditContent />),
  },
});

export const auditPlugin = createFrontendPlugin({
  pluginId: 'audit',
  title: 'Audit trail',
  icon: <HistoryIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: { root: rootRouteRef },
  extensions: [auditApi, auditPage, entityAuditContent],
});
