import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { alert, ERIN, fakeApi, STORE, summary } from '../__testUtils__/fakeApi';
import { renderWith } from '../__testUtils__/render';
import { AlertPage } from './AlertPage';
import { DashboardPage, filtersFromParams } from './DashboardPage';
import { EventPage } from './EventPage';
import { EntityDetectionsContent } from './EntityDetectionsContent';
import { HomeAlertsCard } from './HomeAlertsCard';
import { isDetectionsEntity } from './entityFilter';
import { allowedActions } from './AlertActions';
import { describeError, formatBytes } from './common';
import { fillBuckets } from './charts';
import { humanKey } from './AlertPage';

// usePermission caches decisions per permission for the whole file, so this file allows
// everything; refusals are in permissions.denied.test.tsx and permissions.readonly.test.tsx.
const allowAll = mockApis.permission({ authorize: () => AuthorizeResult.ALLOW });

/**
 * renderWith inside one act scope: renderInTestApp runs the components' first effects, and
 * their fetches (resolved fakes) settle in the microtask right after its own act ends, before
 * renderWith's settling act starts. Inside this outer scope those updates are part of the
 * render, not "not wrapped in act" warnings.
 */
async function render(element: JSX.Element, path: string, at: string, api = fakeApi()) {
  await act(async () => {
    await renderWith(element, { path, at, api, permission: allowAll });
  });
  return api;
}

describe('helpers', () => {
  it('offers only the triage steps the state allows', () => {
    expect(allowedActions({ status: 'new' })).toMatchObject({ acknowledge: true, close: true, reopen: false });
    expect(allowedActions({ status: 'acknowledged' })).toMatchObject({ acknowledge: false, close: true, reopen: false });
    expect(allowedActions({ status: 'closed' })).toMatchObject({ acknowledge: false, assign: false, close: false, reopen: true, revoke: false });
  });

  it('shows the tab on users, weight stores, clusters and namespaces only', () => {
    const e = (kind: string, type?: string) => ({ apiVersion: 'v1', kind, metadata: { name: 'x' }, spec: type ? { type } : {} });
    expect(isDetectionsEntity(e('User'))).toBe(true);
    expect(isDetectionsEntity(e('Resource', 'weight-store'))).toBe(true);
    expect(isDetectionsEntity(e('Resource', 'cluster'))).toBe(true);
    expect(isDetectionsEntity(e('Resource', 'namespace'))).toBe(true);
    expect(isDetectionsEntity(e('Resource', 'registry'))).toBe(false);
    expect(isDetectionsEntity(e('Component', 'model'))).toBe(false);
    expect(isDetectionsEntity(e('Group'))).toBe(false);
  });

  it('reads queue filters from the address and ignores unknown values', () => {
    expect(filtersFromParams(new URLSearchParams('status=closed&severity=high,bogus&rule=r1'))).toEqual({ status: ['closed'], severity: ['high'], rule: 'r1', q: undefined });
    expect(filtersFromParams(new URLSearchParams(''))).toEqual({ status: ['new', 'acknowledged'], severity: [], rule: undefined, q: undefined });
  });

  it('draws the quiet hours of the range as zeros', () => {
    const filled = fillBuckets({
      from: '2026-12-07T08:30:00.000Z',
      to: '2026-12-07T12:10:00.000Z',
      alertsOverTime: [{ bucket: '2026-12-07T10:00:00.000Z', informational: 0, low: 0, medium: 1, high: 2, critical: 0 }],
    });
    expect(filled.map(b => b.bucket.slice(11, 13))).toEqual(['08', '09', '10', '11', '12']);
    expect(filled[2]).toMatchObject({ high: 2, medium: 1 });
    expect(filled[0]).toMatchObject({ high: 0, critical: 0 });
    // over a week: days
    expect(fillBuckets({ from: '2026-12-01T12:00:00.000Z', to: '2026-12-07T12:00:00.000Z', alertsOverTime: [] })).toHaveLength(7);
  });

  it('formats sizes and errors for people', () => {
    expect(humanKey('srcIp')).toBe('Src IP');
    expect(humanKey('bytes_read')).toBe('Bytes read');
    expect(formatBytes(42_000_000_000)).toBe('42 GB');
    expect(formatBytes(512)).toBe('512 bytes');
    expect(describeError(Object.assign(new Error('Request failed with 500 Internal Server Error'), {}))).toBe('The detections service could not be reached or failed; try again.');
    expect(describeError({ body: { error: { message: 'The alert is already closed.' } } })).toBe('The alert is already closed.');
    expect(describeError({ response: { status: 403 }, message: 'x' })).toMatch(/not allowed/);
  });
});

