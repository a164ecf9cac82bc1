import { z } from 'zod';
import {
  entityRef,
  freeText,
  singleLineText,
} from '@internal/input-validation';

/**
 * A full catalog entity ref such as `component:default/frontier-7b-chat`, parsed with the
 * catalog's rules and normalized to lower case (`@internal/input-validation`). Blank
 * surroundings are trimmed; a ref without a kind is refused.
 */
export const entityRefSchema = z
  .string()
  .trim()
  .min(1)
  .refine(v => v.includes(':'), 'must be a full entity ref like component:default/name')
  .pipe(entityRef());

const VERDICT_VALUES = ['safe', 'suspicious', 'malicious', 'error'] as const;

/** Body of `POST /scans`. */
export const createScanRequestSchema = z.object({
  target: singleLineText({ max: 2048, min: 1, trim: true }),
  entityRef: entityRefSchema.optional(),
});
export type CreateScanRequest = z.infer<typeof createScanRequestSchema>;

/** Query of `GET /scans`. */
export const listScansQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  verdict: z.enum(VERDICT_VALUES).optional(),
  entityRef: entityRefSchema.optional(),
  target: singleLineText({ max: 2048, min: 1 }).optional(),
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
  justification: freeText({
    max: 4000,
    min: MIN_JUSTIFICATION_LENGTH,
    trim: true,
  }),
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
  target: singleLineText({ max: 2048, min: 1, trim: true }),
});

/** Query of `GET /stats`. */
export const statsQuerySchema = z.object({
  days: z.coerce.number().int().min(1).max(365).default(30),
});

/** Formats the zod issues as "field: reason; …" for an InputError message. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map(issue => {
      const field = issue.path.length ? issue.path.join('.') : 'body';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

/** Minimum length of the note sent with "Ask for review". */
export const MIN_REVIEW_NOTE_LENGTH = 10;
/** Maximum length of that note. */
export const MAX_REVIEW_NOTE_LENGTH = 2000;

/** Body of `POST /scans/:id/review-request`. */
export const reviewRequestSchema = z.object({
  note: freeText({ max: MAX_REVIEW_NOTE_LENGTH, min: MIN_REVIEW_NOTE_LENGTH, trim: true }),
});
export type ReviewRequestBody = z.infer<typeof reviewRequestSchema>;
