import {
  createBaseThemeOptions,
  createUnifiedTheme,
  defaultComponentThemes,
  genPageTheme,
  palettes,
  shapes,
  UnifiedThemeProvider,
} from '@backstage/theme';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { ThemeBlueprint } from '@backstage/plugin-app-react';
import DarkIcon from '@material-ui/icons/Brightness2';
import LightIcon from '@material-ui/icons/WbSunny';

/**
 * Every page header of the portal looks the same: the home page uses themeId "home", the
 * families "tool", the catalog "home"/"service"…; here each page theme is the same Frontier
 * Guard header (UX.md: one header style), so no page looks like it belongs to another product.
 */
const frontierGuardHeader = genPageTheme({ colors: ['#005B4B', '#0E7C6B'], shape: shapes.wave });

const PAGE_THEME_IDS = [
  'home',
  'documentation',
  'tool',
  'service',
  'website',
  'library',
  'other',
  'app',
  'apis',
  'card',
] as const;

export const portalPageTheme = Object.fromEntries(PAGE_THEME_IDS.map(id => [id, frontierGuardHeader]));

/**
 * Tables (Backstage's Table) pad a short page with empty filler rows up to the page size, and
 * show "No records to display" in a row as tall as a full page: 600 pixels and more of nothing.
 * Filler rows (empty <tr>) are not shown, and the message row is one row high.
 */
const defaultTableRow = defaultComponentThemes?.MuiTableRow?.styleOverrides?.root;
export const tableRowOverrides = {
  '&:empty': { display: 'none' },
  '&:has(> td[colspan]:only-child)': { height: 'auto !important' },
  '& > td[colspan]:only-child': { paddingTop: '16px !important', paddingBottom: '16px !important' },
};
const components = {
  MuiTableRow: {
    ...defaultComponentThemes?.MuiTableRow,
    styleOverrides: {
      ...defaultComponentThemes?.MuiTableRow?.styleOverrides,
      root: (props: any) => ({
        ...((typeof defaultTableRow === 'function' ? defaultTableRow(props) : defaultTableRow) as object),
        ...tableRowOverrides,
      }),
    },
  },
};

const lightTheme = createUnifiedTheme({
  ...createBaseThemeOptions({ palette: palettes.light }),
  pageTheme: portalPageTheme,
  defaultPageTheme: 'home',
  components,
});

const darkTheme = createUnifiedTheme({
  ...createBaseThemeOptions({ palette: palettes.dark }),
  pageTheme: portalPageTheme,
  defaultPageTheme: 'home',
  components,
});

/** theme:app/light and theme:app/dark, replacing the built-in ones (same ids, same titles). */
const light = ThemeBlueprint.make({
  name: 'light',
  params: {
    theme: {
      id: 'light',
      title: 'Light Theme',
      variant: 'light',
      icon: <LightIcon />,
      Provider: ({ children }) => <UnifiedThemeProvider theme={lightTheme} children={children} />,
    },
  },
});

const dark = ThemeBlueprint.make({
  name: 'dark',
  params: {
    theme: {
      id: 'dark',
      title: 'Dark Theme',
      variant: 'dark',
      icon: <DarkIcon />,
      Provider: ({ children }) => <UnifiedThemeProvider theme={darkTheme} children={children} />,
    },
  },
});

export const themeModule = createFrontendModule({
  pluginId: 'app',
  extensions: [light, dark],
});
