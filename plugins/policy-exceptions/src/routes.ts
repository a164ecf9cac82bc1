import { createRouteRef, createSubRouteRef } from '@backstage/frontend-plugin-api';
import { EXCEPTIONS_APP_SUB_PATHS } from '@internal/plugin-policy-exceptions-common';

/** /policy-exceptions: my exceptions, reviewer queue, expiring, all. */
export const rootRouteRef = createRouteRef();

/** /policy-exceptions/exceptions/:id — built from the same sub-path the backend's notification links use. */
export const exceptionRouteRef = createSubRouteRef({ parent: rootRouteRef, path: EXCEPTIONS_APP_SUB_PATHS.exception });

/** /policy-exceptions/new — the request form (?entityRef=&controlId=&findingKey= prefill it). */
export const newExceptionRouteRef = createSubRouteRef({ parent: rootRouteRef, path: EXCEPTIONS_APP_SUB_PATHS.newException });
