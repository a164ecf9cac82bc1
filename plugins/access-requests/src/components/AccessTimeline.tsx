import { useMemo } from 'react';
import { InfoCard, Link, Table, TableColumn } from '@backstage/core-components';
import { useApiHolder, useRouteRef } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { Box, Chip, Typography } from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { FrozenPolicySummary, Grant } from '@internal/plugin-access-requests-common';
import { grantRouteRef } from '../routes';
import { PersonName, RoleTitle } from './Names';
import { formatTime, grantDisplayState, shortRef } from './format';

export type TimelineEnd = 'active' | 'expired' | 'revoked' | 'failed' | 'scheduled' | 'provisioning';

export interface TimelineEntry {
  grant: Grant;
  /** when the access started (ms) */
  start: number;
  /** when it ended: revocation time, else expiry; for active access the planned expiry */
  end: number;
  ended: TimelineEnd;
  revokedAt?: string;
  revokedBy?: string;
  reason?: string;
}

/** The colours of the timeline bars (break-glass is always red, as its chip). */
export const TIMELINE_COLORS: Record<TimelineEnd | 'break-glass', string> = {
  active: '#2e7d32',
  expired: '#9e9e9e',
  revoked: '#ed6c02',
  failed: '#616161',
  scheduled: '#1976d2',
  provisioning: '#1976d2',
  'break-glass': '#b71c1c',
};

/**
 * Who held access when: one entry per grant, from its start to its revocation (the `revoked`
 * history entry) or expiry, oldest first. Grants that never got provisioned are marked failed.
 */
export function timelineEntries(grants: Grant[], now: Date): TimelineEntry[] {
  return grants
    .map(grant => {
      const revoked = grant.history.find(h => h.event === 'revoked');
      const start = Date.parse(grant.startsAt);
      const expiry = Date.parse(grant.expiresAt);
      const end = revoked ? Math.min(Date.parse(revoked.at), expiry) : expiry;
      const state = grantDisplayState(grant, now);
      return {
        grant,
        start,
        end: Math.max(start, end),
        ended: state,
        revokedAt: revoked?.at,
        revokedBy: revoked?.actor,
        reason: typeof revoked?.details?.reason === 'string' ? revoked.details.reason : undefined,
      };
    })
    .sort((a, b) => a.start - b.start || a.grant.id.localeCompare(b.grant.id));
}

function endText(e: TimelineEntry): string {
  switch (e.ended) {
    case 'active':
      return `holds it until ${formatTime(e.grant.expiresAt)}`;
    case 'revoked':
      return `revoked ${formatTime(e.revokedAt)}`;
    case 'expired':
      return `expired ${formatTime(e.grant.expiresAt)}`;
    case 'failed':
      return 'never set up (provisioning failed)';
    default:
      return `until ${formatTime(e.grant.expiresAt)}`;
  }
}

/** Display names of people for the chart's axis (a chart label cannot hold a component). */
function useDisplayNames(refs: string[]): Record<string, string> {
  // optional: without a catalog the refs' names are shown
  const catalog = useApiHolder().get(catalogApiRef);
  const key = [...new Set(refs)].sort().join(',');
  const state = useAsync(async () => {
    const entityRefs = key ? key.split(',') : [];
    if (!entityRefs.length || !catalog) return {};
    const { items } = await catalog.getEntitiesByRefs({ entityRefs });
    const names: Record<string, string> = {};
    items.forEach((e, i) => {
      const profile = (e?.spec as { profile?: { displayName?: string } } | undefined)?.profile;
      const name = profile?.displayName ?? e?.metadata.title;
      if (name) names[entityRefs[i]] = name;
    });
    return names;
  }, [catalog, key]);
  return state.value ?? {};
}

/**
 * The resource's access timeline (Access tab): a bar per grant from start to end, break-glass
 * in red, and the same entries as a table with how each one ended. Shows the grants the
 * resource view returns: the caller's own, or everyone's with read-all.
 */
