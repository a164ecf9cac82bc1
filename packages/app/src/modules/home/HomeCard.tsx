import { ReactNode } from 'react';
import { InfoCard, Link } from '@backstage/core-components';

/** The frame of a home card: a title, what needs the person, and a link to the full page. */
export function HomeCard(props: { title: string; linkTo?: string; linkLabel?: string; children: ReactNode; testId?: string }) {
  return (
    <InfoCard
      title={props.title}
      deepLink={props.linkTo ? { title: props.linkLabel ?? 'Open', link: props.linkTo } : undefined}
    >
      <div data-testid={props.testId ?? 'home-card'}>{props.children}</div>
    </InfoCard>
  );
}

export { Link };
