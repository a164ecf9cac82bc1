import { GrantIndex, type DetectionEvent, type ExportedGrant } from '@internal/detection-rules';
import { GrantDirectory, type CatalogNames } from '../domain/grants';

/** Stands for "some grant" while the export has not been read yet: the rule stays quiet. */
const NOT_LOADED: ExportedGrant = {
  id: 'grants-not-loaded',
  user: { ref: '' },
  resource: { ref: '' },
  start: '1970-01-01T00:00:00Z',
  end: '9999-12-31T00:00:00Z',
};

/**
 * The grant index the engine asks ("had this principal a grant on this blob then?"), refreshed
 * from the access-requests grant export without rebuilding the engine (its windows are state).
 * Until the first export arrives nobody is reported as reading without a grant: an unknown
 * answer must not raise alerts on every weight-store read.
 */
export class LiveGrantIndex extends GrantIndex {
  private inner = new GrantIndex([]);
  private dir = new GrantDirectory([]);
  private grantList: ExportedGrant[] = [];
  loadedAt?: Date;

  constructor() {
    super([]);
  }

  private catalog?: CatalogNames;

  replace(grants: ExportedGrant[], at: Date): void {
    this.inner = new GrantIndex(grants);
    this.grantList = grants;
    this.dir = new GrantDirectory(grants, this.catalog);
    this.loadedAt = at;
  }

  /** The catalog's names of users and stores (refs of alerts), refreshed with the grants. */
  setCatalog(catalog: CatalogNames): void {
    this.catalog = catalog;
    this.dir = new GrantDirectory(this.grantList, catalog);
  }

  get loaded(): boolean {
    return this.loadedAt !== undefined;
  }

  get directory(): GrantDirectory {
    return this.dir;
  }

  get grants(): ExportedGrant[] {
    return this.grantList;
  }

  override knows(ev: DetectionEvent): boolean {
    return this.loaded ? this.inner.knows(ev) : true;
  }

  override activeGrantFor(ev: DetectionEvent): ExportedGrant | undefined {
    return this.loaded ? this.inner.activeGrantFor(ev) : NOT_LOADED;
  }
}
