import { createFrontendModule, PageBlueprint } from '@backstage/frontend-plugin-api';
import HomeIcon from '@material-ui/icons/Home';

const homePage = PageBlueprint.make({
  name: 'home',
  params: {
    path: '/',
    title: 'Home',
    icon: <HomeIcon fontSize="inherit" />,
    noHeader: true,
    loader: async () => {
      const { ControlsOverview } = await import('./ControlsOverview');
      return <ControlsOverview />;
    },
  },
});

export const homeModule = createFrontendModule({
  pluginId: 'app',
  extensions: [homePage],
});
