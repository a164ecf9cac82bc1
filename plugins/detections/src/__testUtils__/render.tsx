import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { identityApiRef } from '@backstage/frontend-plugin-api';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { catalogApiRef, entityPresentationApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { act } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { detectionsApiRef } from '../api';
import { rootRouteRef } from '../routes';
import { BOB, fakeApi, fakePresentationApi } from './fakeApi';

export const testCatalog = catalogApiMock({
  entities: [
    { apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'erin', namespace: 'default' }, spec: { profile: { displayName: 'Erin Researcher' } } },
    { apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'bob', namespace: 'default' }, spec: { profile: { displayName: 'Bob Reviewer' } } },
    { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'weights-frontier-7b', namespace: 'default', title: 'Frontier 7B weights' }, spec: { type: 'weight-store' } },
  ],
});

/** Renders an element at `path` (opened at `at`) with the fake detections API and the given permission decisions. */
export async function renderWith(
  element: JSX.Element,
  options: { path: string; at: string; api?: ReturnType<typeof fakeApi>; permission: ReturnType<typeof mockApis.permission> },
) {
  const api = options.api ?? fakeApi();
  await renderInTestApp(
    <Routes>
      <Route path={options.path} element={element} />
    </Routes>,
    {
      apis: [
        [detectionsApiRef, api as any],
        [permissionApiRef, options.permission],
        [catalogApiRef, testCatalog],
        [entityPresentationApiRef, fakePresentationApi],
        [identityApiRef, mockApis.identity({ userEntityRef: BOB })],
      ],
      mountedRoutes: { '/detections': rootRouteRef, '/catalog/:namespace/:kind/:name': entityRouteRef },
      initialRouteEntries: [options.at],
    },
  );
  // Let the permission decisions and first fetches settle inside act, so their updates are not warned about.
  for (let i = 0; i < 5; i++) {
    await act(() => new Promise<void>(resolve => setTimeout(resolve, 0)));
  }
  return api;
}
