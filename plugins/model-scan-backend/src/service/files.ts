import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { join, relative } from 'node:path';

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, {
    highWaterMark: 1024 * 1024,
  })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Regular files under a folder (or the file itself), without following links. */
export async function listLocalFiles(
  root: string,
): Promise<Array<{ name: string; path: string }>> {
  const stat = await fs.lstat(root);
  if (stat.isFile()) {
    return [{ name: root.split(/[\\/]/).pop()!, path: root }];
  }
  if (!stat.isDirectory()) {
    throw new Error(`${root} is neither a file nor a folder`);
  }
  const out: Array<{ name: string; path: string }> = [];
  const walk = async (dir: string) => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile())
        out.push({ name: relative(root, full), path: full });
    }
  };
  await walk(root);
  return out;
}
