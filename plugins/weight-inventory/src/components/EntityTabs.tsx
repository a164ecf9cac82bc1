import { useState } from 'react';
import { EmptyState, InfoCard, Progress, ResponseErrorPanel, Table, TableColumn } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import { Box, Button, Grid, Typography } from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import type { FindingHistoryEntry, PostureFinding, WeightFile } from '@internal/plugin-weight-inventory-common';
import type { Grant } from '@internal/plugin-access-requests-common';
import { describeCoverage, IsExceptedResult } from '@internal/plugin-policy-exceptions-common';
import { weightInventoryApiRef, weightInventoryLinkedApiRef } from '../api';
import { blobUrl, formatBytes, formatTime } from './format';
import { ExceptedChip, PostureChip, SeverityChip, StatusChip } from './PostureChip';

function NotInInventory() {
  return (
    <EmptyState
      missing="data"
      title="Not in the weight inventory yet"
      description="This entity has no inventory result. The inventory refreshes on a schedule; a security reviewer or platform admin can refresh it now from the Inventory page."
    />
  );
}

function isNotFound(e: unknown) {
  return (e as any)?.response?.status === 404 || (e as any)?.statusCode === 404 || /404|NotFound/.test(String((e as any)?.name ?? ''));
}

function History(props: { storeId: string; findingKey: string }) {
  const api = useApi(weightInventoryApiRef);
  const state = useAsync(() => api.getFindingHistory(props.storeId, props.findingKey), [api, props.storeId, props.findingKey]);
  if (state.loading) return <Progress />;
  if (state.error) return <ResponseErrorPanel error={state.error} />;
  const items: FindingHistoryEntry[] = state.value?.items ?? [];
  return (
    <Box pl={2} pb={1} data-testid="finding-history">
      {items.map(h => (
        <Typography key={`${h.refreshId}-${h.at}`} variant="body2">
          {formatTime(h.at)}: {h.status} — {h.message}
        </Typography>
      ))}
    </Box>
  );
}

type CoveredFinding = PostureFinding & { coverage?: IsExceptedResult };

/**
 * Asks policy-exceptions' one answer (`isExceptedMany`) for every failing finding, with the
 * inventory's own `entityRef` and `findingKey` (the keys the exception request form offers, as
 * it picks from the inventory's open findings). `coverageError` when the answer is unavailable:
 * the findings then stay failing (never shown as passing or excepted on a guess).
 */
async function withCoverage(
  linked: { policyExceptions: { isExceptedMany(q: Array<{ controlId: string; entityRef: string; findingKey?: string }>): Promise<IsExceptedResult[]> } },
  findings: PostureFinding[],
): Promise<{ rows: CoveredFinding[]; coverageError?: string }> {
  const failing = findings.filter(f => f.status === 'fail');
  if (failing.length === 0) return { rows: findings };
  try {
    const answers = await linked.policyExceptions.isExceptedMany(
      failing.map(f => ({ controlId: f.controlId, entityRef: f.entityRef, findingKey: f.findingKey })),
    );
    const byKey = new Map(failing.map((f, i) => [f.findingKey, answers[i]]));
    return { rows: findings.map(f => (f.status === 'fail' && byKey.get(f.findingKey) ? { ...f, coverage: byKey.get(f.findingKey) } : f)) };
  } catch (e) {
    return { rows: findings, coverageError: (e as Error)?.message ?? String(e) };
  }
}

/**
 * Entity tab "Posture": every check with status, evidence path, remediation, last change and
 * history. A failing check covered by an active policy exception reads "excepted until …, by …"
 * (still failing, never passing); when the exception ends it is open again on the next read.
 */
export function EntityPostureContent() {
  const { entity } = useEntity();
  const api = useApi(weightInventoryApiRef);
  const linked = useApi(weightInventoryLinkedApiRef);
  const entityRef = stringifyEntityRef(entity);
  const state = useAsync(async () => {
    const posture = await api.getEntityPosture(entityRef);
    return { ...posture, ...(await withCoverage(linked, posture.findings)) };
  }, [api, linked, entityRef]);
  const [open, setOpen] = useState<string>();
  if (state.loading) return <Progress />;
  if (state.error) return isNotFound(state.error) ? <NotInInventory /> : <ResponseErrorPanel error={state.error} />;
  const { store, rows, coverageError } = state.value!;
  const excepted = rows.filter(f => f.coverage?.excepted).length;
  const columns: TableColumn<CoveredFinding>[] = [
    {
      title: 'Status',
      field: 'status',
      render: f =>
        f.coverage?.excepted ? (
          <span data-testid={`finding-status-${f.findingKey}`}>
            <StatusChip status={f.status} /> <ExceptedChip />
            <br />
            <Typography variant="caption" data-testid="finding-coverage">{describeCoverage(f.coverage)}</Typography>
          </span>
        ) : (
          <span data-testid={`finding-status-${f.findingKey}`}><StatusChip status={f.status} />{f.status === 'fail' && !coverageError ? <Typography variant="caption" display="block">open</Typography> : null}</span>
        ),
    },
    { title: 'Severity', field: 'severity', render: f => <SeverityChip severity={f.severity} /> },
    { title: 'Check', field: 'title', render: f => <span title={f.rationale}><strong>{f.controlId}</strong><br />{f.title}</span> },
    { title: 'Subject', field: 'subjectKey' },
    { title: 'Evidence', field: 'path', render: f => <span><code data-testid="evidence-path">{f.path}</code><br />{f.message}</span> },
    { title: 'Remediation', field: 'remediation', render: f => (f.status === 'fail' ? <span data-testid="remediation">{f.remediation}</span> : '—') },
    {
      title: 'Last change',
      field: 'lastChangedAt',
      render: f => (
        <span>
          {formatTime(f.lastChangedAt)}
          <br />
          <Button size="small" onClick={() => setOpen(open === f.findingKey ? undefined : f.findingKey)}>{open === f.findingKey ? 'Hide history' : 'History'}</Button>
          {open === f.findingKey && <History storeId={store.id} findingKey={f.findingKey} />}
        </span>
      ),
    },
  ];
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <InfoCard title="Posture">
          <Box display="flex" alignItems="center" style={{ gap: 12 }}>
            <PostureChip posture={store.posture} />
            <Typography variant="body2">
              {store.failing.critical} critical, {store.failing.high} high, {store.failing.medium} medium, {store.failing.low} low failing{excepted > 0 ? ` (${excepted} excepted)` : ''} · {store.passing} passing · evaluated {formatTime(store.lastRefreshAt)}
              {store.demo ? ' · demo data' : ''}
            </Typography>
          </Box>
          {store.lastError && <Typography color="error" variant="body2">The last refresh could not read everything: {store.lastError}</Typography>}
          {coverageError && (
            <Typography color="error" variant="body2" data-testid="coverage-error">
              Policy exceptions could not be read ({coverageError}): failing checks are shown without their exceptions.
            </Typography>
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12} data-testid="posture-findings">
        <Table<CoveredFinding> title="Checks" options={{ paging: true, pageSize: 25, search: true, padding: 'dense' }} columns={columns} data={rows} />
      </Grid>
    </Grid>
  );
}

