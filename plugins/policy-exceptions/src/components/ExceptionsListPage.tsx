import { Content, EmptyState, LinkButton, Page, Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { policyExceptionExportPermission, policyExceptionReviewPermission } from '@internal/plugin-policy-exceptions-common';
import { useSearchParams } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { useState } from 'react';
import { policyExceptionsApiRef } from '../api/apis';
import { newExceptionRouteRef } from '../routes';
import { ExceptionsHeader, ExceptionsTab, describeError } from './common';
import { ExceptionsTable } from './ExceptionsTable';
import { saveFile } from './saveFile';

type View = 'mine' | 'queue' | 'expiring' | 'all';

const TITLES: Record<View, { title: string; empty: string; what: string }> = {
  mine: { title: 'My exceptions', what: 'Exceptions you requested or own', empty: 'You have not requested or been named owner of any exception.' },
  queue: { title: 'Reviewer queue', what: 'Waiting for a security reviewer: new requests, revisions, suspended exceptions and due re-reviews (not your own)', empty: 'Nothing waits for your review.' },
  expiring: { title: 'Expiring within 14 days', what: 'Approved exceptions that end in the next 14 days; their findings open again then', empty: 'No exception ends in the next 14 days.' },
  all: { title: 'All exceptions', what: 'The exception register', empty: 'No exception has been requested yet.' },
};

/** /policy-exceptions?view=mine|queue|expiring|all */
export function ExceptionsListPage() {
  const api = useApi(policyExceptionsApiRef);
  const create = useRouteRef(newExceptionRouteRef);
  const reviewer = usePermission({ permission: policyExceptionReviewPermission });
  const exporter = usePermission({ permission: policyExceptionExportPermission });
  const [params] = useSearchParams();
  const raw = params.get('view');
  const view: View = raw === 'queue' || raw === 'expiring' || raw === 'all' ? raw : 'mine';
  const state = useAsyncRetry(() => api.listExceptions({ view }), [api, view]);
  const [exportError, setExportError] = useState<string>();

  const download = async (format: 'json' | 'oscal-poam' | 'oscal-ar') => {
    setExportError(undefined);
    try {
      const doc = format === 'json' ? await api.exportActive() : await api.exportOscal(format);
      saveFile(
        `policy-exceptions-${format}-${new Date().toISOString().slice(0, 10)}.json`,
        JSON.stringify(doc, null, 2),
        'application/json',
      );
    } catch (e) {
      setExportError(describeError(e));
    }
  };

  const t = TITLES[view];
  return (
    <Page themeId="tool">
      <ExceptionsHeader title="Exceptions" subtitle={t.what} tab={view as ExceptionsTab} reviewer={reviewer.allowed} />
      <Content>
        {exporter.allowed && (
          <Box mb={2} display="flex" style={{ gap: 8 }}>
            <Button variant="outlined" size="small" onClick={() => download('json')} data-testid="export-json">Export active (JSON)</Button>
            <Button variant="outlined" size="small" onClick={() => download('oscal-poam')}>OSCAL POA&amp;M</Button>
            <Button variant="outlined" size="small" onClick={() => download('oscal-ar')}>OSCAL assessment results</Button>
          </Box>
        )}
        {exportError && <Alert severity="error">{exportError}</Alert>}
        {state.loading && <Progress />}
        {state.error && (
          <Box>
            <ResponseErrorPanel error={state.error} />
            <Button onClick={state.retry}>Retry</Button>
          </Box>
        )}
        {state.value && state.value.items.length === 0 && (
          <EmptyState
            missing="data"
            title={t.empty}
            description="An exception lets a finding stay open for a while, only with compensating controls, a security reviewer's approval and an end date."
            action={<LinkButton to={create?.() ?? '#'} variant="contained" color="primary">Request an exception</LinkButton>}
          />
        )}
        {state.value && state.value.items.length > 0 && <ExceptionsTable items={state.value.items} title={t.title} />}
      </Content>
    </Page>
  );
}
