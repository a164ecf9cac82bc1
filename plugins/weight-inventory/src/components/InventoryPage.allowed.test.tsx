import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { weightInventoryApiRef } from '../api';
import { InventoryPage } from './InventoryPage';

// a separate file: usePermission caches decisions per permission for the whole test file
describe('InventoryPage (may refresh)', () => {
  it('offers refresh to those allowed and explains an empty inventory', async () => {
    const api = { listStores: jest.fn().mockResolvedValue({ items: [] }) };
    const permissions = { authorize: async () => ({ result: AuthorizeResult.ALLOW }) };
    await renderInTestApp(<InventoryPage />, {
      apis: [[weightInventoryApiRef, api as any], [permissionApiRef, permissions as any]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    expect(await screen.findByRole('button', { name: /Refresh now/ })).toBeInTheDocument();
    expect(await screen.findByText('No stores yet')).toBeInTheDocument();
  }, 30_000);
});
