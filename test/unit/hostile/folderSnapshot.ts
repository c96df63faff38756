// What a folder holds, to prove that loading a model never writes the user's files: every entry's
// type, size, mode, modification and change times (ctime moves on any write, and no process can set
// it back), a link's target, and the SHA-256 of each file small enough to hash quickly.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';

/** Files above this are compared by size and times only (the 10 GB sparse files). */
const HASHED_UP_TO = 64 * 1024 * 1024;

export type FolderSnapshot = ReadonlyMap<string, string>;

export function snapshotFolder(root: string): FolderSnapshot {
  const entries = new Map<string, string>();
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const stat = lstatSync(full, { bigint: true });
      const kind = stat.isSymbolicLink() ? `link→${readlinkSync(full)}` : stat.isDirectory() ? 'folder' : stat.isFile() ? 'file' : 'special';
      let digest = '';
      if (stat.isFile() && stat.size <= HASHED_UP_TO) digest = createHash('sha256').update(readFileSync(full)).digest('hex');
      entries.set(path.relative(root, full), `${kind} size=${stat.size} mode=${stat.mode} mtime=${stat.mtimeNs} ctime=${stat.ctimeNs} ${digest}`);
      if (stat.isDirectory()) visit(full);
    }
  };
  visit(root);
  return entries;
}
