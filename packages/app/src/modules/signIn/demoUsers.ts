/** The demo users of catalog/org.yaml, offered on the demo sign-in page. */
export const DEMO_USERS = [
  { name: 'alice', displayName: 'Alice', role: 'Researcher' },
  { name: 'erin', displayName: 'Erin', role: 'Researcher' },
  { name: 'bob', displayName: 'Bob', role: 'Security reviewer' },
  { name: 'carol', displayName: 'Carol', role: 'Security reviewer' },
  { name: 'dave', displayName: 'Dave', role: 'Platform admin' },
] as const;

/** Header read by the backend's demo auth provider (packages/backend/src/auth/demoSignIn.ts). */
export const DEMO_USER_HEADER = 'x-frontier-guard-demo-user';
export const DEMO_USER_STORAGE_KEY = 'frontier-guard.demo-user';
