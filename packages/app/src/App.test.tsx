import { render, screen } from '@testing-library/react';
import App from './App';

describe('App', () => {
  it('shows the demo sign-in page with the demo users when configured for the demo', async () => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'Test' },
            backend: { baseUrl: 'http://localhost:7007' },
            frontierGuard: { signIn: 'demo' },
          },
          context: 'test',
        },
      ] as any,
    };
    window.localStorage.clear();

    render(App.createRoot());

    expect(await screen.findByRole('button', { name: 'Sign in as Alice' }, { timeout: 30000 })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sign in as Bob' })).toBeInTheDocument();
    expect(screen.getAllByText('Security reviewer')).toHaveLength(2);
    expect(screen.getByText('Platform admin')).toBeInTheDocument();
  }, 60_000);
});