describe('DashboardPage', () => {
  it('draws totals, charts and top lists, and lists the alert queue with display names', async () => {
    const api = await render(<DashboardPage />, '/detections', '/detections');
    expect(await screen.findByTestId('total-events', undefined, { timeout: 10_000 })).toHaveTextContent('12,345');
    expect(screen.getByTestId('total-open')).toHaveTextContent('4');
    expect(screen.getByTestId('total-critical')).toHaveTextContent('1');
    for (const id of ['chart-alerts-over-time', 'chart-open-by-rule', 'chart-signins-by-country', 'chart-egress-denies', 'chart-weight-reads']) {
      expect(screen.getByTestId(id)).toBeInTheDocument();
    }
    // the last 24 hours by default, all sources
    const q = api.getDashboard.mock.calls[0][0];
    expect(Date.parse(q.to) - Date.parse(q.from)).toBe(86_400_000);
    expect(q.source).toBeUndefined();
    // top principals: the catalog person by display name, the unresolved one as logged
    const top = screen.getByTestId('top-principals');
    expect(await within(top).findByText('Erin Researcher')).toBeInTheDocument();
    expect(within(top).getByText('10.0.0.7')).toBeInTheDocument();
    // weight-store reads: the reader by display name, linked to the catalog; an unmatched one as logged
    const reads = screen.getByTestId('chart-weight-reads');
    expect((await within(reads).findByText('Erin Researcher')).closest('a')).toHaveAttribute('href', expect.stringContaining('/catalog/default/user/erin'));
    expect(within(reads).queryByText('erin@frontier-lab.example')).not.toBeInTheDocument();
    expect(within(reads).getByText('6f1c0d2e-unknown-object-id')).toBeInTheDocument();
    expect(within(reads).getAllByTestId('chart-weight-reads-row').map(r => r.textContent)).toEqual([
      expect.stringMatching(/Erin Researcher.*in 120 reads$/),
      expect.stringMatching(/6f1c0d2e-unknown-object-id.*in 1 read$/),
    ]);
    // the queue: open alerts, newest first, with people and resources by name
    expect(api.listAlerts).toHaveBeenCalledWith(expect.objectContaining({ status: ['new', 'acknowledged'], limit: 50 }));
    const queue = screen.getByTestId('alert-queue');
    expect(await within(queue).findByText('Weight store read without an active grant')).toBeInTheDocument();
    expect(await within(queue).findByText('Frontier 7B weights')).toBeInTheDocument();
    // under each display name, the name the logs use
    expect(within(queue).getAllByTestId('log-name').map(e => e.textContent)).toEqual(['erin@frontier-lab.example', 'frontierweights/frontier-7b']);
    expect(within(queue).queryByText(/user:default/)).toBeNull();
    expect(within(queue).getByText('Unassigned')).toBeInTheDocument();
  }, 30_000);

  it('changes the time range and source, and says when a chart has nothing to draw', async () => {
    const api = await render(<DashboardPage />, '/detections', '/detections', fakeApi({
      getDashboard: jest.fn().mockResolvedValue(summary({ signInsByCountry: [], egressDeniesByDestination: [] })),
    }));
    expect(await screen.findByTestId('chart-signins-by-country')).toHaveTextContent('No sign-ins in this time range.');
    fireEvent.click(screen.getByTestId('range-7d'));
    await waitFor(() => expect(api.getDashboard).toHaveBeenCalledTimes(2));
    const q = api.getDashboard.mock.calls[1][0];
    expect(Date.parse(q.to) - Date.parse(q.from)).toBe(7 * 86_400_000);
    fireEvent.mouseDown(screen.getByTestId('filter-source'));
    fireEvent.click(await screen.findByRole('option', { name: 'Azure Storage blob logs' }));
    await waitFor(() => expect(api.getDashboard).toHaveBeenLastCalledWith(expect.objectContaining({ source: ['storage_blob'] })));
  }, 30_000);

  it('loads more alerts with the cursor and filters the queue on the server', async () => {
    const listAlerts = jest.fn()
      .mockResolvedValueOnce({ items: [alert()], nextCursor: 'c1', totalCount: 2 })
      .mockResolvedValueOnce({ items: [alert({ id: 'a2', title: 'Password spray', severity: 'high' })], totalCount: 2 })
      .mockResolvedValue({ items: [], totalCount: 0 });
    const api = await render(<DashboardPage />, '/detections', '/detections', fakeApi({ listAlerts }));
    fireEvent.click(await screen.findByTestId('load-more'));
    expect(await screen.findByText('Password spray')).toBeInTheDocument();
    expect(listAlerts).toHaveBeenLastCalledWith(expect.objectContaining({ cursor: 'c1' }));
    expect(screen.getByText('Weight store read without an active grant')).toBeInTheDocument();
    expect(screen.queryByTestId('load-more')).toBeNull();
    // a search goes to the server; nothing matches → a sentence, not a blank table
    fireEvent.change(screen.getByTestId('filter-search'), { target: { value: 'spray' } });
    fireEvent.submit(screen.getByTestId('filter-search').closest('form')!);
    await waitFor(() => expect(api.listAlerts).toHaveBeenLastCalledWith(expect.objectContaining({ q: 'spray' })));
    expect(await screen.findByTestId('queue-empty')).toHaveTextContent('No alert matches these filters');
  }, 30_000);

  it('a failing dashboard offers a retry, without a stack trace', async () => {
    const getDashboard = jest.fn().mockRejectedValueOnce(new Error('Request failed with 500 Internal Server Error')).mockResolvedValue(summary());
    await render(<DashboardPage />, '/detections', '/detections', fakeApi({ getDashboard }));
    const err = await screen.findByTestId('dashboard-error');
    expect(err).toHaveTextContent('The charts could not be loaded');
    expect(err).not.toHaveTextContent('500');
    fireEvent.click(within(err).getByText('Retry'));
    expect(await screen.findByTestId('total-events')).toHaveTextContent('12,345');
  }, 30_000);
});

