import { createHash } from 'node:crypto';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { NotificationSeverity } from '@backstage/plugin-notifications-common';
import { modelScanAppLink, needsSecurityReview, Scan } from '@internal/plugin-model-scan-common';
import { parseUploadTarget } from '../domain/targets';

export interface ScanNotifierOptions {
  /** The notifications service; without it nothing is sent (a backend without the notifications plugin). */
  notifications?: Pick<NotificationService, 'send'>;
  logger: LoggerService;
  /** The security reviewers' group (its members are notified). */
  reviewerGroup: string;
  /** Where the app serves the model-scan pages (`/model-scan`): links are app paths, opened in the same tab. */
  appMountPath: string;
  /** A person's display name for the text; the ref's name when it has none or the lookup fails. */
  displayName?: (entityRef: string) => Promise<string | undefined>;
}

const TOPIC = 'model-scan';

/** What the scan concerns, in words: the uploaded file's name, else the target. */
export function scanSubject(scan: Pick<Scan, 'target'>): string {
  return parseUploadTarget(scan.target)?.fileName ?? scan.target;
}

/**
 * Tells people about flagged scans: the security reviewers and the requester when a scan ends
 * suspicious or malicious, the reviewers when the requester asks for a review. A failed send is
 * logged and never fails the scan or the request that caused it.
 */
export class ScanNotifier {
  constructor(private readonly o: ScanNotifierOptions) {}

  /** A finished scan (ScanService.onScanCompleted): only suspicious and malicious ones are news. */
  async scanFinished(scan: Scan): Promise<void> {
    if (!needsSecurityReview(scan)) return;
    const verdict = scan.verdict!;
    const subject = scanSubject(scan);
    const person = scan.requestedBy.startsWith('user:') ? scan.requestedBy : undefined;
    const findings = (scan.files ?? []).reduce((n, f) => n + f.findings.length, 0);
    const counted = `${findings} finding${findings === 1 ? '' : 's'}`;
    const severity: NotificationSeverity = verdict === 'malicious' ? 'critical' : 'high';
    const by = person ? await this.nameOf(person) : 'an automatic scan';
    await this.send({
      to: this.o.reviewerGroup,
      // the requester gets their own notice (below), also when they are a reviewer
      exclude: person,
      title: `${cap(verdict)} model file: ${subject}`,
      description: `Scanned for ${by} (${scan.trigger}): ${verdict}, ${counted}. Open the scan to see the findings.`,
      link: this.link(scan.id),
      severity,
      // one notice per target: a periodic rescan with the same outcome replaces it (pointing at
      // the latest scan) instead of piling up
      scope: `model-scan:flagged:${createHash('sha256').update(scan.target).digest('hex').slice(0, 32)}`,
    });
    if (person) {
      await this.send({
        to: person,
        title: `Your scan of ${subject} is ${verdict}`,
        description:
          verdict === 'malicious'
            ? `The scanner found code that runs when the file is loaded (${counted}). Do not load or share it. The security reviewers have been told; open the scan to see why, or ask them for a review.`
            : `The scanner found something it cannot vouch for (${counted}). The promotion gate stays closed until a security reviewer accepts it; open the scan to see why and ask for a review.`,
        link: this.link(scan.id),
        severity,
        scope: `model-scan:scan:${scan.id}:flagged`,
      });
    }
  }

  /** The requester asked for a review: the reviewers get their note. */
  async reviewRequested(scan: Scan, request: { requestedBy: string; note: string }): Promise<void> {
    const who = await this.nameOf(request.requestedBy);
    const note = request.note.length > 300 ? `${request.note.slice(0, 300)}…` : request.note;
    await this.send({
      to: this.o.reviewerGroup,
      exclude: request.requestedBy,
      title: `Review requested by ${who}: ${scanSubject(scan)} (${scan.verdict})`,
      description: `“${note}”`,
      link: this.link(scan.id),
      severity: scan.verdict === 'malicious' ? 'critical' : 'high',
      scope: `model-scan:scan:${scan.id}:review`,
    });
  }

  private link(scanId: string) {
    return modelScanAppLink(scanId, this.o.appMountPath);
  }

  private async nameOf(ref: string): Promise<string> {
    const fallback = ref.slice(ref.lastIndexOf('/') + 1);
    try {
      return (await this.o.displayName?.(ref)) || fallback;
    } catch {
      return fallback;
    }
  }

  private async send(n: {
    to: string;
    exclude?: string;
    title: string;
    description: string;
    link: string;
    severity: NotificationSeverity;
    scope: string;
  }): Promise<void> {
    if (!this.o.notifications) return;
    try {
      await this.o.notifications.send({
        recipients: { type: 'entity', entityRef: n.to, excludeEntityRef: n.exclude },
        payload: {
          title: n.title,
          description: n.description,
          link: n.link,
          severity: n.severity,
          topic: TOPIC,
          scope: n.scope,
        },
      });
    } catch (error) {
      this.o.logger.warn(`model-scan: notification "${n.title}" failed: ${(error as Error).message}`);
    }
  }
}

function cap(s: string) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
