import { useMemo, useState } from 'react';
import { Content, ContentHeader, EmptyState, Header, Page, ResponseErrorPanel, Table, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button, FormControl, InputLabel, MenuItem, Select, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { weightInventoryRefreshPermission, WeightStore } from '@internal/plugin-weight-inventory-common';
import { weightInventoryApiRef } from '../api';
import { formatBytes, formatTime } from './format';
import { PostureChip } from './PostureChip';
import { exceptedSuffix, useExceptedCounts } from './exceptedCounts';

const SIZE_FILTERS: Record<string, [number, number]> = {
  any: [0, Infinity],
  empty: [0, 1],
  small: [1, 100 * 1024 ** 3],
  large: [100 * 1024 ** 3, Infinity],
};

function Filter(props: { label: string; value: string; options: [string, string][]; onChange: (v: string) => void }) {
  return (
    <FormControl variant="outlined" size="small" style={{ minWidth: 170, marginRight: 12 }}>
      <InputLabel>{props.label}</InputLabel>
      <Select label={props.label} value={props.value} onChange={e => props.onChange(String(e.target.value))} inputProps={{ 'aria-label': props.label }}>
        {props.options.map(([v, t]) => (
          <MenuItem key={v} value={v}>
            {t}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}

/** The inventory: every store and cluster with its posture, failing first. */
export function InventoryPage() {
  const api = useApi(weightInventoryApiRef);
  const { allowed: mayRefresh } = usePermission({ permission: weightInventoryRefreshPermission });
  const state = useAsyncRetry(() => api.listStores(), [api]);
  // Failing findings an active policy exception covers (same answer as the Posture tab).
  const excepted = useExceptedCounts([state.value]);
  const [kind, setKind] = useState('all');
  const [posture, setPosture] = useState('all');
  const [scope, setScope] = useState('all');
  const [size, setSize] = useState('any');
  const [refreshing, setRefreshing] = useState(false);
  const [refreshError, setRefreshError] = useState<Error>();
  const stores = state.value?.items ?? [];
  const scopes = useMemo(() => {
    const set = new Set<string>();
    for (const s of stores) set.add(s.kind === 'kubernetes-cluster' ? `cluster:${s.name}` : `subscription:${s.subscriptionId ?? 'unknown'}`);
    return [...set].sort();
  }, [stores]);
  const shown = stores.filter(s => {
    if (kind !== 'all' && s.kind !== kind) return false;
    if (posture !== 'all' && s.posture !== posture) return false;
    if (scope !== 'all' && scope !== (s.kind === 'kubernetes-cluster' ? `cluster:${s.name}` : `subscription:${s.subscriptionId ?? 'unknown'}`)) return false;
    const [min, max] = SIZE_FILTERS[size];
    return s.weights.bytes >= min && s.weights.bytes < max;
  });
  const anyDemo = stores.some(s => s.demo);

  const refresh = async () => {
    setRefreshing(true);
    setRefreshError(undefined);
    try {
      await api.refresh();
      state.retry();
    } catch (e) {
      setRefreshError(e as Error);
    } finally {
      setRefreshing(false);
    }
  };

  const columns: TableColumn<WeightStore>[] = [
    { title: 'Store', field: 'name', highlight: true, render: s => <EntityRefLink entityRef={s.entityRef} title={s.name} /> },
    { title: 'Kind', field: 'kind', render: s => (s.kind === 'kubernetes-cluster' ? 'Kubernetes cluster' : 'Storage account') },
    { title: 'Posture', field: 'posture', render: s => <PostureChip posture={s.posture} /> },
    {
      title: 'Failing checks',
      customSort: (a, b) => ['critical', 'high', 'medium', 'low'].reduce((acc, k) => acc || (b.failing as any)[k] - (a.failing as any)[k], 0),
      render: s => (
        <span data-testid={`failing-${s.id}`}>
          {s.failing.critical} critical · {s.failing.high} high · {s.failing.medium} medium · {s.failing.low} low{exceptedSuffix(excepted?.byStore[s.id])}
        </span>
      ),
    },
    { title: 'Subscription / cluster', render: s => (s.kind === 'kubernetes-cluster' ? s.name : `${s.subscriptionId ?? '—'} / ${s.resourceGroup ?? '—'}`) },
    { title: 'Weights', customSort: (a, b) => a.weights.bytes - b.weights.bytes, render: s => `${s.weights.files} files · ${formatBytes(s.weights.bytes)}` },
    { title: 'Last refresh', field: 'lastRefreshAt', render: s => (s.lastError ? <span title={s.lastError}>{formatTime(s.lastRefreshAt)} (incomplete)</span> : formatTime(s.lastRefreshAt)) },
  ];

  return (
    <Page themeId="tool">
      <Header title="Inventory" subtitle="Where model weights live and how each store and research cluster is configured" />
      <Content>
        <ContentHeader title="Stores and clusters">
          {mayRefresh && (
            <Button variant="contained" color="primary" onClick={refresh} disabled={refreshing}>
              {refreshing ? 'Refreshing…' : 'Refresh now'}
            </Button>
          )}
        </ContentHeader>
        {anyDemo && (
          <Alert severity="info" style={{ marginBottom: 16 }} data-testid="demo-banner">
            Demo data: stores marked demo are made up for this demonstration portal, not read from Azure or a cluster.
          </Alert>
        )}
        {refreshError && <ResponseErrorPanel error={refreshError} />}
        {state.error && <ResponseErrorPanel error={state.error} />}
        <Box mb={2} display="flex" flexWrap="wrap">
          <Filter label="Kind" value={kind} onChange={setKind} options={[['all', 'All kinds'], ['storage-account', 'Storage accounts'], ['kubernetes-cluster', 'Clusters']]} />
          <Filter label="Posture" value={posture} onChange={setPosture} options={[['all', 'Any posture'], ['failing', 'Failing'], ['passing', 'Passing'], ['unknown', 'Unknown']]} />
          <Filter label="Subscription / cluster" value={scope} onChange={setScope} options={[['all', 'All'], ...scopes.map(s => [s, s.replace(/^(subscription|cluster):/, '')] as [string, string])]} />
          <Filter label="Size" value={size} onChange={setSize} options={[['any', 'Any size'], ['empty', 'No weights'], ['small', 'Under 100 GB'], ['large', '100 GB or more']]} />
        </Box>
        {state.value && stores.length === 0 ? (
          <EmptyState
            missing="data"
            title="No stores yet"
            description="The inventory has not found any storage account or cluster. Configure weightInventory.azure.subscriptions or weightInventory.kubernetes.clusters, then refresh."
          />
        ) : (
          <Table<WeightStore>
            title={`Stores (${shown.length})`}
            isLoading={state.loading && !state.value}
            options={{ paging: true, pageSize: 20, search: true, padding: 'dense' }}
            columns={columns}
            data={shown}
            emptyContent={<Typography style={{ padding: 16 }}>No store matches these filters.</Typography>}
          />
        )}
      </Content>
    </Page>
  );
}
