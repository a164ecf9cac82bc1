import { z } from 'zod';
import { entityRef, freeText, singleLineText } from '@internal/input-validation';
import { isSecurityControlId } from '@internal/plugin-security-controls-common';
import { riskRating } from './coverage';

/** Limits shared by the form and the backend. */
export const JUSTIFICATION_MIN = 20;
export const TEXT_MAX = 4096;
export const JUSTIFICATION_MAX = 8192;
export const MAX_SCOPE_ENTITIES = 50;
export const MAX_COMPENSATING_CONTROLS = 20;

/** Entity refs are parsed as the catalog does and normalized to lower-case `kind:namespace/name`. */
const entityRefField = entityRef();
const userRef = entityRef({ kind: ['user', 'group'] });

/** Free text (justification, worksheet fields, comments): no control or bidi characters. */
const text = (min: number, max: number) => freeText({ min, max });

const controlId = z.string().refine(isSecurityControlId, 'not a control of the controls catalog');

/** A finding key: printable, no spaces at the ends, e.g. `egress:data.example.org` or `sha256:<hex>`. */
export const findingKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(512, 'at most 512 characters')
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, 'printable ASCII without leading or trailing spaces');

/** A control id as callers ask about it (known or not): `FG-…`, upper-case letters, digits, dashes. */
const controlIdQuery = z.string().regex(/^[A-Z][A-Z0-9-]{0,127}$/, 'must be a control id like FG-MODEL-SCAN');

const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

export const compensatingControlSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('catalog'), controlId }).strict(),
  z
    .object({
      kind: z.literal('described'),
      measure: text(1, TEXT_MAX),
      owner: userRef,
      evidence: text(1, TEXT_MAX),
      constraint: text(1, TEXT_MAX),
      objective: text(1, TEXT_MAX),
      identifiedRisk: text(1, TEXT_MAX),
      validation: text(1, TEXT_MAX),
      maintenance: text(1, TEXT_MAX),
    })
    .strict(),
]);

export const exceptionScopeSchema = z
  .object({
    entityRefs: z
      .array(entityRefField)
      .min(1, 'at least one entity')
      .max(MAX_SCOPE_ENTITIES, `at most ${MAX_SCOPE_ENTITIES} entities`)
      .refine(
        refs => new Set(refs.map(r => r.toLocaleLowerCase('en-US'))).size === refs.length,
        'lists an entity twice',
      ),
    findingKey: findingKeySchema.optional(),
  })
  .strict();

const riskSchema = z
  .object({
    likelihood: z.enum(['low', 'medium', 'high']),
    impact: z.enum(['low', 'medium', 'high']),
    /** Optional: when given it must equal the rating derived from likelihood and impact. */
    rating: z.enum(['low', 'medium', 'high', 'critical']).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const derived = riskRating(r.likelihood, r.impact);
    if (r.rating !== undefined && r.rating !== derived) {
      ctx.addIssue({
        code: 'custom',
        path: ['rating'],
        message: `is ${derived} for likelihood ${r.likelihood} and impact ${r.impact}`,
      });
    }
  });

const contentShape = {
  scope: exceptionScopeSchema,
  justification: text(JUSTIFICATION_MIN, JUSTIFICATION_MAX),
  reasonCategory: z.enum(['operational-requirement', 'false-positive', 'risk-accepted', 'vendor-dependency']),
  risk: riskSchema,
  compensatingControls: z
    .array(compensatingControlSchema)
    .min(1, 'an exception is granted only with at least one compensating control')
    .max(MAX_COMPENSATING_CONTROLS, `at most ${MAX_COMPENSATING_CONTROLS}`),
  owner: userRef,
  /** Default: now. */
  startsAt: isoDate.optional(),
  endsAt: isoDate,
  ticket: singleLineText({ min: 1, max: 256 }).optional(),
};

function checkContent(
  c: { startsAt?: string; endsAt: string; compensatingControls: Array<{ kind: string; controlId?: string }> },
  ctx: z.RefinementCtx,
  ownControl?: string,
) {
  if (c.startsAt && Date.parse(c.endsAt) <= Date.parse(c.startsAt)) {
    ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
  }
  const seen = new Set<string>();
  c.compensatingControls.forEach((cc, i) => {
    if (cc.kind !== 'catalog' || !cc.controlId) return;
    if (cc.controlId === ownControl) {
      ctx.addIssue({
        code: 'custom',
        path: ['compensatingControls', i, 'controlId'],
        message: 'the excepted control cannot compensate for itself',
      });
    }
    if (seen.has(cc.controlId)) {
      ctx.addIssue({ code: 'custom', path: ['compensatingControls', i, 'controlId'], message: 'listed twice' });
    }
    seen.add(cc.controlId);
  });
}

/** Body of `POST /exceptions`. `submit: false` keeps a draft. */
export const createExceptionBodySchema = z
  .object({ controlId, ...contentShape, submit: z.boolean().default(true) })
  .strict()
  .superRefine((b, ctx) => checkContent(b, ctx, b.controlId));

/** Body of `POST /exceptions/:id/revisions` (the control of an exception never changes). */
export const reviseExceptionBodySchema = z
  .object({ ...contentShape, submit: z.boolean().default(true) })
  .strict()
  .superRefine((b, ctx) => checkContent(b, ctx));

export const reviewBodySchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    comment: text(0, TEXT_MAX).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.decision === 'reject' && !(b.comment ?? '').trim()) {
      ctx.addIssue({ code: 'custom', path: ['comment'], message: 'a rejection needs a reason' });
    }
  });

export const reasonBodySchema = z.object({ reason: text(1, TEXT_MAX) }).strict();
export const reReviewBodySchema = z.object({ comment: text(1, TEXT_MAX) }).strict();

export const isExceptedQuerySchema = z
  .object({
    controlId: controlIdQuery,
    entityRef: entityRefField,
    findingKey: findingKeySchema.optional(),
    at: isoDate.optional(),
  })
  .strict();

/** Body of `POST /is-excepted` (several subjects in one call, e.g. every file of a scan). */
export const isExceptedBatchBodySchema = z
  .object({
    at: isoDate.optional(),
    queries: z
      .array(
        z
          .object({ controlId: controlIdQuery, entityRef: entityRefField, findingKey: findingKeySchema.optional() })
          .strict(),
      )
      .min(1)
      .max(1000, 'at most 1000 queries'),
  })
  .strict();

export const listExceptionsQuerySchema = z
  .object({
    view: z.enum(['mine', 'queue', 'expiring', 'all']).default('all'),
    entityRef: entityRefField.optional(),
    controlId: controlIdQuery.optional(),
    status: z
      .enum(['draft', 'submitted', 'approved', 'active', 'expired', 'rejected', 'withdrawn', 'revoked', 'suspended'])
      .optional(),
    /** For view=expiring (default 14). */
    withinDays: z.coerce.number().int().min(1).max(365).optional(),
  })
  .strict();

export const exportQuerySchema = z
  .object({
    format: z.enum(['json', 'oscal-poam', 'oscal-ar']).default('json'),
    at: isoDate.optional(),
  })
  .strict();

export type CreateExceptionBody = z.input<typeof createExceptionBodySchema>;
export type ReviseExceptionBody = z.input<typeof reviseExceptionBodySchema>;
export type ReviewBody = z.input<typeof reviewBodySchema>;
export type ListExceptionsQuery = z.input<typeof listExceptionsQuerySchema>;
export type ExportFormat = z.infer<typeof exportQuerySchema>['format'];

/** "field: reason; field: reason" from a zod error, for 400 responses. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map(i => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}
