import { ReactElement } from 'react';
import { Content, Header, Link, Page } from '@backstage/core-components';
import { Box, Grid, Typography } from '@material-ui/core';
import { appHomeCards } from './cards';

/**
 * The home page: "what needs me?" for the person signed in. Cards come from the families
 * (extensions attached to page:app/home, input `cards`) and from ./cards.tsx; each shows
 * only what concerns the person (a card with nothing to say renders nothing).
 */
export function HomePage(props: { cards: ReactElement[] }) {
  const cards = [...props.cards, ...appHomeCards.map(c => c.element)];
  return (
    <Page themeId="home">
      <Header title="Frontier Guard" subtitle="What needs you now" />
      <Content>
        <Grid container spacing={3} alignItems="stretch" data-testid="home-cards">
          {cards.map((card, i) => (
            <Grid item xs={12} md={6} xl={4} key={card.key ?? i}>
              {card}
            </Grid>
          ))}
        </Grid>
        <Box mt={3}>
          <Typography variant="body2" color="textSecondary">
            The security controls this portal enforces, with their DASF, MITRE ATLAS and NIST references, are in
            the <Link to="/controls">controls catalog</Link>.
          </Typography>
        </Box>
      </Content>
    </Page>
  );
}
