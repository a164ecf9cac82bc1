import { ReactNode } from 'react';
import { Content, Header, Page } from '@backstage/core-components';
import { CatalogTable, CatalogTableColumnsFunc, CatalogTableRow } from '@backstage/plugin-catalog';
import {
  CatalogFilterLayout,
  DefaultFilters,
  EntityListProvider,
  useStarredEntities,
} from '@backstage/plugin-catalog-react';
import StarIcon from '@material-ui/icons/Star';
import StarBorderIcon from '@material-ui/icons/StarBorder';

/**
 * The catalog's columns, fitted to the portal at 1440 pixels: the default columns of the catalog
 * without the System column when nothing listed belongs to a system, without the Tags column
 * (tags are a filter on the left and on each entity's page), and a name column wide enough that
 * names wrap between words, never letter by letter.
 */
export const portalCatalogColumns: CatalogTableColumnsFunc = context => {
  const anySystem = context.entities.some(e => (e.spec as { system?: unknown } | undefined)?.system);
  return CatalogTable.defaultColumnsFunc(context)
    .filter(c => anySystem || c.field !== 'resolved.partOfSystemRelationTitle')
    .filter(c => c.field !== 'entity.metadata.tags')
    .map(c =>
      c.field === 'resolved.entityRef'
        ? { ...c, cellStyle: { ...(c.cellStyle as object), minWidth: 160, wordBreak: 'normal', overflowWrap: 'normal' } }
        : c,
    );
};

/**
 * The one row action kept: star (the "Starred" filter lists them). The catalog's "view source"
 * and "edit" actions open the catalog files, which the portal's users cannot reach or change.
 */
function useStarAction() {
  const { isStarredEntity, toggleStarredEntity } = useStarredEntities();
  return [
    ({ entity }: CatalogTableRow) => {
      const starred = isStarredEntity(entity);
      const title = entity.metadata.title ?? entity.metadata.name;
      return {
        icon: () => (starred ? <StarIcon fontSize="small" /> : <StarBorderIcon fontSize="small" />),
        tooltip: starred ? `Remove ${title} from starred` : `Star ${title}`,
        onClick: () => toggleStarredEntity(entity),
      };
    },
  ];
}

/**
 * /catalog with the portal's header (the same Page + Header as every other page) instead of
 * the catalog's own header style, and the filters that the catalog's filter extensions provide.
 */
export function CatalogIndexPage(props: { filters: ReactNode[] }) {
  return (
    <EntityListProvider pagination>
      <CatalogIndexContent filters={props.filters} />
    </EntityListProvider>
  );
}

function CatalogIndexContent(props: { filters: ReactNode[] }) {
  const actions = useStarAction();
  return (
    <Page themeId="home">
      <Header title="Catalog" subtitle="Models, weight stores, clusters, teams and people the portal knows" />
      <Content>
        <CatalogFilterLayout>
          <CatalogFilterLayout.Filters>
            {props.filters.length ? props.filters : <DefaultFilters initialKind="component" initiallySelectedFilter="all" />}
          </CatalogFilterLayout.Filters>
          <CatalogFilterLayout.Content>
            <div data-testid="catalog-table">
              <CatalogTable columns={portalCatalogColumns} actions={actions} tableOptions={{ padding: 'dense' }} />
            </div>
          </CatalogFilterLayout.Content>
        </CatalogFilterLayout>
      </Content>
    </Page>
  );
}
