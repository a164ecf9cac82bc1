import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import useAsync from 'react-use/esm/useAsync';

/** The signed-in user's entity ref and the refs they own/belong to (their groups). */
export function useCurrentUser(): { loading: boolean; userRef?: string; groups: string[] } {
  const identity = useApi(identityApiRef);
  const state = useAsync(() => identity.getBackstageIdentity(), [identity]);
  return {
    loading: state.loading,
    userRef: state.value?.userEntityRef,
    groups: state.value?.ownershipEntityRefs ?? [],
  };
}