describe('AlertPage', () => {
  const page = (api = fakeApi()) => render(<AlertPage />, '/detections/alerts/:id', '/detections/alerts/a1', api);

  it('says what happened in sentences, with the events, history and rule', async () => {
    const api = await page();
    const summaryBox = await screen.findByTestId('alert-summary');
    expect(summaryBox).toHaveTextContent('fired 3 times for');
    expect(await within(summaryBox).findByText('Erin Researcher')).toBeInTheDocument();
    // display names link to the entities; the names the logs use follow as secondary text
    expect(within(summaryBox).getByText('Erin Researcher').closest('a')).toHaveAttribute('href', expect.stringContaining('/user/erin'));
    expect(summaryBox).toHaveTextContent('Erin Researcher(erin@frontier-lab.example) on Frontier 7B weights(frontierweights/frontier-7b)');
    expect(summaryBox).toHaveTextContent('over 38 min');
    expect(summaryBox).toHaveTextContent('Reads of a weight store by a principal with no active grant on it.');
    expect(within(summaryBox).getByTestId('alert-details')).toHaveTextContent('Bytes read42 GB');
    expect(summaryBox).not.toHaveTextContent('user:default');
    expect(await screen.findByText('GetBlob')).toBeInTheDocument();
    // the actor's e-mail may wrap only after its separators, not letter by letter
    const events = screen.getByTestId('alert-events');
    const actor = within(events).getByText('erin@', { exact: false }).closest('td')!;
    expect(actor).toHaveTextContent('erin@frontier-lab.example');
    expect(actor.querySelectorAll('wbr')).toHaveLength(3);
    // the result under the activity
    expect(within(events).getByText('GetBlob').closest('td')).toHaveTextContent('GetBlobsucceeded');
    expect(screen.getByTestId('history-opened')).toHaveTextContent('Detections (automatic) opened the alert');
    expect(api.listAlertEvents).toHaveBeenCalledWith('a1', { limit: 50 });
  }, 30_000);

  it('acknowledges, then closes only with a reason and a comment', async () => {
    const api = await page();
    fireEvent.click(await screen.findByTestId('action-acknowledge'));
    fireEvent.change(await screen.findByTestId('acknowledge-comment'), { target: { value: 'Looking at it' } });
    fireEvent.click(screen.getByTestId('acknowledge-dialog-confirm'));
    await waitFor(() => expect(api.acknowledge).toHaveBeenCalledWith('a1', 'Looking at it'));
    expect(await screen.findByTestId('action-result')).toHaveTextContent('Acknowledged');
    expect(screen.queryByTestId('action-acknowledge')).toBeNull();
    expect(screen.getByTestId('status-acknowledged')).toBeInTheDocument();

    fireEvent.click(screen.getByTestId('action-close'));
    const dialog = await screen.findByTestId('close-dialog');
    fireEvent.click(within(dialog).getByTestId('close-dialog-confirm'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Choose what the alert turned out to be.');
    fireEvent.click(within(dialog).getByTestId('close-reason-true_positive'));
    fireEvent.click(within(dialog).getByTestId('close-dialog-confirm'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Say what you found');
    expect(api.close).not.toHaveBeenCalled();
    fireEvent.change(within(dialog).getByTestId('close-comment'), { target: { value: 'Bulk copy confirmed with Erin; access revoked.' } });
    fireEvent.click(within(dialog).getByTestId('close-dialog-confirm'));
    await waitFor(() => expect(api.close).toHaveBeenCalledWith('a1', 'true_positive', 'Bulk copy confirmed with Erin; access revoked.'));
    expect(await screen.findByTestId('action-result')).toHaveTextContent('Closed as true positive');
    expect(screen.getByTestId('action-reopen')).toBeInTheDocument();
    expect(screen.queryByTestId('action-close')).toBeNull();
    expect(screen.getByTestId('history-closed')).toHaveTextContent('Bob Reviewer closed it as true positive“Bulk copy confirmed with Erin; access revoked.”');
  }, 30_000);

  it('a refused transition shows the server sentence in the dialog', async () => {
    const close = jest.fn().mockRejectedValue({ name: 'ConflictError', response: { status: 409 }, body: { error: { message: 'The alert is already closed.' } } });
    await page(fakeApi({ close }));
    fireEvent.click(await screen.findByTestId('action-close'));
    const dialog = await screen.findByTestId('close-dialog');
    fireEvent.click(within(dialog).getByTestId('close-reason-false_positive'));
    fireEvent.change(within(dialog).getByTestId('close-comment'), { target: { value: 'x' } });
    fireEvent.click(within(dialog).getByTestId('close-dialog-confirm'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The alert is already closed.');
  }, 30_000);

  it('revokes the listed grants with a required reason and says what happened', async () => {
    const api = await page();
    fireEvent.click(await screen.findByTestId('action-revoke'));
    const dialog = await screen.findByTestId('revoke-dialog');
    const list = await within(dialog).findByTestId('revoke-grants');
    expect(await within(list).findByText('Erin Researcher')).toBeInTheDocument();
    expect(within(list).getByText('Frontier 7B weights')).toBeInTheDocument();
    fireEvent.click(within(dialog).getByTestId('revoke-dialog-confirm'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Give a reason');
    expect(api.revokeGrants).not.toHaveBeenCalled();
    fireEvent.change(within(dialog).getByTestId('revoke-reason'), { target: { value: 'Read weights without approval' } });
    fireEvent.click(within(dialog).getByTestId('revoke-dialog-confirm'));
    await waitFor(() => expect(api.revokeGrants).toHaveBeenCalledWith('a1', 'Read weights without approval'));
    expect(await screen.findByTestId('revoke-result')).toHaveTextContent('Revoked 1 grant: Erin Researcher on Frontier 7B weights');
    expect(screen.getByTestId('history-grants-revoked')).toHaveTextContent('Bob Reviewer revoked 1 grant“Read weights without approval”');
    expect(screen.getByTestId('history-grants-revoked')).not.toHaveTextContent('g1');
  }, 30_000);

  it('with no active grant, says there is nothing to revoke and offers no confirm', async () => {
    await page(fakeApi({ listAlertGrants: jest.fn().mockResolvedValue([]) }));
    fireEvent.click(await screen.findByTestId('action-revoke'));
    const dialog = await screen.findByTestId('revoke-dialog');
    expect(await within(dialog).findByTestId('no-grants')).toHaveTextContent('nothing to revoke');
    expect(within(dialog).getByTestId('revoke-dialog-confirm')).toBeDisabled();
  }, 30_000);

  it('assigns to a person picked by name', async () => {
    const api = await page();
    fireEvent.click(await screen.findByTestId('action-assign'));
    const input = await screen.findByTestId('assignee-input');
    fireEvent.mouseDown(input);
    fireEvent.change(input, { target: { value: 'Erin' } });
    fireEvent.click(await screen.findByRole('option', { name: 'Erin Researcher' }));
    fireEvent.click(screen.getByTestId('assign-dialog-confirm'));
    await waitFor(() => expect(api.assign).toHaveBeenCalledWith('a1', ERIN));
    expect(await screen.findByTestId('history-assigned')).toHaveTextContent('Bob Reviewer assigned it to Erin Researcher');
    expect(screen.getByTestId('history-assigned')).not.toHaveTextContent('user:default');
  }, 30_000);

  it('a closed alert offers Reopen (comment required) and no Close', async () => {
    const api = await page(fakeApi({ getAlert: jest.fn().mockResolvedValue(alert({ status: 'closed', closeReason: 'benign_positive' })) }));
    expect(await screen.findByTestId('triage-state')).toHaveTextContent('Closed as benign positive');
    expect(screen.queryByTestId('action-close')).toBeNull();
    expect(screen.queryByTestId('action-revoke')).toBeNull();
    fireEvent.click(screen.getByTestId('action-reopen'));
    fireEvent.click(await screen.findByTestId('reopen-dialog-confirm'));
    expect(await screen.findByRole('alert')).toHaveTextContent('Say why');
    fireEvent.change(screen.getByTestId('reopen-comment'), { target: { value: 'More reads today' } });
    fireEvent.click(screen.getByTestId('reopen-dialog-confirm'));
    await waitFor(() => expect(api.reopen).toHaveBeenCalledWith('a1', 'More reads today'));
  }, 30_000);

  it('a missing alert is a friendly not-found with a way back', async () => {
    const err = Object.assign(new Error('alert x not found'), { name: 'NotFoundError', response: { status: 404 } });
    await page(fakeApi({ getAlert: jest.fn().mockRejectedValue(err) }));
    const nf = await screen.findByTestId('not-found');
    expect(nf).toHaveTextContent('This alert does not exist');
    expect(within(nf).getByText('Back to detections').closest('a')).toHaveAttribute('href', '/detections');
  }, 30_000);
});

describe('EventPage', () => {
  it('shows the normalised fields and the original record', async () => {
    await render(<EventPage />, '/detections/events/:id', '/detections/events/ev1');
    expect(await screen.findByTestId('event-fields')).toHaveTextContent('Azure Storage blob logs');
    expect(screen.getByTestId('event-fields')).toHaveTextContent('14 GB');
    await waitFor(() => expect(screen.getByTestId('event-original')).toHaveTextContent('"callerIpAddress"'));
  }, 30_000);

  it('a missing event is a friendly not-found', async () => {
    const err = Object.assign(new Error('nope'), { name: 'NotFoundError' });
    await render(<EventPage />, '/detections/events/:id', '/detections/events/zz', fakeApi({ getEvent: jest.fn().mockRejectedValue(err) }));
    expect(await screen.findByTestId('not-found')).toHaveTextContent('This event does not exist');
  }, 30_000);
});

describe('EntityDetectionsContent', () => {
  const store = { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'weights-frontier-7b', namespace: 'default' }, spec: { type: 'weight-store' } };

  it('lists the alerts of the entity', async () => {
    const api = await render(<EntityProvider entity={store}><EntityDetectionsContent /></EntityProvider>, '/', '/');
    expect(await screen.findByText('Weight store read without an active grant')).toBeInTheDocument();
    expect(api.listAlerts).toHaveBeenCalledWith(expect.objectContaining({ entityRef: STORE, status: ['new', 'acknowledged'] }));
  }, 30_000);

  it('says why it is empty', async () => {
    await render(<EntityProvider entity={store}><EntityDetectionsContent /></EntityProvider>, '/', '/', fakeApi({ listAlerts: jest.fn().mockResolvedValue({ items: [], totalCount: 0 }) }));
    expect(await screen.findByTestId('entity-detections-empty')).toHaveTextContent('Nothing the detection rules flagged is waiting for review');
  }, 30_000);
});

describe('HomeAlertsCard', () => {
  it('counts open alerts by severity, each linking to the filtered queue', async () => {
    const open: Record<string, number> = { critical: 2, high: 1 };
    const listAlerts = jest.fn().mockImplementation(async (q: any) => ({ items: [], totalCount: open[q.severity[0]] ?? 0 }));
    await render(<HomeAlertsCard />, '/', '/', fakeApi({ listAlerts }));
    expect(await screen.findByTestId('home-detections-total')).toHaveTextContent('3 open alerts');
    expect(screen.getByTestId('home-detections-critical')).toHaveTextContent('2 critical');
    expect(screen.getByTestId('home-detections-critical').closest('a')).toHaveAttribute('href', '/detections?status=new,acknowledged&severity=critical#alert-queue');
    expect(screen.queryByTestId('home-detections-low')).toBeNull();
    expect(listAlerts).toHaveBeenCalledWith({ status: ['new', 'acknowledged'], severity: ['medium'], limit: 1 });
  }, 30_000);
});
