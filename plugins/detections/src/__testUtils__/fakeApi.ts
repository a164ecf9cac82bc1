import { Alert, AlertGrant, DashboardSummary, DetectionsApi, StoredEvent } from '../api';

export const ERIN = 'user:default/erin';
export const BOB = 'user:default/bob';
export const STORE = 'resource:default/weights-frontier-7b';

export function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'a1',
    rule: 'weight-store-read-without-grant',
    title: 'Weight store read without an active grant',
    severity: 'critical',
    principal: 'erin@frontier-lab.example',
    principalRef: ERIN,
    resource: 'frontierweights/frontier-7b',
    resourceRef: STORE,
    status: 'new',
    firstSeen: '2026-12-07T10:02:00.000Z',
    lastSeen: '2026-12-07T10:40:00.000Z',
    count: 3,
    details: { bytesRead: 42_000_000_000, reads: 120 },
    history: [{ at: '2026-12-07T10:02:05.000Z', actor: 'detections', action: 'opened' }],
    createdAt: '2026-12-07T10:02:05.000Z',
    updatedAt: '2026-12-07T10:40:05.000Z',
    ...over,
  };
}

export function event(over: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: 'ev1',
    key: 'k1',
    source: 'storage_blob',
    classUid: 6003,
    className: 'API Activity',
    activity: 'GetBlob',
    time: '2026-12-07T10:02:00.000Z',
    outcome: 'success',
    actor: { type: 'user', upn: 'erin@frontier-lab.example', uid: 'oid-erin' },
    src: { ip: '203.0.113.9', country: 'NL' },
    resource: { type: 'blob', name: 'frontierweights/frontier-7b', objectKey: 'model-00001.safetensors' },
    bytes: 14_000_000_000,
    ...over,
  };
}

export function summary(over: Partial<DashboardSummary> = {}): DashboardSummary {
  return {
    from: '2026-12-06T12:00:00.000Z',
    to: '2026-12-07T12:00:00.000Z',
    totals: { events: 12_345, alertsOpen: 4, alertsBySeverity: { informational: 0, low: 1, medium: 1, high: 1, critical: 1 } },
    alertsOverTime: [
      { bucket: '2026-12-07T09:00:00.000Z', informational: 0, low: 1, medium: 0, high: 0, critical: 0 },
      { bucket: '2026-12-07T10:00:00.000Z', informational: 0, low: 0, medium: 1, high: 1, critical: 1 },
    ],
    openAlertsByRule: [{ rule: 'weight-store-read-without-grant', title: 'Weight store read without an active grant', count: 1 }],
    topPrincipals: [{ principal: 'erin@frontier-lab.example', principalRef: ERIN, alerts: 2 }, { principal: '10.0.0.7', alerts: 1 }],
    topResources: [{ resource: 'frontierweights/frontier-7b', resourceRef: STORE, alerts: 2 }],
    signInsByCountry: [{ country: 'NL', success: 40, failure: 2 }],
    egressDeniesByDestination: [{ destination: 'pastebin.com:443', count: 7 }],
    weightReadsByPrincipal: [
      { principal: 'erin@frontier-lab.example', principalRef: ERIN, bytes: 42_000_000_000, reads: 120 },
      { principal: '6f1c0d2e-unknown-object-id', bytes: 1_000_000, reads: 1 },
    ],
    ...over,
  };
}

export const GRANT: AlertGrant = { grantId: 'g1', userRef: ERIN, resourceRef: STORE, role: 'blob-reader', end: '2026-12-07T18:00:00.000Z' };

/** A fake of the detections API: every call a jest mock with a plausible answer. */
export function fakeApi(over: Partial<Record<keyof DetectionsApi, jest.Mock>> = {}) {
  const api = {
    listAlerts: jest.fn().mockResolvedValue({ items: [alert()], totalCount: 1 }),
    getAlert: jest.fn().mockResolvedValue(alert()),
    listAlertEvents: jest.fn().mockResolvedValue({ items: [event()] }),
    acknowledge: jest.fn().mockImplementation(async (_id: string, comment?: string) =>
      alert({ status: 'acknowledged', history: [...alert().history, { at: '2026-12-07T11:00:00.000Z', actor: BOB, action: 'acknowledged', comment }] })),
    assign: jest.fn().mockImplementation(async (_id: string, assignee: string) =>
      alert({ assignee, history: [...alert().history, { at: '2026-12-07T11:00:00.000Z', actor: BOB, action: 'assigned', comment: `assigned to ${assignee}` }] })),
    addNote: jest.fn().mockResolvedValue(alert()),
    close: jest.fn().mockImplementation(async (_id: string, reason: any, comment: string) =>
      alert({ status: 'closed', closeReason: reason, history: [...alert().history, { at: '2026-12-07T11:00:00.000Z', actor: BOB, action: 'closed', comment: `${String(reason).replace('_', ' ')}: ${comment}` }] })),
    reopen: jest.fn().mockResolvedValue(alert({ status: 'acknowledged' })),
    listAlertGrants: jest.fn().mockResolvedValue([GRANT]),
    revokeGrants: jest.fn().mockImplementation(async (_id: string, reason: string) => ({
      revoked: [{ grantId: 'g1', userRef: ERIN, resourceRef: STORE }],
      alert: alert({ history: [...alert().history, { at: '2026-12-07T11:00:00.000Z', actor: BOB, action: 'grants-revoked', comment: `g1 (1 of 1): ${reason}` }] }),
    })),
    getEvent: jest.fn().mockResolvedValue(event({ raw: { operationName: 'GetBlob', callerIpAddress: '203.0.113.9:443' } })),
    getDashboard: jest.fn().mockResolvedValue(summary()),
    listRules: jest.fn().mockResolvedValue([
      { id: 'weight-store-read-without-grant', title: 'Weight store read without an active grant', severity: 'critical', sources: ['storage_blob'], kind: 'stateful', description: 'Reads of a weight store by a principal with no active grant on it.' },
    ]),
    ...over,
  };
  return api;
}

const NAMES: Record<string, string> = {
  [ERIN]: 'Erin Researcher',
  [BOB]: 'Bob Reviewer',
  [STORE]: 'Frontier 7B weights',
};

/** Entity presentation with the catalog's display names, synchronously (no catalog round trip). */
export const fakePresentationApi = {
  forEntity(entityOrRef: any) {
    const entityRef = typeof entityOrRef === 'string' ? entityOrRef : `${entityOrRef.kind}:${entityOrRef.metadata.namespace ?? 'default'}/${entityOrRef.metadata.name}`.toLocaleLowerCase('en-US');
    const snapshot = { entityRef, primaryTitle: NAMES[entityRef] ?? entityRef.split('/').pop()! };
    return { snapshot, promise: Promise.resolve(snapshot) };
  },
};
