import { z } from 'zod';

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
    pluginId: z.string().min(1).max(200).optional(),
    eventId: z.string().min(1).max(200).optional(),
    actor: z.string().min(1).max(500).optional(),
    severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
    status: z.enum(['initiated', 'succeeded', 'failed']).optional(),
    from: isoTimestamp.optional(),
    to: isoTimestamp.optional(),
  })
  .strict();
