import type express from 'express';
import type {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';

/** The identity to record for a caller: the user's entity ref, or `service:<subject>`. */
export function principalRef(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (principal.type === 'user' && principal.userEntityRef) {
    return principal.userEntityRef;
  }
  if (principal.type === 'service' && principal.subject) {
    return `service:${principal.subject}`;
  }
  return 'unknown';
}

/**
 * Authenticates the caller (user or service) and checks one basic permission; throws
 * NotAllowedError (403) naming the permission when the policy does not allow it.
 */
export async function authorizeRequest(
  services: { httpAuth: HttpAuthService; permissions: PermissionsService },
  req: express.Request,
  permission: BasicPermission,
): Promise<BackstageCredentials> {
  const credentials = await services.httpAuth.credentials(req, {
    allow: ['user', 'service'],
  });
  const [decision] = await services.permissions.authorize([{ permission }], {
    credentials,
  });
  if (decision.result !== AuthorizeResult.ALLOW) {
    throw new NotAllowedError(
      `Not allowed: the permission ${permission.name} is required`,
    );
  }
  return credentials;
}
