import { ReactNode } from 'react';
import { useMayReadAlerts } from './common';

/** Renders its children (the sidebar's "Detections" item) only for people who may read alerts. */
export function DetectionsNavGate(props: { children: ReactNode }) {
  const allowed = useMayReadAlerts();
  return allowed.allowed ? <>{props.children}</> : null;
}
