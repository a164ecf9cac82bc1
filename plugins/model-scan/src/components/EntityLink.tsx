import { Link } from '@backstage/core-components';
import { parseEntityRef } from '@backstage/catalog-model';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';

/** An entity by display name, linking to its catalog page (/catalog/:namespace/:kind/:name). */
export function EntityLink(props: { entityRef: string }) {
  const name = <EntityDisplayName entityRef={props.entityRef} hideIcon />;
  try {
    const { kind, namespace, name: n } = parseEntityRef(props.entityRef);
    return (
      <Link to={`/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(kind.toLowerCase())}/${encodeURIComponent(n)}`} data-testid="entity-link">
        {name}
      </Link>
    );
  } catch {
    return name;
  }
}
