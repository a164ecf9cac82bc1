import { Header, HeaderTabs, Link, Page } from '@backstage/core-components';
import { PageLayout, PageLayoutProps } from '@backstage/frontend-plugin-api';
import { SwappableComponentBlueprint } from '@backstage/plugin-app-react';
import { Link as RouterLink, useLocation } from 'react-router-dom';

/** The tab of `tabs` whose link is the longest prefix of `pathname` (0 when none matches). */
export function selectedTabIndex(tabs: Array<{ href: string }>, pathname: string): number {
  let best = -1;
  tabs.forEach((tab, i) => {
    const href = tab.href.replace(/\/+$/, '');
    const matches = pathname === href || pathname.startsWith(`${href}/`);
    if (matches && (best < 0 || href.length > tabs[best].href.replace(/\/+$/, '').length)) best = i;
  });
  return Math.max(best, 0);
}

/**
 * Where "Back to …" leads from `pathname`: the plugin's top page (its `titleLink`, else the first
 * path segment), or nothing when this is the top page already.
 */
export function backLinkTarget(pathname: string, titleLink?: string): string | undefined {
  const path = pathname.replace(/\/+$/, '') || '/';
  const top = (titleLink || `/${path.split('/')[1] ?? ''}`).replace(/\/+$/, '') || '/';
  return path !== top && path.startsWith(`${top}/`) ? top : undefined;
}

/**
 * Pages of installed plugins that leave their header to the app (notifications, settings, the
 * catalog's entity pages) get the same header as every other portal page: Backstage's `Page` +
 * `Header` in the portal's theme, the plugin's title, its sub-pages as tabs, and, below the
 * plugin's own top page, a link back to it.
 */
export function PortalPageLayout(props: PageLayoutProps) {
  const { title, noHeader, titleLink, headerActions, tabs, children } = props;
  const location = useLocation();
  if (noHeader) return <>{children}</>;
  // on one of the plugin's tabbed sub-pages the tabs are the way around; no back link there
  const onTab = (tabs ?? []).some(t => {
    const href = t.href.replace(/\/+$/, '');
    return location.pathname === href || location.pathname.startsWith(`${href}/`);
  });
  const top = onTab ? undefined : backLinkTarget(location.pathname, titleLink);
  return (
    <Page themeId="home">
      <Header
        title={title ?? ''}
        subtitle={
          top && title ? (
            <Link to={top} style={{ color: '#fff', textDecoration: 'underline' }} data-testid="page-back-link">
              ← Back to {title}
            </Link>
          ) : undefined
        }
      >
        {headerActions}
      </Header>
      {tabs && tabs.length > 0 && (
        <HeaderTabs
          selectedIndex={selectedTabIndex(tabs, location.pathname)}
          tabs={tabs.map(t => ({
            id: t.id,
            label: t.label,
            tabProps: { component: RouterLink, to: t.href } as any,
          }))}
        />
      )}
      <div style={{ gridArea: 'pageContent', minWidth: 0, paddingTop: 16 }}>{children}</div>
    </Page>
  );
}

/** component:app/core-page-layout, replacing the app's default page layout. */
export const portalPageLayout = SwappableComponentBlueprint.make({
  name: 'core-page-layout',
  params: define =>
    define({
      component: PageLayout,
      loader: () => PortalPageLayout,
    }),
});
