import { useState } from 'react';
import {
  Content,
  InfoCard,
  Page,
  Header,
  ProxiedSignInPage,
  SignInPage,
} from '@backstage/core-components';
import {
  configApiRef,
  IdentityApi,
  microsoftAuthApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import type { SignInPageProps } from '@backstage/plugin-app-react';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { DEMO_USERS, DEMO_USER_HEADER, DEMO_USER_STORAGE_KEY } from './demoUsers';

/**
 * Sign-in: Entra ID (Microsoft) in production; in the demo (`frontierGuard.signIn: demo`),
 * a choice of demo users so that a requester and two reviewers can be tried in one browser.
 */
export function FrontierGuardSignInPage(props: SignInPageProps) {
  const config = useApi(configApiRef);
  const mode = config.getOptionalString('frontierGuard.signIn') ?? 'microsoft';
  if (mode === 'demo') return <DemoSignInPage {...props} />;
  return (
    <SignInPage
      {...props}
      auto
      provider={{
        id: 'microsoft-auth-provider',
        title: 'Microsoft Entra ID',
        message: 'Sign in with your lab account (MFA required)',
        apiRef: microsoftAuthApiRef,
      }}
    />
  );
}

function withDemoSignOut(identity: IdentityApi): IdentityApi {
  return new Proxy(identity, {
    get(target, prop, receiver) {
      if (prop === 'signOut') {
        return async () => {
          window.localStorage.removeItem(DEMO_USER_STORAGE_KEY);
          await target.signOut();
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function DemoSignInPage(props: SignInPageProps) {
  const [user, setUser] = useState<string | null>(() =>
    window.localStorage.getItem(DEMO_USER_STORAGE_KEY),
  );
  if (user) {
    return (
      <ProxiedSignInPage
        {...props}
        onSignInSuccess={identity => props.onSignInSuccess(withDemoSignOut(identity))}
        provider="demo"
        headers={{ [DEMO_USER_HEADER]: user }}
        ErrorComponent={({ error }) => (
          <Page themeId="home">
            <Header title="Frontier Guard" subtitle="Demo sign-in failed" />
            <Content>
              <Typography color="error">{error?.message}</Typography>
              <Button
                variant="outlined"
                onClick={() => {
                  window.localStorage.removeItem(DEMO_USER_STORAGE_KEY);
                  setUser(null);
                }}
              >
                Choose another user
              </Button>
            </Content>
          </Page>
        )}
      />
    );
  }
  return (
    <Page themeId="home">
      <Header title="Frontier Guard" subtitle="Demo sign-in: choose who you are" />
      <Content>
        <Grid container spacing={3}>
          {DEMO_USERS.map(u => (
            <Grid item xs={12} sm={6} md={4} key={u.name}>
              <InfoCard title={u.displayName} subheader={u.role}>
                <Button
                  variant="contained"
                  color="primary"
                  aria-label={`Sign in as ${u.displayName}`}
                  onClick={() => {
                    window.localStorage.setItem(DEMO_USER_STORAGE_KEY, u.name);
                    setUser(u.name);
                  }}
                >
                  Sign in as {u.displayName}
                </Button>
              </InfoCard>
            </Grid>
          ))}
        </Grid>
      </Content>
    </Page>
  );
}
