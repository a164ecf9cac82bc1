import {
  coreExtensionData,
  createExtensionInput,
  createFrontendModule,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import HomeIcon from '@material-ui/icons/Home';
import ListIcon from '@material-ui/icons/ListAlt';

/**
 * page:app/home — "what needs me?". Families add cards through the `cards` input:
 * an extension with `attachTo: { id: 'page:app/home', input: 'cards' }` and output
 * `coreExtensionData.reactElement` (see ./cards.tsx).
 */
const homePage = PageBlueprint.makeWithOverrides({
  name: 'home',
  inputs: {
    cards: createExtensionInput([coreExtensionData.reactElement]),
  },
  factory(originalFactory, { inputs }) {
    const cards = inputs.cards.map(c => c.get(coreExtensionData.reactElement));
    return originalFactory({
      path: '/',
      title: 'Home',
      icon: <HomeIcon fontSize="inherit" />,
      noHeader: true,
      loader: async () => {
        const { HomePage } = await import('./HomePage');
        return <HomePage cards={cards} />;
      },
    });
  },
});

/** page:app/controls — the controls catalog, one click from home. */
const controlsPage = PageBlueprint.make({
  name: 'controls',
  params: {
    path: '/controls',
    title: 'Controls',
    icon: <ListIcon fontSize="inherit" />,
    noHeader: true,
    loader: async () => {
      const { ControlsOverview } = await import('./ControlsOverview');
      return <ControlsOverview />;
    },
  },
});

export const homeModule = createFrontendModule({
  pluginId: 'app',
  extensions: [homePage, controlsPage],
});
