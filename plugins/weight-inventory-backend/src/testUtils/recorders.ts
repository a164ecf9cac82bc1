import type { AuditorService } from '@backstage/backend-plugin-api';

export interface RecordedAuditEvent {
  eventId: string;
  severityLevel?: string;
  meta?: Record<string, unknown>;
  outcome?: 'success' | 'fail';
  error?: string;
}

/** An auditor that keeps the events it is given (tests assert on them). */
export function recordingAuditor(): AuditorService & { events: RecordedAuditEvent[] } {
  const events: RecordedAuditEvent[] = [];
  return {
    events,
    async createEvent(options) {
      const ev: RecordedAuditEvent = { eventId: options.eventId, severityLevel: options.severityLevel, meta: options.meta as any };
      events.push(ev);
      return {
        async success(o) {
          ev.outcome = 'success';
          ev.meta = { ...ev.meta, ...(o?.meta as any) };
        },
        async fail(o) {
          ev.outcome = 'fail';
          ev.error = o.error.message;
        },
      };
    },
  };
}
