import type { AuditorService } from '@backstage/backend-plugin-api';

/** An audit event as the recording auditor kept it. */
export interface RecordedAuditEvent {
  eventId: string;
  /** As given, `low` when not (the auditor's default). */
  severityLevel: string;
  /** The event's meta, merged with the meta given to `success` or `fail`. */
  meta: Record<string, unknown>;
  outcome?: 'success' | 'fail';
  /** The message of the error given to `fail`. */
  error?: string;
}

/** A stand-in for `coreServices.auditor` that keeps the events it is given (tests assert on them). */
export function recordingAuditor(): AuditorService & {
  events: RecordedAuditEvent[];
} {
  const events: RecordedAuditEvent[] = [];
  return {
    events,
    async createEvent(options) {
      const ev: RecordedAuditEvent = {
        eventId: options.eventId,
        severityLevel: options.severityLevel ?? 'low',
        meta: { ...(options.meta as Record<string, unknown> | undefined) },
      };
      events.push(ev);
      return {
        async success(o) {
          ev.outcome = 'success';
          ev.meta = { ...ev.meta, ...(o?.meta as Record<string, unknown>) };
        },
        async fail(o) {
          ev.outcome = 'fail';
          ev.meta = { ...ev.meta, ...(o.meta as Record<string, unknown>) };
          ev.error = o.error.message;
        },
      };
    },
  };
}
