import { Link } from '@backstage/core-components';
import { parseEntityRef } from '@backstage/catalog-model';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';
import { Tooltip } from '@material-ui/core';
import { Fragment } from 'react';
import { FrozenPolicySummary } from '@internal/plugin-access-requests-common';
import { describeAllows } from './permissionWords';

/** The catalog page of an entity (the catalog plugin's entity route: /catalog/:namespace/:kind/:name). */
export function catalogEntityPath(entityRef: string): string | undefined {
  try {
    const { kind, namespace, name } = parseEntityRef(entityRef);
    return `/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(kind.toLowerCase())}/${encodeURIComponent(name)}`;
  } catch {
    return undefined;
  }
}

/** A person or group by display name (the ref only in the tooltip); `link` links to its catalog page. */
export function PersonName(props: { entityRef: string; link?: boolean }) {
  const name = <EntityDisplayName entityRef={props.entityRef} hideIcon />;
  const path = props.link ? catalogEntityPath(props.entityRef) : undefined;
  return path ? <Link to={path}>{name}</Link> : name;
}

/** A resource by title (or display name), linking to its catalog page. */
export function ResourceLink(props: { entityRef: string; title?: string }) {
  const name = props.title ?? <EntityDisplayName entityRef={props.entityRef} hideIcon />;
  const path = catalogEntityPath(props.entityRef);
  return path ? (
    <Link to={path} data-testid="resource-link">
      {name}
    </Link>
  ) : (
    <>{name}</>
  );
}

/** A role by its title, with the id in a tooltip. */
export function RoleTitle(props: { roleId: string; policy?: Pick<FrozenPolicySummary, 'roles'> }) {
  const role = props.policy?.roles.find(r => r.id === props.roleId);
  return (
    <Tooltip title={`Role id: ${props.roleId}`}>
      <span data-testid="role-title">{role?.title ?? props.roleId}</span>
    </Tooltip>
  );
}

/**
 * What a role allows, in words ("Read and list pods, list nodes"); each phrase shows the exact
 * policy values it stands for on hover ("pods:get, pods:list") and keeps them in data-permissions.
 */
export function AllowedActions(props: { allows: readonly string[] }) {
  const actions = describeAllows(props.allows);
  if (!actions.length) return <span data-testid="allowed-actions">nothing</span>;
  return (
    <span data-testid="allowed-actions">
      {actions.map((a, i) => (
        <Fragment key={a.permissions.join(' ')}>
          {i > 0 && ', '}
          <Tooltip title={`Policy value: ${a.permissions.join(', ')}`}>
            <span data-testid="allowed-action" data-permissions={a.permissions.join(' ')}>
              {i === 0 ? a.text : a.text.charAt(0).toLocaleLowerCase('en-US') + a.text.slice(1)}
            </span>
          </Tooltip>
        </Fragment>
      ))}
    </span>
  );
}

/** A policy by its title, with its id (the YAML file's name) on hover. */
export function PolicyTitle(props: { policy: Pick<FrozenPolicySummary, 'name' | 'title'> }) {
  return (
    <Tooltip title={`Policy id: ${props.policy.name}`}>
      <strong data-testid="policy-title" data-policy={props.policy.name}>
        {props.policy.title ?? props.policy.name}
      </strong>
    </Tooltip>
  );
}
