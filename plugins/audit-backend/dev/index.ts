/*
 * Stand-alone dev backend for the audit plugin: `yarn start` in this package.
 * Requests without a token count as user:default/dave, and the permission framework is off
 * (everything allowed), so `curl localhost:7007/api/audit/events` works.
 */
import { createBackend } from '@backstage/backend-defaults';
import {
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import { auditorServiceFactory } from '../src';

const backend = createBackend();
backend.add(mockServices.auth.factory());
backend.add(
  mockServices.httpAuth.factory({
    defaultCredentials: mockCredentials.user('user:default/dave'),
  }),
);
backend.add(auditorServiceFactory);
backend.add(import('../src'));
backend.start();
