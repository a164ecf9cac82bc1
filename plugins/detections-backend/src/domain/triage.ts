import { ConflictError } from '@backstage/errors';
import type { AlertAction, AlertHistoryEntry, AlertStatus, CloseReason } from '@internal/plugin-detections-common';

/** What triage changes on an alert (only the fields that change). */
export interface TriagePatch {
  status?: AlertStatus;
  closeReason?: CloseReason | null;
  assignee?: string | null;
}

export interface TriageOutcome {
  patch: TriagePatch;
  entry: AlertHistoryEntry;
}

export interface TriageState {
  status: AlertStatus;
  closeReason?: CloseReason;
  assignee?: string;
}

const REASON_WORDS: Record<CloseReason, string> = {
  true_positive: 'true positive',
  benign_positive: 'benign positive',
  false_positive: 'false positive',
};

/**
 * The triage state machine of an alert: new → acknowledged → closed (with a reason), and closed →
 * acknowledged again by reopening. Assigning and notes do not change the state; assigning a closed
 * alert is refused (reopen it first), notes are welcome in every state. Illegal moves are a
 * ConflictError (HTTP 409) with a sentence saying why.
 */
export class AlertTriage {
  constructor(
    private readonly state: TriageState,
    private readonly actor: string,
    private readonly at: string,
  ) {}

  private entry(action: AlertAction, comment?: string): AlertHistoryEntry {
    return { at: this.at, actor: this.actor, action, ...(comment ? { comment } : {}) };
  }

  acknowledge(comment?: string): TriageOutcome {
    if (this.state.status === 'acknowledged') throw new ConflictError('The alert is already acknowledged.');
    if (this.state.status === 'closed') throw new ConflictError('The alert is closed; reopen it to work on it again.');
    return { patch: { status: 'acknowledged' }, entry: this.entry('acknowledged', comment) };
  }

  assign(assignee: string): TriageOutcome {
    if (this.state.status === 'closed') throw new ConflictError('The alert is closed; reopen it before assigning it.');
    if (this.state.assignee === assignee) throw new ConflictError(`The alert is already assigned to ${assignee}.`);
    return { patch: { assignee }, entry: this.entry('assigned', `assigned to ${assignee}`) };
  }

  note(text: string): TriageOutcome {
    return { patch: {}, entry: this.entry('noted', text) };
  }

  close(reason: CloseReason, comment: string): TriageOutcome {
    if (this.state.status === 'closed') {
      throw new ConflictError(`The alert is already closed as ${REASON_WORDS[this.state.closeReason ?? 'true_positive']}.`);
    }
    return {
      patch: { status: 'closed', closeReason: reason },
      entry: this.entry('closed', `${REASON_WORDS[reason]}: ${comment}`),
    };
  }

  reopen(comment: string): TriageOutcome {
    if (this.state.status !== 'closed') throw new ConflictError('Only a closed alert can be reopened.');
    return { patch: { status: 'acknowledged', closeReason: null }, entry: this.entry('reopened', comment) };
  }

  /** Recorded after grants were revoked through access-requests (any state: the revocation happened). */
  grantsRevoked(summary: string): TriageOutcome {
    return { patch: {}, entry: this.entry('grants-revoked', summary) };
  }
}
