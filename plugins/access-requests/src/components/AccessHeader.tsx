import { Header, HeaderTabs } from '@backstage/core-components';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  accessGrantRevokePermission,
  accessRequestReviewPermission,
} from '@internal/plugin-access-requests-common';
import { Link as RouterLink, useLocation } from 'react-router-dom';
import {
  activeRouteRef,
  inboxRouteRef,
  myAccessRouteRef,
  rootRouteRef,
} from '../routes';

/**
 * The one header of every access page: title, subtitle and the access tabs (HeaderTabs).
 * "Reviewer inbox" and "All active access" are offered only to those who may use them.
 */
export function AccessHeader(props: { title: string; subtitle?: React.ReactNode; tab?: AccessTab }) {
  return (
    <>
      <Header title={props.title} subtitle={props.subtitle} />
      <AccessTabs selected={props.tab} />
    </>
  );
}

export type AccessTab = 'find' | 'mine' | 'inbox' | 'active';

function AccessTabs(props: { selected?: AccessTab }) {
  const root = useRouteRef(rootRouteRef);
  const mine = useRouteRef(myAccessRouteRef);
  const inbox = useRouteRef(inboxRouteRef);
  const active = useRouteRef(activeRouteRef);
  const location = useLocation();
  const reviewer = usePermission({ permission: accessRequestReviewPermission });
  const revoker = usePermission({ permission: accessGrantRevokePermission });
  const tabs: { id: AccessTab; label: string; to?: string }[] = [
    { id: 'find', label: 'Request access', to: root?.() },
    { id: 'mine', label: 'My access', to: mine?.() },
    ...(reviewer.allowed ? [{ id: 'inbox' as const, label: 'Reviewer inbox', to: inbox?.() }] : []),
    ...(revoker.allowed ? [{ id: 'active' as const, label: 'All active access', to: active?.() }] : []),
  ];
  const current =
    props.selected ??
    tabs.slice().reverse().find(t => t.to && t.id !== 'find' && location.pathname.startsWith(t.to))?.id ??
    'find';
  return (
    <HeaderTabs
      selectedIndex={Math.max(0, tabs.findIndex(t => t.id === current))}
      tabs={tabs.map(t => ({
        id: t.id,
        label: t.label,
        tabProps: { component: RouterLink, to: t.to ?? '#', 'data-testid': `access-tab-${t.id}` } as any,
      }))}
    />
  );
}
