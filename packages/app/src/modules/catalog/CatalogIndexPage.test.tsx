import { Entity } from '@backstage/catalog-model';
import { portalCatalogColumns } from './CatalogIndexPage';

function component(name: string, system?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name },
    spec: { type: 'model', owner: 'group:default/team', lifecycle: 'production', ...(system ? { system } : {}) },
  };
}

const fields = (entities: Entity[]) =>
  portalCatalogColumns({ entities, filters: { kind: { value: 'component' } } } as any).map(c => c.field);

describe('portalCatalogColumns', () => {
  it('leaves out the System column when nothing listed belongs to a system', () => {
    expect(fields([component('a'), component('b')])).not.toContain('resolved.partOfSystemRelationTitle');
    expect(fields([component('a'), component('b')])).toContain('resolved.ownedByRelationsTitle');
  });

  it('leaves out the Tags column (tags are a filter and on the entity page)', () => {
    expect(fields([component('a')])).not.toContain('entity.metadata.tags');
    expect(fields([component('a')])).toContain('entity.metadata.description');
  });

  it('keeps the System column when an entity belongs to one', () => {
    expect(fields([component('a'), component('b', 'frontier')])).toContain('resolved.partOfSystemRelationTitle');
  });

  it('gives names room to wrap between words', () => {
    const name = portalCatalogColumns({ entities: [component('a')], filters: {} } as any).find(
      c => c.field === 'resolved.entityRef',
    )!;
    expect(name.cellStyle).toMatchObject({ minWidth: 160, wordBreak: 'normal' });
  });
});
