import { Content, EmptyState, InfoCard, LinkButton, Progress, ResponseErrorPanel, Table } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Box, Chip } from '@material-ui/core';
import { IsExceptedResult } from '@internal/plugin-policy-exceptions-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { policyExceptionsApiRef, postureFindingsApiRef } from '../api/apis';
import { newExceptionRouteRef } from '../routes';
import { ControlTitle, PersonName, formatTime } from './common';
import { ExceptionsTable } from './ExceptionsTable';

interface FindingRow {
  controlId: string;
  findingKey?: string;
  title?: string;
  message?: string;
  coverage: IsExceptedResult;
}

/** "excepted until …, by …" — never "passing" — or "open". */
export function CoverageChip(props: { coverage: IsExceptedResult }) {
  const c = props.coverage;
  if (!c.excepted) {
    return <Chip size="small" label="open" data-testid="coverage-open" style={{ backgroundColor: '#b71c1c', color: '#fff' }} />;
  }
  return (
    <Box display="flex" alignItems="center" style={{ gap: 6 }} data-testid="coverage-excepted">
      <Chip size="small" label="excepted" style={{ backgroundColor: '#ed6c02', color: '#fff' }} />
      <span>until {formatTime(c.until)}, by{' '}
        {(c.approvedBy ?? []).map((r, i) => <span key={r}>{i > 0 && ', '}<PersonName entityRef={r} /></span>)}
      </span>
    </Box>
  );
}

/**
 * The "Exceptions" tab of an entity: its findings (open failing posture findings, and the
 * findings its exceptions name) with what isExcepted says of each now, and its exceptions.
 */
export function EntityExceptionsContent() {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity).toLocaleLowerCase('en-US');
  const api = useApi(policyExceptionsApiRef);
  const posture = useApi(postureFindingsApiRef);
  const create = useRouteRef(newExceptionRouteRef);
  const state = useAsyncRetry(async () => {
    const [{ items }, open] = await Promise.all([
      api.listExceptions({ view: 'all', entityRef }),
      posture.listFindings({ entityRef, status: 'fail' }).then(r => r.items).catch(() => []),
    ]);
    const subjects = new Map<string, { controlId: string; findingKey?: string; title?: string; message?: string }>();
    for (const f of open) subjects.set(`${f.controlId} ${f.findingKey}`, { controlId: f.controlId, findingKey: f.findingKey, title: f.title, message: f.message });
    for (const e of items) {
      if (e.content.scope.findingKey) {
        const k = `${e.controlId} ${e.content.scope.findingKey}`;
        if (!subjects.has(k)) subjects.set(k, { controlId: e.controlId, findingKey: e.content.scope.findingKey });
      }
    }
    const list = [...subjects.values()];
    const coverage = list.length ? await api.isExceptedMany(list.map(s => ({ controlId: s.controlId, entityRef, findingKey: s.findingKey }))) : [];
    const rows: FindingRow[] = list.map((s, i) => ({ ...s, coverage: coverage[i] }));
    return { exceptions: items, rows };
  }, [api, posture, entityRef]);

  const requestLink = (controlId?: string, findingKey?: string) => {
    const q = new URLSearchParams({ entityRef });
    if (controlId) q.set('controlId', controlId);
    if (findingKey) q.set('findingKey', findingKey);
    return `${create?.() ?? ''}?${q.toString()}`;
  };

  if (state.loading) return <Progress />;
  if (state.error) return <ResponseErrorPanel error={state.error} />;
  const { exceptions, rows } = state.value!;
  return (
    <Content>
      <Box mb={2}>
        <LinkButton to={requestLink()} variant="contained" color="primary" data-testid="entity-request-exception">Request an exception</LinkButton>
      </Box>
      {rows.length > 0 && (
        <Box mb={3} data-testid="entity-findings">
          <Table<FindingRow>
            title="Findings and their exceptions"
            options={{ paging: rows.length > 20, pageSize: 20, search: true, padding: 'dense' }}
            data={rows}
            columns={[
              { title: 'Control', field: 'controlId', render: r => <ControlTitle controlId={r.controlId} /> },
              { title: 'Finding', field: 'findingKey', render: r => <span data-testid="entity-finding-key">{r.findingKey ?? 'all'}</span> },
              { title: 'Detail', field: 'message' },
              { title: 'Now', render: r => <CoverageChip coverage={r.coverage} /> },
              {
                title: '',
                render: r => (!r.coverage.excepted ? <LinkButton to={requestLink(r.controlId, r.findingKey)} size="small" variant="outlined">Request exception</LinkButton> : null),
              },
            ]}
          />
        </Box>
      )}
      {exceptions.length === 0 ? (
        <InfoCard title="Exceptions">
          <EmptyState missing="data" title="No exception concerns this entity"
            description="When a control cannot be met here for a while, request an exception with compensating controls; security reviewers decide." />
        </InfoCard>
      ) : (
        <ExceptionsTable items={exceptions} title="Exceptions" testId="entity-exceptions" />
      )}
    </Content>
  );
}
