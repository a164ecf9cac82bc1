export interface Config {
  frontierGuard?: {
    /**
     * Which sign-in page the app shows: "microsoft" (Entra ID, the default) or "demo"
     * (choose one of the demo users; only with the backend's demo auth provider).
     * @visibility frontend
     */
    signIn?: 'microsoft' | 'demo';
  };
}
