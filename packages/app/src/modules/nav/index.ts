import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SidebarContent } from './Sidebar';
import { portalPageLayout } from './PortalPageLayout';

export const navModule = createFrontendModule({
  pluginId: 'app',
  extensions: [SidebarContent, portalPageLayout],
});
