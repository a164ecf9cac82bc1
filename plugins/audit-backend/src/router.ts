import express from 'express';
import Router from 'express-promise-router';
import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  auditEventsQuerySchema,
  auditEventsReadPermission,
} from '@internal/plugin-audit-common';
import { AuditLogService } from './service/AuditLog';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  auditLog: AuditLogService;
}

/** `/api/audit`: paging through the audit trail and verifying its chain. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, auditor, auditLog } = options;
  const router = Router();
  router.use(express.json());

  async function requireReadPermission(req: express.Request) {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const [decision] = await permissions.authorize(
      [{ permission: auditEventsReadPermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `Missing permission ${auditEventsReadPermission.name}`,
      );
    }
  }

  router.get('/events', async (req, res) => {
    const parsed = auditEventsQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(
        `Invalid query parameter '${issue.path.join('.') || '(unknown)'}': ${
          issue.message
        }`,
      );
    }
    const auditorEvent = await auditor.createEvent({
      eventId: 'events-read',
      severityLevel: 'low',
      request: req,
      meta: { queryType: 'page', query: { ...parsed.data } },
    });
    try {
      await requireReadPermission(req);
      const page = await auditLog.listEvents(parsed.data);
      await auditorEvent.success({ meta: { count: page.items.length } });
      res.json(page);
    } catch (error) {
      await auditorEvent.fail({ error: error as Error });
      throw error;
    }
  });

  router.get('/verify', async (req, res) => {
    const auditorEvent = await auditor.createEvent({
      eventId: 'chain-verify',
      severityLevel: 'medium',
      request: req,
    });
    try {
      await requireReadPermission(req);
      const result = await auditLog.verify();
      await auditorEvent.success({
        meta: {
          ok: result.ok,
          checked: result.checked,
          ...(result.ok
            ? {}
            : {
                firstBrokenSeq: result.firstBrokenSeq!,
                reason: result.reason!,
              }),
        },
      });
      res.json(result);
    } catch (error) {
      await auditorEvent.fail({ error: error as Error });
      throw error;
    }
  });

  return router;
}