export function AccessTimeline(props: { grants: Grant[]; policy: Pick<FrozenPolicySummary, 'roles'>; now: Date; everyone: boolean }) {
  const { grants, policy, now, everyone } = props;
  const grantLink = useRouteRef(grantRouteRef);
  const tick = Math.floor(now.getTime() / 5_000);
  // recomputed every 5 s with the current time, not on every tick of the tab's clock
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const entries = useMemo(() => timelineEntries(grants, now), [grants, tick]);
  const names = useDisplayNames(entries.map(e => e.grant.userRef));
  const roleTitle = (id: string) => policy.roles.find(r => r.id === id)?.title ?? id;
  const first = Math.min(...entries.map(e => e.start));
  const span = Math.max(...entries.map(e => e.end)) - first;
  // a grant ended within seconds still gets a visible bar (1% of the shown time)
  const minWidth = Math.max(span * 0.01, 1000);
  const data = entries.map(e => ({
    id: e.grant.id,
    label: `${names[e.grant.userRef] ?? shortRef(e.grant.userRef)} · ${roleTitle(e.grant.roleId)}${e.grant.breakGlass ? ' · BREAK-GLASS' : ''}`,
    range: [e.start, Math.max(e.end, e.start + minWidth)],
    color: e.grant.breakGlass ? TIMELINE_COLORS['break-glass'] : TIMELINE_COLORS[e.ended],
    entry: e,
  }));
  const scopeText = everyone
    ? 'Everyone who held access to this resource.'
    : 'Your own access to this resource (reviewers with read-all see everyone’s).';
  const columns: TableColumn<TimelineEntry>[] = [
    { title: 'Who', render: e => <PersonName entityRef={e.grant.userRef} /> },
    { title: 'Role', render: e => <RoleTitle roleId={e.grant.roleId} policy={policy} /> },
    { title: 'From', field: 'start', defaultSort: 'desc', render: e => formatTime(e.grant.startsAt) },
    {
      title: 'Until',
      field: 'end',
      render: e => (
        <span data-testid="timeline-end" data-grant-id={e.grant.id} data-ended={e.ended}>
          {endText(e)}
          {e.revokedBy && e.revokedBy !== e.grant.userRef ? (
            <>
              {' '}by <PersonName entityRef={e.revokedBy} />
            </>
          ) : null}
          {e.reason ? ` (“${e.reason}”)` : ''}
        </span>
      ),
    },
    {
      title: 'How',
      render: e => (
        <Box data-testid="timeline-entry" data-grant-id={e.grant.id} data-break-glass={String(e.grant.breakGlass)}>
          {e.grant.breakGlass ? (
            <Chip size="small" label="BREAK-GLASS" style={{ backgroundColor: TIMELINE_COLORS['break-glass'], color: '#fff' }} />
          ) : (
            'approved request'
          )}
          {grantLink && (
            <>
              {' · '}
              <Link to={grantLink({ id: e.grant.id })}>details</Link>
            </>
          )}
        </Box>
      ),
    },
  ];
  if (entries.length === 0) {
    return (
      <InfoCard title="Access timeline">
        <Typography variant="body2" data-testid="timeline-empty">
          {everyone ? 'Nobody has held access to this resource yet.' : 'You have not held access to this resource yet.'}{' '}
          Use “Request access” above to ask for it.
        </Typography>
      </InfoCard>
    );
  }
  const tickLabel = (ms: number) =>
    new Date(ms).toLocaleString(undefined, span > 2 * 86_400_000 ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit', month: 'short', day: 'numeric' });
  return (
    <InfoCard title="Access timeline" subheader={scopeText}>
      <Box data-testid="access-timeline" height={Math.min(420, 60 + data.length * 32)}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} layout="vertical" margin={{ left: 16, right: 24, top: 8, bottom: 8 }}>
            <CartesianGrid strokeDasharray="3 3" horizontal={false} />
            <XAxis type="number" dataKey="range" domain={['dataMin', 'dataMax']} scale="time" tickFormatter={tickLabel} />
            <YAxis type="category" dataKey="label" width={260} interval={0} />
            <Tooltip
              formatter={(_v: unknown, _n: unknown, item: any) => [endText(item.payload.entry), formatTime(item.payload.entry.grant.startsAt)]}
              labelFormatter={(label: unknown) => String(label)}
            />
            <Bar dataKey="range" isAnimationActive={false} barSize={16}>
              {data.map(d => (
                <Cell key={d.id} fill={d.color} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </Box>
      <Box mt={1}>
        <Typography variant="caption" color="textSecondary">
          Green: holds access now · grey: expired · orange: revoked · red: break-glass.
        </Typography>
      </Box>
      <Table<TimelineEntry>
        options={{ paging: entries.length > 10, pageSize: 10, search: false, padding: 'dense', toolbar: false }}
        columns={columns}
        data={entries}
      />
    </InfoCard>
  );
}
