import { EmptyState, LinkButton } from '@backstage/core-components';
import { Box } from '@material-ui/core';

/** True when a client error is a 404 (ResponseError from the typed client). */
export function isNotFound(error: unknown): boolean {
  const e = error as { response?: { status?: number }; statusCode?: number; name?: string };
  return e?.response?.status === 404 || e?.statusCode === 404 || e?.name === 'NotFoundError';
}

/** A friendly "not found" with a way back, never a stack trace. */
export function NotFoundPanel(props: { what: string; backTo?: string; backLabel: string }) {
  return (
    <Box data-testid="not-found">
      <EmptyState
        missing="content"
        title={`This ${props.what} does not exist, or you may not see it`}
        description={`The link may be mistyped, or the ${props.what} belongs to someone else. Nothing was changed.`}
        action={
          props.backTo ? (
            <LinkButton to={props.backTo} variant="contained" color="primary">
              {props.backLabel}
            </LinkButton>
          ) : undefined
        }
      />
    </Box>
  );
}
