import { backLinkTarget, selectedTabIndex } from './PortalPageLayout';

describe('backLinkTarget', () => {
  it('leads from a page below a plugin back to its top page', () => {
    expect(backLinkTarget('/catalog/default/resource/training-cluster')).toBe('/catalog');
    expect(backLinkTarget('/catalog/default/resource/training-cluster/kubernetes/')).toBe('/catalog');
    expect(backLinkTarget('/settings/general', '/settings')).toBe('/settings');
  });

  it('offers no link on the top page itself', () => {
    expect(backLinkTarget('/notifications')).toBeUndefined();
    expect(backLinkTarget('/notifications/')).toBeUndefined();
    expect(backLinkTarget('/')).toBeUndefined();
  });

  it('offers no link to a titleLink the page is not below', () => {
    expect(backLinkTarget('/catalog/default/component/x', '/settings')).toBeUndefined();
  });
});

describe('selectedTabIndex', () => {
  const tabs = [{ href: '/settings' }, { href: '/settings/auth-providers' }, { href: '/settings/feature-flags/' }];
  it('picks the longest matching tab', () => {
    expect(selectedTabIndex(tabs, '/settings')).toBe(0);
    expect(selectedTabIndex(tabs, '/settings/auth-providers')).toBe(1);
    expect(selectedTabIndex(tabs, '/settings/feature-flags/x')).toBe(2);
  });
  it('falls back to the first tab', () => {
    expect(selectedTabIndex(tabs, '/elsewhere')).toBe(0);
  });
});
