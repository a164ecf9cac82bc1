import { screen } from '@testing-library/react';
import { mockApis } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { renderWith } from '../__testUtils__/render';
import { AlertPage } from './AlertPage';
import { HomeAlertsCard } from './HomeAlertsCard';

// Someone who may read alerts but neither triage nor revoke (decisions are cached per file).
const readOnly = mockApis.permission({
  authorize: req => (['detections.alert.read', 'detections.event.read'].includes(req.permission.name) ? AuthorizeResult.ALLOW : AuthorizeResult.DENY),
});

describe('read without triage', () => {
  it('shows the alert and offers no action', async () => {
    const api = await renderWith(<AlertPage />, { path: '/detections/alerts/:id', at: '/detections/alerts/a1', permission: readOnly });
    expect(await screen.findByTestId('alert-summary')).toBeInTheDocument();
    expect(await screen.findByTestId('read-only')).toHaveTextContent('triage is for security reviewers');
    for (const a of ['acknowledge', 'assign', 'note', 'close', 'revoke', 'reopen']) {
      expect(screen.queryByTestId(`action-${a}`)).toBeNull();
    }
    expect(api.getAlert).toHaveBeenCalledWith('a1');
  }, 30_000);

  it('the home card counts the open alerts for a reader', async () => {
    await renderWith(<HomeAlertsCard />, { path: '/', at: '/', permission: readOnly });
    expect(await screen.findByTestId('home-detections-total')).toHaveTextContent('open alert');
  }, 30_000);
});
