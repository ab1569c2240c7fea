import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Storage, StoredObject } from './types.js';

/** Temp files are dot-files with this marker, so a listing never shows a half-written object. */
const TEMP_MARK = '.cf-tmp-';

function isTempName(name: string): boolean {
  return name.startsWith('.') && name.includes(TEMP_MARK);
}

/** A local path for a plain path or a file:// URI. */
export function toLocalPath(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

function isMissing(err: unknown): boolean {
  return err instanceof Error && 'code' in err && (err.code === 'ENOENT' || err.code === 'ENOTDIR');
}

/** Sort by UTF-8 bytes: the order S3 lists keys in, so both backends agree. */
export function compareUris(a: StoredObject, b: StoredObject): number {
  return Buffer.compare(Buffer.from(a.uri, 'utf8'), Buffer.from(b.uri, 'utf8'));
}

/**
 * Storage on a local (or network-mounted) file system. A "prefix" is a directory or a
 * single file; `exists` is true for files only, matching S3 where only objects exist.
 */
export class FsStorage implements Storage {
  async read(uri: string): Promise<Buffer> {
    return readFile(toLocalPath(uri));
  }

  async readRange(uri: string, start: number, end: number): Promise<Buffer> {
    const file = await open(toLocalPath(uri));
    try {
      const length = Math.max(0, Math.min(end, (await file.stat()).size) - start);
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await file.read(buf, done, length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buf.subarray(0, done);
    } finally {
      await file.close();
    }
  }

  async write(uri: string, data: Buffer | string): Promise<void> {
    await this.atomically(toLocalPath(uri), (tmp) => writeFile(tmp, data));
  }

  async writeFromFile(uri: string, localPath: string): Promise<void> {
    await this.atomically(toLocalPath(uri), (tmp) => copyFile(localPath, tmp));
  }

  async localPath(uri: string): Promise<string> {
    const p = toLocalPath(uri);
    const s = await stat(p);
    if (!s.isFile()) throw new Error(`not a file: ${p}`);
    return p;
  }

  async exists(uri: string): Promise<boolean> {
    try {
      return (await stat(toLocalPath(uri))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const asUrl = prefix.startsWith('file:');
    const root = toLocalPath(prefix);
    const out: StoredObject[] = [];
    const walk = async (p: string): Promise<void> => {
      let s;
      try {
        s = await stat(p);
      } catch (err) {
        if (isMissing(err)) return; // vanished mid-walk, or never there
        throw err;
      }
      if (s.isFile()) {
        out.push({ uri: asUrl ? pathToFileURL(p).href : p, bytes: s.size });
      } else if (s.isDirectory()) {
        const names = await readdir(p);
        for (const name of names) {
          // Plain concatenation keeps the caller's spelling of the prefix (`./data/x`, not
          // `data/x`), so every listed URI starts with the prefix it was listed under.
          if (!isTempName(name)) await walk(p.endsWith(path.sep) ? p + name : p + path.sep + name);
        }
      }
    };
    await walk(root);
    return out.sort(compareUris);
  }

  async remove(prefix: string): Promise<void> {
    await rm(toLocalPath(prefix), { recursive: true, force: true });
  }

  /** Write to a temp file in the target's directory, then rename over the target. */
  private async atomically(target: string, fill: (tmp: string) => Promise<void>): Promise<void> {
    const dir = path.dirname(target);
    await mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(target)}${TEMP_MARK}${randomBytes(6).toString('hex')}`);
    try {
      await fill(tmp);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
