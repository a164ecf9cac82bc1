import { InfoCard, Link } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Typography } from '@material-ui/core';
import { PolicyException, policyExceptionReviewPermission } from '@internal/plugin-policy-exceptions-common';
import useAsync from 'react-use/esm/useAsync';
import { policyExceptionsApiRef } from '../api/apis';
import { exceptionRouteRef, rootRouteRef } from '../routes';
import { ControlTitle, StatusChip, formatTime } from './common';

const DAY = 86_400_000;

/** Mine that need me: suspended, drafts, or ending within 14 days. */
export function needsOwner(e: PolicyException, now: Date): boolean {
  const s = e.effectiveStatus ?? e.status;
  if (s === 'suspended' || s === 'draft') return true;
  return (s === 'active' || s === 'approved') && Date.parse(e.content.endsAt) - now.getTime() <= 14 * DAY;
}

/**
 * Home card "Exceptions": for reviewers, what waits in their queue; for everyone, their own
 * exceptions that need them (suspended, drafts, ending within 14 days). Renders nothing when
 * nothing needs the person.
 */
export function HomeExceptionsCard() {
  const api = useApi(policyExceptionsApiRef);
  const root = useRouteRef(rootRouteRef);
  const link = useRouteRef(exceptionRouteRef);
  const reviewer = usePermission({ permission: policyExceptionReviewPermission });
  const { value } = useAsync(async () => {
    const now = new Date();
    const [mine, queue] = await Promise.all([
      api.listExceptions({ view: 'mine' }).then(r => r.items.filter(e => needsOwner(e, now))),
      reviewer.allowed ? api.listExceptions({ view: 'queue' }).then(r => r.items) : Promise.resolve([] as PolicyException[]),
    ]);
    return { mine, queue };
  }, [api, reviewer.allowed]);
  if (!value || (value.mine.length === 0 && value.queue.length === 0)) return null;
  const item = (e: PolicyException) => (
    <Box key={e.id} display="flex" alignItems="center" style={{ gap: 8 }} mb={0.5}>
      <StatusChip status={e.effectiveStatus ?? e.status} />
      <Link to={link?.({ id: e.id }) ?? '#'}><ControlTitle controlId={e.controlId} /></Link>
      <Typography variant="caption">ends {formatTime(e.content.endsAt)}</Typography>
    </Box>
  );
  return (
    <InfoCard title="Exceptions" deepLink={{ title: 'All exceptions', link: `${root?.() ?? ''}?view=${value.queue.length ? 'queue' : 'mine'}` }}>
      <div data-testid="home-exceptions">
        {value.queue.length > 0 && (
          <Box mb={1}>
            <Typography variant="subtitle2">{value.queue.length} waiting for your review</Typography>
            {value.queue.slice(0, 5).map(item)}
          </Box>
        )}
        {value.mine.length > 0 && (
          <Box>
            <Typography variant="subtitle2">Yours that need you</Typography>
            {value.mine.slice(0, 5).map(item)}
          </Box>
        )}
      </div>
    </InfoCard>
  );
}
