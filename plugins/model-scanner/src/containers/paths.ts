/** Member names that escape the extraction folder, judged the same way for zip, tar and 7z/RAR. */
import type { Finding } from '../types';
import { finding } from '../rules';

/** An absolute path, a drive letter or a `..` component (either slash) leaves the target folder. */
export function isTraversal(name: string): boolean {
  if (/^[\\/]/.test(name) || /^[A-Za-z]:/.test(name)) return true;
  return name.split(/[\\/]/).some(p => p === '..');
}

/** ARCHIVE_PATH_TRAVERSAL for `name`, called `label` in the message ("member", "tar member", ...). */
export function traversalFinding(
  name: string,
  label: string,
  location: Finding['location'],
  details?: Record<string, unknown>,
): Finding {
  return finding(
    'ARCHIVE_PATH_TRAVERSAL',
    `The ${label} ${name} would be extracted outside the target folder.`,
    location,
    details,
  );
}
