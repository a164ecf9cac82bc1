import { AlertTriage, TriageState } from './triage';

const AT = '2026-12-07T10:00:00.000Z';
const REVIEWER = 'user:default/rita';
const triage = (state: TriageState) => new AlertTriage(state, REVIEWER, AT);

describe('AlertTriage', () => {
  it('walks new → acknowledged → closed → reopened (acknowledged) with history entries', () => {
    const ack = triage({ status: 'new' }).acknowledge('looking');
    expect(ack).toEqual({ patch: { status: 'acknowledged' }, entry: { at: AT, actor: REVIEWER, action: 'acknowledged', comment: 'looking' } });
    const closed = triage({ status: 'acknowledged' }).close('false_positive', 'CI job with SAS');
    expect(closed.patch).toEqual({ status: 'closed', closeReason: 'false_positive' });
    expect(closed.entry.comment).toBe('false positive: CI job with SAS');
    const reopened = triage({ status: 'closed', closeReason: 'false_positive' }).reopen('it happened again');
    expect(reopened.patch).toEqual({ status: 'acknowledged', closeReason: null });
    expect(reopened.entry.action).toBe('reopened');
  });

  it('closes a new alert directly', () => {
    expect(triage({ status: 'new' }).close('true_positive', 'confirmed').patch.status).toBe('closed');
  });

  it.each([
    ['acknowledge an acknowledged alert', () => triage({ status: 'acknowledged' }).acknowledge(), 'already acknowledged'],
    ['acknowledge a closed alert', () => triage({ status: 'closed' }).acknowledge(), 'reopen it'],
    ['close a closed alert', () => triage({ status: 'closed', closeReason: 'benign_positive' }).close('true_positive', 'x'), 'already closed as benign positive'],
    ['reopen a new alert', () => triage({ status: 'new' }).reopen('x'), 'Only a closed alert'],
    ['reopen an acknowledged alert', () => triage({ status: 'acknowledged' }).reopen('x'), 'Only a closed alert'],
    ['assign a closed alert', () => triage({ status: 'closed' }).assign('user:default/bob'), 'reopen it before assigning'],
    ['assign to the same person', () => triage({ status: 'new', assignee: 'user:default/bob' }).assign('user:default/bob'), 'already assigned'],
  ])('refuses to %s with a 409 sentence', (_, act, message) => {
    expect(act).toThrow(expect.objectContaining({ name: 'ConflictError', message: expect.stringContaining(message) }));
  });

  it('takes notes and assignments without changing the state', () => {
    expect(triage({ status: 'closed' }).note('post-mortem linked')).toEqual({ patch: {}, entry: { at: AT, actor: REVIEWER, action: 'noted', comment: 'post-mortem linked' } });
    expect(triage({ status: 'new' }).assign('user:default/bob').patch).toEqual({ assignee: 'user:default/bob' });
  });
});
