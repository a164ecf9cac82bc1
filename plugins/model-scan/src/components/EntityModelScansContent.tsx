import { useEffect, useState } from 'react';
import {
  InfoCard,
  LinkButton,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Grid, Typography } from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import { modelScanApiRef } from '../api/ModelScanApi';
import { GateDecision } from '../api/types';
import { MODEL_SOURCE_ANNOTATION, modelSourceTargets } from './entityFilter';
import { GateDecisionView } from './GateDecisionView';
import { ScansTable } from './ScansTable';
import { newScanRouteRef } from '../routes';

function GateForTarget(props: { target: string }) {
  const api = useApi(modelScanApiRef);
  const [decision, setDecision] = useState<GateDecision>();
  const [error, setError] = useState<Error>();
  useEffect(() => {
    let cancelled = false;
    api.gate(props.target).then(
      d => !cancelled && setDecision(d),
      e => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [api, props.target]);
  if (error) return <ResponseErrorPanel error={error} />;
  if (!decision) return <Progress />;
  return <GateDecisionView decision={decision} />;
}

/** Entity tab "Model scans": scans of this entity and the gate per source. */
export function EntityModelScansContent() {
  const { entity } = useEntity();
  const api = useApi(modelScanApiRef);
  const entityRef = stringifyEntityRef(entity);
  const targets = modelSourceTargets(entity);
  const newScan = useRouteRef(newScanRouteRef);
  const scans = useAsync(
    () => api.listScans({ entityRef, limit: 100 }),
    [api, entityRef],
  );

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <InfoCard title="Promotion gate per model source">
          {targets.length === 0 && (
            <Typography variant="body2">
              This entity has no <code>{MODEL_SOURCE_ANNOTATION}</code>{' '}
              annotation, so there is no model version to gate.
            </Typography>
          )}
          {targets.map(t => (
            <GateForTarget key={t} target={t} />
          ))}
        </InfoCard>
      </Grid>
      {newScan && (
        <Grid item xs={12}>
          <LinkButton
            to={`${newScan()}?entityRef=${encodeURIComponent(entityRef)}`}
            variant="outlined"
            color="primary"
            data-testid="scan-for-entity"
          >
            Scan a file of this model
          </LinkButton>
        </Grid>
      )}
      <Grid item xs={12}>
        {scans.error ? (
          <ResponseErrorPanel error={scans.error} />
        ) : (
          <ScansTable
            title="Scans of this entity"
            isLoading={scans.loading}
            scans={scans.value?.items ?? []}
          />
        )}
      </Grid>
    </Grid>
  );
}
