import { screen, waitFor } from '@testing-library/react';
import { mockApis } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { fakeApi } from '../__testUtils__/fakeApi';
import { renderWith } from '../__testUtils__/render';
import { AlertPage } from './AlertPage';
import { DashboardPage } from './DashboardPage';
import { EntityDetectionsContent } from './EntityDetectionsContent';
import { EventPage } from './EventPage';
import { HomeAlertsCard } from './HomeAlertsCard';

// A researcher: every detections permission refused (decisions are cached per file).
const asked: string[] = [];
const denyAll = mockApis.permission({
  authorize: req => {
    asked.push(req.permission.name);
    return AuthorizeResult.DENY;
  },
});

describe('without the detections permissions', () => {
  it('the dashboard says who may see it and asks nothing of the backend', async () => {
    const api = await renderWith(<DashboardPage />, { path: '/detections', at: '/detections', permission: denyAll });
    expect(await screen.findByTestId('forbidden')).toHaveTextContent('Only security reviewers and platform admins see detections');
    expect(asked).toContain('detections.event.read');
    expect(api.getDashboard).not.toHaveBeenCalled();
    expect(api.listAlerts).not.toHaveBeenCalled();
  }, 30_000);

  it('an alert page is refused without loading the alert', async () => {
    const api = await renderWith(<AlertPage />, { path: '/detections/alerts/:id', at: '/detections/alerts/a1', permission: denyAll });
    expect(await screen.findByTestId('forbidden')).toBeInTheDocument();
    expect(api.getAlert).not.toHaveBeenCalled();
    expect(screen.queryByTestId('alert-actions')).toBeNull();
  }, 30_000);

  it('an event page is refused without loading the event', async () => {
    const api = await renderWith(<EventPage />, { path: '/detections/events/:id', at: '/detections/events/e1', permission: denyAll });
    expect(await screen.findByTestId('forbidden')).toBeInTheDocument();
    expect(api.getEvent).not.toHaveBeenCalled();
  }, 30_000);

  it('the entity tab says who may see alerts', async () => {
    const user = { apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'erin', namespace: 'default' }, spec: {} };
    const api = await renderWith(<EntityProvider entity={user}><EntityDetectionsContent /></EntityProvider>, { path: '/', at: '/', permission: denyAll });
    expect(await screen.findByTestId('forbidden')).toHaveTextContent('visible to the security team');
    expect(api.listAlerts).not.toHaveBeenCalled();
  }, 30_000);

  it('the home card renders nothing', async () => {
    const api = fakeApi();
    await renderWith(
      <>
        <div data-testid="marker">home</div>
        <HomeAlertsCard />
      </>,
      { path: '/', at: '/', permission: denyAll, api },
    );
    await screen.findByTestId('marker');
    // the decision (cached for the file) is a refusal
    await waitFor(() => expect(asked).toContain('detections.event.read'));
    expect(screen.queryByTestId('home-detections')).toBeNull();
    expect(api.listAlerts).not.toHaveBeenCalled();
  }, 30_000);
});
