import { ReactElement } from 'react';
import { Content, Header, Link, Page } from '@backstage/core-components';
import { Box, makeStyles, Typography } from '@material-ui/core';
import { appHomeCards } from './cards';

const useStyles = makeStyles(theme => ({
  // A grid of cards in which a card with nothing to say (it renders null, so its cell is
  // empty) takes no space: no holes between the cards that do say something.
  cards: {
    display: 'grid',
    gap: theme.spacing(3),
    gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 480px), 1fr))',
    alignItems: 'start',
    '& > div': { minWidth: 0 },
    '& > div:empty': { display: 'none' },
  },
}));

/**
 * The home page: "what needs me?" for the person signed in. Cards come from the families
 * (extensions attached to page:app/home, input `cards`) and from ./cards.tsx; each shows
 * only what concerns the person (a card with nothing to say renders nothing).
 */
export function HomePage(props: { cards: ReactElement[] }) {
  const classes = useStyles();
  const cards = [...props.cards, ...appHomeCards.map(c => c.element)];
  return (
    <Page themeId="home">
      <Header title="Frontier Guard" subtitle="What needs you now" />
      <Content>
        <div className={classes.cards} data-testid="home-cards">
          {cards.map((card, i) => (
            <div key={card.key ?? i} data-testid="home-card-cell">
              {card}
            </div>
          ))}
        </div>
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
