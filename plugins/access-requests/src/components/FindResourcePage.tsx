import { useEffect, useState } from 'react';
import {
  Content,
  InfoCard,
  Page,
  Progress,
} from '@backstage/core-components';
import {
  useApi,
  useAppNavigate,
  useRouteRef,
} from '@backstage/frontend-plugin-api';
import { Box, Button, Grid, TextField, Tooltip, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import {
  ResourceListItem,
  RoleSuggestion,
} from '@internal/plugin-access-requests-common';
import { useSearchParams } from 'react-router-dom';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { requestRouteRef, rootRouteRef } from '../routes';
import { NotFoundPanel, isNotFound } from './NotFoundPanel';
import { describeError } from './format';
import { AccessHeader } from './AccessHeader';
import { RequestForm } from './RequestForm';
import { BreakGlassButton } from './BreakGlass';
import { ApprovalSteps } from './PolicySummary';
import { formatMinutes } from './format';
import { AllowedActions, PolicyTitle } from './Names';
import { describePolicyKind } from './permissionWords';

export function SuggestionBanner(props: {
  suggestion: RoleSuggestion;
  resources: ResourceListItem[];
}) {
  const { suggestion, resources } = props;
  const resource = resources.find(r => r.entityRef === suggestion.resourceRef);
  const role = resource?.policy.roles.find(r => r.id === suggestion.roleId);
  return (
    <Alert severity="info" data-testid="role-suggestion">
      <Typography variant="body1">
        Suggested: <strong>{role?.title ?? suggestion.roleId}</strong> on{' '}
        <strong>{resource?.title ?? suggestion.resourceRef}</strong>
      </Typography>
      <Typography variant="body2">{suggestion.explanation}</Typography>
      <Typography variant="caption" data-testid="suggestion-source" data-source={suggestion.source}>
        {suggestion.source === 'llm'
          ? 'Suggested by a language model and checked against the policy.'
          : 'Suggested as the narrowest role that covers what you described.'}{' '}
        The suggestion never changes who must approve.
      </Typography>
      {suggestion.rejectedLlmSuggestion && (
        <Typography variant="caption" display="block">
          The model proposed {suggestion.rejectedLlmSuggestion.roleId};
          rejected: {suggestion.rejectedLlmSuggestion.reason}
        </Typography>
      )}
    </Alert>
  );
}

function ResourceCard(props: {
  item: ResourceListItem;
  onRequest: () => void;
  suggested?: boolean;
}) {
  const { item, onRequest, suggested } = props;
  return (
    <InfoCard
      title={item.title}
      subheader={item.type ? item.type.replace(/-/g, ' ') : undefined}
    >
      <Box data-testid="resource-result" data-entity-ref={item.entityRef}>
        <Typography variant="body2" paragraph>
          {item.description}
        </Typography>
        <Typography variant="body2">
          <PolicyTitle policy={item.policy} /> policy ·{' '}
          <Tooltip title={`Policy kind: ${item.policy.kind}`}>
            <span data-testid="policy-kind" data-kind={item.policy.kind}>{describePolicyKind(item.policy.kind)}</span>
          </Tooltip>{' '}
          · at most {formatMinutes(item.policy.maxDurationMinutes)}
        </Typography>
        <ul>
          {item.policy.roles.map(r => (
            <li key={r.id}>
              <Typography variant="body2">
                <Tooltip title={`Role id: ${r.id}`}><strong>{r.title}</strong></Tooltip>:{' '}
                <AllowedActions allows={r.allows} /> — needs <ApprovalSteps role={r} />
              </Typography>
            </li>
          ))}
        </ul>
        <Button
          variant={suggested ? 'contained' : 'outlined'}
          color="primary"
          onClick={onRequest}
          aria-label={`Request access to ${item.title}`}
        >
          Request access
        </Button>
      </Box>
    </InfoCard>
  );
}

/** /access: search resources, see the suggested role, request access. */
export function FindResourcePage() {
  const api = useApi(accessRequestsApiRef);
  const navigate = useAppNavigate();
  const requestLink = useRouteRef(requestRouteRef);
  const root = useRouteRef(rootRouteRef);
  const [searchParams] = useSearchParams();
  const preselected = searchParams.get('resource') ?? undefined;
  const preselectedRole = searchParams.get('role') ?? undefined;
  const [query, setQuery] = useState(searchParams.get('query') ?? '');
  const [results, setResults] = useState<{
    items: ResourceListItem[];
    suggestion?: RoleSuggestion;
  }>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error>();
  const [selected, setSelected] = useState<ResourceListItem>();

  // Lists start populated: every requestable resource until the person searches.
  useEffect(() => {
    if (preselected) return undefined;
    let cancelled = false;
    api.searchResources(searchParams.get('query') ?? '').then(
      found => !cancelled && setResults(found),
      e => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, preselected]);

  // From an entity's "Request access" button or "Request again": load that resource directly.
  useEffect(() => {
    if (!preselected) return undefined;
    let cancelled = false;
    api.getResource(preselected).then(
      details => {
        if (cancelled) return;
        setSelected({
          entityRef: details.entityRef,
          title: details.title ?? details.entityRef,
          description: '',
          policy: details.policy,
        });
      },
      e => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [api, preselected]);

  const search = async () => {
    setError(undefined);
    setLoading(true);
    try {
      const found = await api.searchResources(query.trim());
      setResults(found);
      setSelected(undefined);
    } catch (e: any) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  const suggestion = results?.suggestion;
  return (
    <Page themeId="tool">
      <AccessHeader
        title="Access"
        subtitle="Find a resource, get the narrowest role that does the job, and ask for it"
        tab="find"
      />
      <Content>
        <Grid container spacing={3}>
          <Grid item xs={12}>
            <InfoCard title="What do you need access to?">
              <Box
                component="form"
                display="flex"
                style={{ gap: 8 }}
                onSubmit={(e: any) => {
                  e.preventDefault();
                  search();
                }}
              >
                <TextField
                  id="resource-search"
                  label="Describe the resource and what you need to do"
                  placeholder="e.g. read the frontier 7b weights for evaluation"
                  fullWidth
                  value={query}
                  onChange={e => setQuery(e.target.value)}
                />
                <Button type="submit" variant="contained" color="primary">
                  Search
                </Button>
              </Box>
            </InfoCard>
          </Grid>
          {loading && (
            <Grid item xs={12}>
              <Progress />
            </Grid>
          )}
          {error && (
            <Grid item xs={12}>
              {isNotFound(error) ? (
                <NotFoundPanel what="resource" backTo={root?.()} backLabel="Show all requestable resources" />
              ) : (
                <Alert severity="error">{describeError(error)}</Alert>
              )}
            </Grid>
          )}
          {suggestion && results && (
            <Grid item xs={12}>
              <SuggestionBanner
                suggestion={suggestion}
                resources={results.items}
              />
            </Grid>
          )}
          {selected && (
            <Grid item xs={12}>
              <InfoCard>
                <RequestForm
                  key={selected.entityRef}
                  resourceRef={selected.entityRef}
                  resourceTitle={selected.title}
                  policy={selected.policy}
                  suggestedRoleId={
                    suggestion?.resourceRef === selected.entityRef
                      ? suggestion.roleId
                      : preselectedRole
                  }
                  onCreated={request => {
                    if (requestLink) navigate(`${requestLink({ id: request.id })}?submitted=1`);
                  }}
                />
                <Box mt={3}>
                  <BreakGlassButton
                    key={`bg-${selected.entityRef}`}
                    resourceRef={selected.entityRef}
                    resourceTitle={selected.title}
                    policy={selected.policy}
                  />
                </Box>
              </InfoCard>
            </Grid>
          )}
          {results && results.items.length === 0 && (
            <Grid item xs={12}>
              <Typography>
                No requestable resource matches. Try other words (e.g. the model or cluster name), or
                clear the search to see every resource.
              </Typography>
            </Grid>
          )}
          {results?.items.map(item => (
            <Grid item xs={12} md={6} key={item.entityRef}>
              <ResourceCard
                item={item}
                suggested={suggestion?.resourceRef === item.entityRef}
                onRequest={() => setSelected(item)}
              />
            </Grid>
          ))}
        </Grid>
      </Content>
    </Page>
  );
}
