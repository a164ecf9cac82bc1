import { z } from 'zod';
import { entityRefSchema, freeText, singleLineText } from '@internal/input-validation';
import { BREAK_GLASS_MAX_MINUTES, BREAK_GLASS_MIN_JUSTIFICATION } from './grants';

/** `group: owner` means "the owner group of the resource", resolved when the policy is frozen. */
export const approvalStepSchema = z
  .object({
    group: z
      .string()
      .refine(g => g === 'owner' || /^group:[^/]+\/.+$/.test(g), {
        message: "must be 'owner' or a group entity ref like group:default/security-reviewers",
      }),
    count: z.number().int().min(1).max(10),
  })
  .strict();

export const accessRoleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    title: singleLineText({ max: 200, min: 1 }),
    description: freeText({ max: 4096 }).optional(),
    allows: z.array(z.string().min(1)).min(1),
    privilege: z.number().int().min(1),
    provisioner: z.object({ type: z.string().min(1) }).catchall(z.unknown()).optional(),
    approvals: z.array(approvalStepSchema).default([]),
    selfService: z.boolean().optional(),
  })
  .strict();

/** Validates a policy YAML file (after parsing). */
export const accessPolicySchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    kind: z.enum(['rigid', 'flexible']),
    title: singleLineText({ max: 200 }).optional(),
    description: freeText({ max: 4096 }).optional(),
    maxDurationMinutes: z.number().int().min(1).max(60 * 24 * 14),
    requireJustification: z.boolean().default(true),
    requireTicket: z.boolean().default(false),
    ticketPattern: z.string().optional(),
    decisionTimeoutMinutes: z.number().int().min(1).max(60 * 24 * 14).optional(),
    allowBreakGlass: z.boolean().optional(),
    denialsToReject: z.number().int().min(1).max(10).optional(),
    roles: z.array(accessRoleSchema).min(1),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const ids = new Set<string>();
    policy.roles.forEach((role, i) => {
      if (ids.has(role.id)) {
        ctx.addIssue({ code: 'custom', path: ['roles', i, 'id'], message: `duplicate role id ${role.id}` });
      }
      ids.add(role.id);
      if (role.selfService && policy.kind === 'rigid') {
        ctx.addIssue({
          code: 'custom',
          path: ['roles', i, 'selfService'],
          message: 'rigid policies cannot have self-service roles',
        });
      }
      if (!role.selfService && role.approvals.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['roles', i, 'approvals'],
          message: 'a role that is not self-service needs at least one approval step',
        });
      }
      if (role.selfService && role.approvals.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['roles', i, 'approvals'],
          message: 'a self-service role must not list approval steps',
        });
      }
    });
    if (policy.kind === 'rigid' && policy.denialsToReject !== undefined && policy.denialsToReject !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['denialsToReject'],
        message: 'rigid policies always end on the first denial',
      });
    }
    if (policy.ticketPattern) {
      try {
        RegExp(policy.ticketPattern);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['ticketPattern'], message: 'not a valid regular expression' });
      }
    }
  });

/**
 * Client input. Every string goes through `@internal/input-validation`: entity refs are parsed
 * and normalized (`kind:namespace/name`, lower case), free text refuses control characters,
 * bare CR, ANSI escapes and bidirectional overrides (a 400 naming the field).
 */
const entityRef = entityRefSchema;
const roleId = z.string().max(100).regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a role id (lowercase letters, digits and dashes)');
const justification = freeText({ max: 4096 });
const ticket = singleLineText({ max: 256 });
const comment = freeText({ max: 4096 });

export const createRequestBodySchema = z
  .object({
    resourceRef: entityRef,
    roleId,
    durationMinutes: z.number().int().min(1),
    justification: justification.optional(),
    ticket: ticket.optional(),
  })
  .strict();

export const reviewBodySchema = z
  .object({
    decision: z.enum(['approve', 'deny']),
    comment: comment.optional(),
  })
  .strict();

export const revokeBodySchema = z.object({ reason: freeText({ max: 4096, min: 1 }) }).strict();

export const renewBodySchema = z
  .object({
    durationMinutes: z.number().int().min(1),
    justification: justification.optional(),
    ticket: ticket.optional(),
  })
  .strict();

export const breakGlassBodySchema = z
  .object({
    resourceRef: entityRef,
    roleId,
    durationMinutes: z.number().int().min(1).max(BREAK_GLASS_MAX_MINUTES),
    justification: freeText({ max: 4096, min: BREAK_GLASS_MIN_JUSTIFICATION, trim: true }),
  })
  .strict();

export const postHocReviewBodySchema = z
  .object({
    decision: z.enum(['confirm', 'flag']),
    comment: freeText({ max: 4096, min: 1 }),
  })
  .strict();

export const listRequestsQuerySchema = z.object({
  scope: z.enum(['mine', 'inbox', 'reviewed', 'all']).default('mine'),
  resourceRef: entityRef.optional(),
  status: z.enum(['pending', 'approved', 'denied', 'expired', 'withdrawn']).optional(),
});

/** GET /decision-times: how long decided requests on a resource (or its policy) took. */
export const decisionTimeQuerySchema = z.object({
  resourceRef: entityRef,
  policy: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a policy name: lowercase letters, digits and dashes').max(200).optional(),
});

export const listGrantsQuerySchema = z.object({
  scope: z.enum(['mine', 'all']).default('mine'),
  resourceRef: entityRef.optional(),
  status: z.enum(['scheduled', 'active', 'expired', 'revoked', 'failed']).optional(),
});

export const clockBodySchema = z.object({ advanceSeconds: z.number().int().min(0).max(60 * 60 * 24 * 30) }).strict();

export type CreateRequestBody = z.infer<typeof createRequestBodySchema>;
export type ReviewBody = z.infer<typeof reviewBodySchema>;
export type BreakGlassBody = z.infer<typeof breakGlassBodySchema>;
export type PostHocReviewBody = z.infer<typeof postHocReviewBodySchema>;
export type RenewBody = z.infer<typeof renewBodySchema>;

/** "field: reason; field: reason" from a zod error, for 400 responses. */
export { describeZodError } from '@internal/input-validation';
