import { z } from 'zod';
import { parseEntityRef } from '@backstage/catalog-model';

function isEntityRef(value: string): boolean {
  try {
    const ref = parseEntityRef(value);
    return Boolean(ref.kind && ref.namespace && ref.name);
  } catch {
    return false;
  }
}

/** A full catalog entity ref such as `component:default/frontier-7b-chat`. */
export const entityRefSchema = z
  .string()
  .trim()
  .min(1)
  .max(512)
  .refine(
    v => v.includes(':') && isEntityRef(v),
    'must be a full entity ref like component:default/name',
  );

const VERDICT_VALUES = ['safe', 'suspicious', 'malicious', 'error'] as const;

/** Body of `POST /scans`. */
export const createScanRequestSchema = z.object({
  target: z
    .string()
    .trim()
    .min(1, 'target is required')
    .max(2048, 'target is too long'),
  entityRef: entityRefSchema.optional(),
});
export type CreateScanRequest = z.infer<typeof createScanRequestSchema>;

/** Query of `GET /scans`. */
export const listScansQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  verdict: z.enum(VERDICT_VALUES).optional(),
  entityRef: entityRefSchema.optional(),
  target: z.string().min(1).max(2048).optional(),
});
export type ListScansQuery = z.infer<typeof listScansQuerySchema>;

/** Minimum length of an acceptance justification. */
export const MIN_JUSTIFICATION_LENGTH = 20;

/** Body of `POST /acceptances`. */
export const createAcceptanceRequestSchema = z.object({
  sha256: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 hexadecimal characters'),
  justification: z
    .string()
    .trim()
    .min(
      MIN_JUSTIFICATION_LENGTH,
      `justification must be at least ${MIN_JUSTIFICATION_LENGTH} characters`,
    )
    .max(4000, 'justification is too long'),
  expiresAt: z.iso.datetime({
    offset: true,
    message: 'expiresAt must be an ISO 8601 date-time',
  }),
});
export type CreateAcceptanceRequest = z.infer<
  typeof createAcceptanceRequestSchema
>;

/** Query of `GET /gate`. */
export const gateQuerySchema = z.object({
  target: z.string().trim().min(1, 'target is required').max(2048),
});

/** Query of `GET /stats`. */
export const statsQuerySchema = z.object({
  days: z.coerce.number().int().min(1).max(365).default(30),
});

/** Formats the first zod issue as "field: reason" for an InputError message. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map(issue => {
      const field = issue.path.length ? issue.path.join('.') : 'body';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}