/** Entity tab "Access": who holds a grant to this store now and until when (access-requests API). */
export function EntityAccessContent() {
  const { entity } = useEntity();
  const linked = useApi(weightInventoryLinkedApiRef);
  const resourceRef = stringifyEntityRef(entity);
  const state = useAsync(async () => {
    try {
      return { scope: 'all' as const, items: (await linked.accessRequests.listGrants({ scope: 'all', resourceRef })).items };
    } catch (e) {
      // only reviewers and admins see everyone's grants; others see their own
      if ((e as any)?.response?.status !== 403) throw e;
      return { scope: 'mine' as const, items: (await linked.accessRequests.listGrants({ scope: 'mine', resourceRef })).items };
    }
  }, [linked, resourceRef]);
  if (state.loading) return <Progress />;
  if (state.error) return <ResponseErrorPanel error={state.error} />;
  const active = state.value!.items.filter(g => g.active ?? g.status === 'active');
  const columns: TableColumn<Grant>[] = [
    { title: 'Who', field: 'userRef', render: g => <EntityRefLink entityRef={g.userRef} /> },
    { title: 'Role', field: 'roleId' },
    { title: 'Since', field: 'startsAt', render: g => formatTime(g.startsAt) },
    { title: 'Until', field: 'expiresAt', render: g => <span data-testid="grant-until">{formatTime(g.expiresAt)}</span> },
    { title: 'Kind', render: g => (g.breakGlass ? 'break-glass' : 'approved request') },
  ];
  return (
    <Box data-testid="access-grants">
      {state.value!.scope === 'mine' && <Typography variant="body2" style={{ marginBottom: 8 }}>You see your own grants; security reviewers see everyone's.</Typography>}
      {active.length === 0 ? (
        <EmptyState missing="data" title="No active grant" description="Nobody holds access to this store right now. Access is requested from the Access page and needs the approvals its policy names." />
      ) : (
        <Table<Grant> title={`Active grants (${active.length})`} options={{ paging: true, pageSize: 20, search: false, padding: 'dense' }} columns={columns} data={active} />
      )}
    </Box>
  );
}

interface FileRow extends WeightFile {
  verdict?: string;
}

/** Entity tab "Weights": files, sizes and the latest scan verdict of each (model-scan API). */
export function EntityWeightsContent() {
  const { entity } = useEntity();
  const api = useApi(weightInventoryApiRef);
  const linked = useApi(weightInventoryLinkedApiRef);
  const entityRef = stringifyEntityRef(entity);
  const state = useAsync(async () => {
    const { store } = await api.getEntityPosture(entityRef);
    const { items, total } = await api.listWeights(store.id, { limit: 100 });
    const rows: FileRow[] = await Promise.all(
      items.map(async f => {
        if (store.kind !== 'storage-account') return f;
        try {
          const scans = await linked.modelScan.listScans({ target: blobUrl(store.name, f.container, f.path), limit: 1 });
          return { ...f, verdict: scans.items[0]?.verdict ?? 'not scanned' };
        } catch {
          return { ...f, verdict: 'unavailable' };
        }
      }),
    );
    return { rows, total };
  }, [api, linked, entityRef]);
  if (state.loading) return <Progress />;
  if (state.error) return isNotFound(state.error) ? <NotInInventory /> : <ResponseErrorPanel error={state.error} />;
  const columns: TableColumn<FileRow>[] = [
    { title: 'Container / volume', field: 'container' },
    { title: 'Path', field: 'path' },
    { title: 'Format', field: 'format', render: f => `${f.format}${f.detectedBy === 'magic' ? ' (by content)' : ''}` },
    { title: 'Size', field: 'bytes', render: f => formatBytes(f.bytes) },
    { title: 'Last change', field: 'lastModified', render: f => formatTime(f.lastModified) },
    { title: 'Latest scan', field: 'verdict', render: f => f.verdict ?? '—' },
  ];
  const { rows, total } = state.value!;
  if (rows.length === 0) return <EmptyState missing="data" title="No weight files found" description="No blob or volume of this store looks like model weights (by extension or file header)." />;
  return <Table<FileRow> title={`Weight files (${total}${total > rows.length ? `, largest ${rows.length} shown` : ''})`} options={{ paging: true, pageSize: 20, search: true, padding: 'dense' }} columns={columns} data={rows} />;
}
