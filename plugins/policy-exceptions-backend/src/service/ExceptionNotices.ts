import {
  EXCEPTIONS_APP_BASE_PATH,
  EXCEPTIONS_APP_SUB_PATHS,
  SuspensionCause,
  requiredApprovalsFor,
} from '@internal/plugin-policy-exceptions-common';
import { getSecurityControl, isSecurityControlId } from '@internal/plugin-security-controls-common';
import { ExceptionRecord } from '../domain/lifecycle';
import { Notifier } from './Notifier';

/** A control by its title for people ("Egress only to allowlisted destinations"), the id if unknown. */
function controlName(controlId: string): string {
  return isSecurityControlId(controlId) ? `"${getSecurityControl(controlId).title}"` : controlId;
}

const people = (rec: ExceptionRecord) => [...new Set([rec.content.owner, rec.requester])];

/**
 * What the portal tells whom about exceptions (notifications-node through Notifier): reviewers on
 * submission, suspension and due re-reviews; requester and owner on each decision, on suspension
 * and before the end. Links are app-relative paths from EXCEPTIONS_APP_SUB_PATHS (the frontend's
 * routes), so the notifications page opens them in the same tab. Reviewer notices of one exception
 * share a scope, so a decision replaces the "please review".
 */
export class ExceptionNotices {
  constructor(private readonly notifier: Notifier, private readonly reviewerGroup: string) {}

  static link(id?: string): string {
    return id
      ? `${EXCEPTIONS_APP_BASE_PATH}${EXCEPTIONS_APP_SUB_PATHS.exception.replace(':id', encodeURIComponent(id))}`
      : EXCEPTIONS_APP_BASE_PATH;
  }

  private reviewScope(id: string) {
    return `policy-exceptions:review:${id}`;
  }

  submitted(rec: ExceptionRecord, by: string, byName: string): void {
    const content = rec.pendingRevision?.content ?? rec.content;
    const needed = rec.pendingRevision ? requiredApprovalsFor(content.risk.rating) : rec.requiredApprovals;
    this.notifier.dispatch({
      to: this.reviewerGroup,
      exclude: [...new Set([rec.requester, content.owner, by])],
      title: `${byName} asks for an exception to ${controlName(rec.controlId)} (${content.risk.rating} risk${rec.pendingRevision ? ', revision' : ''}); ${needed} approval${needed > 1 ? 's' : ''} needed.`,
      description: content.justification.slice(0, 300),
      link: ExceptionNotices.link(rec.id),
      scope: this.reviewScope(rec.id),
    });
  }

  decided(rec: ExceptionRecord, outcome: string, by: string, comment?: string): void {
    const words: Record<string, string> = {
      approved: `approved; it covers its findings from ${rec.content.startsAt.slice(0, 10)} until ${rec.content.endsAt.slice(0, 16).replace('T', ' ')} UTC`,
      reapproved: 're-approved; it covers its findings again',
      'revision-approved': 'revision approved and now in force',
      rejected: 'rejected',
      'revision-rejected': 'revision rejected; the decided revision stays in force',
      revoked: 'not re-approved and is revoked; its findings are open',
    };
    this.notifier.dispatch({
      to: people(rec),
      title: `Your exception to ${controlName(rec.controlId)} was ${words[outcome] ?? outcome}.`,
      description: comment ? `Reason: ${comment}` : undefined,
      link: ExceptionNotices.link(rec.id),
      severity: outcome === 'rejected' || outcome === 'revoked' ? 'high' : 'normal',
    });
    this.notifier.dispatch({
      to: this.reviewerGroup,
      exclude: [rec.requester, rec.content.owner],
      title: `Exception to ${controlName(rec.controlId)}: decided (${outcome}) by ${by.replace(/^[^:]+:(?:[^/]+\/)?/, '')}; nothing left to review.`,
      link: ExceptionNotices.link(rec.id),
      scope: this.reviewScope(rec.id),
    });
  }

  revoked(rec: ExceptionRecord, reason: string): void {
    this.notifier.dispatch({
      to: people(rec),
      title: `Your exception to ${controlName(rec.controlId)} was revoked; its findings are open again.`,
      description: `Reason: ${reason}`,
      link: ExceptionNotices.link(rec.id),
      severity: 'high',
    });
  }

  suspended(rec: ExceptionRecord, cause: SuspensionCause, detail: string): void {
    this.notifier.dispatch({
      to: people(rec),
      title: `Your exception to ${controlName(rec.controlId)} is suspended: its findings are open until a reviewer re-approves it.`,
      description: detail,
      link: ExceptionNotices.link(rec.id),
      severity: 'high',
    });
    this.notifier.dispatch({
      to: this.reviewerGroup,
      exclude: [rec.content.owner, rec.requester],
      title: `Exception to ${controlName(rec.controlId)} suspended (${cause === 'scope-drift' ? 'scope drifted' : 'compensating control failing'}); re-approve or revoke it.`,
      link: ExceptionNotices.link(rec.id),
      scope: this.reviewScope(rec.id),
    });
  }

  endingSoon(rec: ExceptionRecord): void {
    this.notifier.dispatch({
      to: people(rec),
      title: `Your exception to ${controlName(rec.controlId)} ends ${rec.content.endsAt.slice(0, 16).replace('T', ' ')} UTC; after that its findings are open again.`,
      description: 'Propose a revision with a later end if it is still needed.',
      link: ExceptionNotices.link(rec.id),
    });
  }

  reReviewDue(rec: ExceptionRecord): void {
    this.notifier.dispatch({
      to: this.reviewerGroup,
      exclude: [rec.content.owner, rec.requester],
      title: `Re-review due: exception to ${controlName(rec.controlId)} (${rec.content.risk.rating} risk).`,
      link: ExceptionNotices.link(rec.id),
    });
  }
}
