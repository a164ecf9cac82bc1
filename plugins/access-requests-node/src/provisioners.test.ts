import { accessProvisionersExtensionPoint } from './provisioners';

describe('accessProvisionersExtensionPoint', () => {
  it('has the id the access-requests plugin and modules agree on', () => {
    expect(accessProvisionersExtensionPoint.id).toBe(
      'access-requests.provisioners',
    );
  });
});
