import { z } from 'zod';
import { entityRef, freeText, singleLineText } from '@internal/input-validation';
import { ALERT_STATUSES, CLOSE_REASONS, SEVERITIES, SOURCE_IDS } from './types';

/** Limits shared by the pages and the backend. */
export const COMMENT_MAX = 4096;
export const FILTER_MAX = 512;
export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 500;

const comment = (min: number) => freeText({ min, max: COMMENT_MAX, trim: true });
const filterText = singleLineText({ max: FILTER_MAX, trim: true });
const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

/** A comma-separated query list of known values (`status=new,acknowledged`). */
function csvOf<T extends string>(values: readonly T[], what: string) {
  return z
    .string()
    .max(1024, 'too long')
    .transform((s, ctx) => {
      const parts = s.split(',').map(p => p.trim()).filter(Boolean);
      for (const p of parts) {
        if (!values.includes(p as T)) {
          ctx.addIssue({ code: 'custom', message: `unknown ${what} "${p.slice(0, 40)}" (one of ${values.join(', ')})` });
          return z.NEVER;
        }
      }
      return [...new Set(parts)] as T[];
    });
}

/** Opaque paging cursor (base64url of the last row's sort key). */
export const cursorSchema = z
  .string()
  .max(512, 'must be at most 512 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor this server handed out');

const limit = z.coerce
  .number({ message: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(PAGE_LIMIT_MAX, `must be at most ${PAGE_LIMIT_MAX}`)
  .default(PAGE_LIMIT_DEFAULT);

function fromBeforeTo<T extends { from?: string; to?: string }>(q: T, ctx: z.RefinementCtx) {
  if (q.from && q.to && Date.parse(q.from) > Date.parse(q.to)) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  }
}

export const listAlertsQuerySchema = z
  .object({
    status: csvOf(ALERT_STATUSES, 'status').optional(),
    severity: csvOf(SEVERITIES, 'severity').optional(),
    rule: filterText.optional(),
    principal: filterText.optional(),
    resource: filterText.optional(),
    /** User → principalRef; weight store / cluster / namespace → resourceRef. */
    entityRef: entityRef().optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    q: filterText.optional(),
    limit,
    cursor: cursorSchema.optional(),
  })
  .superRefine(fromBeforeTo);

export const alertEventsQuerySchema = z.object({
  limit,
  cursor: cursorSchema.optional(),
});

export const listEventsQuerySchema = z
  .object({
    source: csvOf(SOURCE_IDS, 'source').optional(),
    principal: filterText.optional(),
    resource: filterText.optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    limit,
    cursor: cursorSchema.optional(),
  })
  .superRefine(fromBeforeTo);

export const dashboardQuerySchema = z
  .object({
    from: isoDate.optional(),
    to: isoDate.optional(),
    source: csvOf(SOURCE_IDS, 'source').optional(),
  })
  .superRefine(fromBeforeTo);

export const acknowledgeBodySchema = z.object({ comment: comment(0).optional() }).strict();
export const assignBodySchema = z.object({ assignee: entityRef({ kind: ['user'] }) }).strict();
export const noteBodySchema = z.object({ text: comment(1) }).strict();
export const closeBodySchema = z
  .object({
    reason: z.enum(CLOSE_REASONS as [string, ...string[]] as ['true_positive', 'benign_positive', 'false_positive'], {
      message: `must be one of ${CLOSE_REASONS.join(', ')}`,
    }),
    comment: comment(1),
  })
  .strict();
export const reopenBodySchema = z.object({ comment: comment(1) }).strict();
export const revokeGrantsBodySchema = z.object({ reason: comment(1) }).strict();

export type ListAlertsQuery = z.input<typeof listAlertsQuerySchema>;
export type ParsedListAlertsQuery = z.output<typeof listAlertsQuerySchema>;
export type AlertEventsQuery = z.input<typeof alertEventsQuerySchema>;
export type ListEventsQuery = z.input<typeof listEventsQuerySchema>;
export type ParsedListEventsQuery = z.output<typeof listEventsQuerySchema>;
export type DashboardQuery = z.input<typeof dashboardQuerySchema>;
export type ParsedDashboardQuery = z.output<typeof dashboardQuerySchema>;
export type AcknowledgeBody = z.infer<typeof acknowledgeBodySchema>;
export type AssignBody = z.infer<typeof assignBodySchema>;
export type NoteBody = z.infer<typeof noteBodySchema>;
export type CloseBody = z.infer<typeof closeBodySchema>;
export type ReopenBody = z.infer<typeof reopenBodySchema>;
export type RevokeGrantsBody = z.infer<typeof revokeGrantsBodySchema>;

/** "field: reason; field: reason" from a zod error, for 400 responses. */
export { describeZodError } from '@internal/input-validation';
