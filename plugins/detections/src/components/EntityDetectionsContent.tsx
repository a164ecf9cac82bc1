import { useState } from 'react';
import { EmptyState, LinkButton, Progress } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { EntityDisplayName, useEntity } from '@backstage/plugin-catalog-react';
import { Box, Typography } from '@material-ui/core';
import { rootRouteRef } from '../routes';
import { AlertFilters, AlertsTable, DEFAULT_FILTERS } from './AlertsTable';
import { ForbiddenPanel, useMayReadAlerts } from './common';

/** Entity tab "Detections": the alerts about this person or resource. */
export function EntityDetectionsContent() {
  const { entity } = useEntity();
  const allowed = useMayReadAlerts();
  const root = useRouteRef(rootRouteRef);
  const [filters, setFilters] = useState<AlertFilters>(DEFAULT_FILTERS);
  if (allowed.loading) return <Progress />;
  if (!allowed.allowed) {
    return <ForbiddenPanel description="Alerts about this entity are visible to the security team. Ask them if you need to know about one." />;
  }
  const entityRef = stringifyEntityRef(entity);
  const isUser = entity.kind.toLocaleLowerCase('en-US') === 'user';
  const filtered = filters.status.join() !== DEFAULT_FILTERS.status.join() || filters.severity.length > 0 || !!filters.q;
  return (
    <Box data-testid="entity-detections">
      <Typography variant="body2" color="textSecondary" paragraph>
        {isUser ? 'Alerts where this person is the principal' : 'Alerts about activity on this resource'}, newest activity first.
        The whole picture is on the <LinkButton to={root?.() ?? '/'} variant="text" size="small">detections dashboard</LinkButton>.
      </Typography>
      <AlertsTable
        title={isUser ? 'Alerts about this person' : 'Alerts about this resource'}
        entityRef={entityRef}
        filters={filters}
        onFiltersChange={setFilters}
        emptyContent={
          filtered ? undefined : (
            <Box data-testid="entity-detections-empty">
              <EmptyState
                missing="data"
                title={<>No open alerts about <EntityDisplayName entityRef={entityRef} hideIcon /></> as any}
                description="Nothing the detection rules flagged is waiting for review. Closed alerts are under the status filter “Closed”."
              />
            </Box>
          )
        }
      />
    </Box>
  );
}
