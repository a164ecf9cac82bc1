import {
  coreExtensionData,
  createExtensionInput,
  createFrontendModule,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import CategoryIcon from '@material-ui/icons/Category';

/**
 * page:catalog, replaced from the app: the same route, nav item and filter extensions as the
 * catalog's own page, rendered with the portal's header and columns (./CatalogIndexPage.tsx).
 */
const catalogIndexPage = PageBlueprint.makeWithOverrides({
  inputs: {
    filters: createExtensionInput([coreExtensionData.reactElement]),
  },
  factory(originalFactory, { inputs }) {
    const filters = inputs.filters.map(f => f.get(coreExtensionData.reactElement));
    return originalFactory({
      path: '/catalog',
      routeRef: catalogPlugin.routes.catalogIndex,
      title: 'Catalog',
      icon: <CategoryIcon fontSize="inherit" />,
      noHeader: true,
      loader: async () => {
        const { CatalogIndexPage } = await import('./CatalogIndexPage');
        return <CatalogIndexPage filters={filters} />;
      },
    });
  },
});

export const catalogModule = createFrontendModule({
  pluginId: 'catalog',
  extensions: [catalogIndexPage],
});
