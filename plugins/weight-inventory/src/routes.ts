import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The inventory page, mounted at /weight-inventory. */
export const rootRouteRef = createRouteRef();
