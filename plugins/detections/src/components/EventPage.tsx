import { ReactNode } from 'react';
import { CodeSnippet, Content, InfoCard, LinkButton, Page, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Grid, Typography } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { useParams } from 'react-router-dom';
import { detectionsApiRef, detectionsEventReadPermission, StoredEvent } from '../api';
import { rootRouteRef } from '../routes';
import {
  DetectionsHeader,
  FieldList,
  ForbiddenPanel,
  formatAbsolute,
  formatBytes,
  LoadFailure,
  SOURCE_LABEL,
} from './common';
import { detailValue, humanKey } from './AlertPage';

const OUTCOME: Record<StoredEvent['outcome'], string> = { success: 'Succeeded', failure: 'Failed', unknown: 'Unknown' };

/** The normalised fields of an event as label/value rows (empty ones left out). */
export function eventFields(e: StoredEvent): Array<{ group: string; rows: Array<[string, string]> }> {
  const rows = (obj: object | undefined): Array<[string, string]> =>
    Object.entries(obj ?? {})
      .filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => [humanKey(k), detailValue(k, v)]);
  const groups: Array<{ group: string; rows: Array<[string, string]> }> = [
    {
      group: 'Event',
      rows: [
        ['Time', formatAbsolute(e.time)],
        ['Source', SOURCE_LABEL[e.source] ?? e.source],
        ['Class', `${e.className} (OCSF ${e.classUid})`],
        ['Activity', e.activity],
        ['Result', OUTCOME[e.outcome] ?? e.outcome],
        ...(e.statusCode ? [['Status', [e.statusCode, e.statusDetail].filter(Boolean).join(': ')] as [string, string]] : []),
        ...(e.bytes !== undefined ? [['Bytes', formatBytes(e.bytes)] as [string, string]] : []),
        ...(e.sourceId ? [['Id in the source', e.sourceId] as [string, string]] : []),
      ],
    },
    { group: 'Actor', rows: rows(e.actor) },
    { group: 'From', rows: rows(e.src) },
    { group: 'To', rows: rows(e.dst) },
    { group: 'Resource', rows: rows(e.resource) },
    { group: 'Authentication', rows: rows(e.auth) },
  ];
  return groups.filter(g => g.rows.length > 0);
}

function EventView(props: { id: string }) {
  const api = useApi(detectionsApiRef);
  const root = useRouteRef(rootRouteRef);
  const event = useAsyncRetry(() => api.getEvent(props.id), [api, props.id]);
  let body: ReactNode = null;
  if (event.loading) body = <Progress />;
  else if (event.error) {
    body = <LoadFailure what="event" error={event.error} retry={event.retry} />;
  } else if (event.value) {
    const e = event.value;
    body = (
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <LinkButton to={root?.() ?? '/'} variant="text">← Detections</LinkButton>
        </Grid>
        <Grid item xs={12} md={5}>
          <InfoCard title="Normalised fields">
            <Box data-testid="event-fields">
              {eventFields(e).map(g => (
                <Box key={g.group} mb={2}>
                  <Typography variant="subtitle2" gutterBottom>{g.group}</Typography>
                  <FieldList rows={g.rows} />
                </Box>
              ))}
            </Box>
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={7}>
          <InfoCard title="Original record" subheader="As the source exported it">
            <Box data-testid="event-original">
              <CodeSnippet language="json" text={JSON.stringify(e.raw ?? null, null, 2)} showCopyCodeButton />
            </Box>
          </InfoCard>
        </Grid>
      </Grid>
    );
  }
  const title = event.value ? `${event.value.activity} (${SOURCE_LABEL[event.value.source] ?? event.value.source})` : 'Event';
  return (
    <>
      <DetectionsHeader title={title} subtitle={event.value ? formatAbsolute(event.value.time) : undefined} />
      <Content>{body}</Content>
    </>
  );
}

/** /detections/events/:id */
export function EventPage() {
  const { id = '' } = useParams();
  const allowed = usePermission({ permission: detectionsEventReadPermission });
  if (allowed.allowed) return <Page themeId="tool"><EventView id={id} /></Page>;
  return (
    <Page themeId="tool">
      <DetectionsHeader title="Event" />
      <Content>{allowed.loading ? <Progress /> : <ForbiddenPanel />}</Content>
    </Page>
  );
}
