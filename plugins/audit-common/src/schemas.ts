import { z } from 'zod';
import { singleLineText } from '@internal/input-validation';

const seq = z.coerce.number().int().min(0);
const isoTimestamp = z
  .string()
  .refine(v => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 timestamp')
  .transform(v => new Date(v).toISOString());

/** Zod schema of the `GET /api/audit/events` query string. */
export const auditEventsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).optional(),
    after: seq.optional(),
    before: seq.optional(),
    order: z.enum(['asc', 'desc']).optional(),
    // filters: single-line text without control characters (a NUL is a 500 on PostgreSQL otherwise)
    pluginId: singleLineText({ max: 200, min: 1 }).optional(),
    eventId: singleLineText({ max: 200, min: 1 }).optional(),
    actor: singleLineText({ max: 500, min: 1 }).optional(),
    severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
    status: z.enum(['initiated', 'succeeded', 'failed']).optional(),
    from: isoTimestamp.optional(),
    to: isoTimestamp.optional(),
    entityRef: singleLineText({ max: 500, min: 1 }).optional(),
  })
  .strict();
