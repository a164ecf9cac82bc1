/**
 * Where the compensating-control check reads findings. The weight-inventory family owns posture
 * findings and serves them over HTTP (typed client in `@internal/plugin-weight-inventory-common`);
 * this interface is the one thing the check needs from it, so the HTTP adapter is the only code
 * that knows the inventory's API.
 */
export type PostureStatus = 'pass' | 'fail' | 'unknown';

export interface PostureFinding {
  controlId: string;
  findingKey: string;
  status: PostureStatus;
  message?: string;
}

export interface PostureSource {
  /**
   * Current findings of `controlId` on `entityRef`, or `undefined` when the source has nothing
   * on that entity (not assessed: the check records "unknown", it does not suspend).
   */
  findings(entityRef: string, controlId: string): Promise<PostureFinding[] | undefined>;
}

/** Used when no posture source is configured: every catalog compensating control is "unknown". */
export const noPostureSource: PostureSource = {
  async findings() {
    return undefined;
  },
};
