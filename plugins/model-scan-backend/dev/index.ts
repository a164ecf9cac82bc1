/*
 * Runs the plugin alone for development: `yarn start` in this folder, then e.g.
 *   curl -F file=@model.pkl http://localhost:7007/api/model-scan/scans/upload
 * Requests without a token count as user:default/mock (mock auth); permissions allow everything.
 */
import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';

const backend = createBackend();
backend.add(mockServices.auth.factory());
backend.add(mockServices.httpAuth.factory());
backend.add(
  mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
);
backend.add(import('../src'));
backend.start();
