import { Header, LinkButton } from '@backstage/core-components';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { Box } from '@material-ui/core';
import { inboxRouteRef, myAccessRouteRef, rootRouteRef } from '../routes';

/** Header with links between the access pages. */
export function AccessHeader(props: { title: string; subtitle?: string }) {
  const root = useRouteRef(rootRouteRef);
  const mine = useRouteRef(myAccessRouteRef);
  const inbox = useRouteRef(inboxRouteRef);
  return (
    <Header title={props.title} subtitle={props.subtitle}>
      <Box display="flex" style={{ gap: 8 }}>
        {root && (
          <LinkButton to={root()} variant="outlined" color="inherit">
            Find a resource
          </LinkButton>
        )}
        {mine && (
          <LinkButton to={mine()} variant="outlined" color="inherit">
            My requests
          </LinkButton>
        )}
        {inbox && (
          <LinkButton to={inbox()} variant="outlined" color="inherit">
            Reviewer inbox
          </LinkButton>
        )}
      </Box>
    </Header>
  );
}
