/** One regular file of a ustar archive. */
export interface TarMember {
  name: string;
  data: Buffer;
}

/** A tar that a training job must not trust: the message names the member and the reason. */
export class TarError extends Error {}

const field = (block: Buffer, start: number, length: number): string => block.toString('latin1', start, start + length).replace(/\0.*$/s, '');

/**
 * Read a plain ustar archive as the shard writer makes it: regular files only, with relative names
 * that never climb out of the extraction folder. A symlink, hard link, device, absolute name or
 * `..` segment is refused (CVE-2007-4559, the tarfile path traversal), as is a corrupt header.
 */
export function readTar(tar: Buffer): TarMember[] {
  const members: TarMember[] = [];
  let pos = 0;
  while (pos + 512 <= tar.length) {
    const header = tar.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) return members;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
    const stored = parseInt(field(header, 148, 8).trim(), 8);
    if (stored !== sum) throw new TarError(`header checksum mismatch at byte ${pos}`);
    const prefix = field(header, 345, 155);
    const name = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
    const type = String.fromCharCode(header[156] ?? 0);
    if (type !== '0' && type !== '\0') throw new TarError(`${JSON.stringify(name)} is not a regular file (type ${JSON.stringify(type)})`);
    if (name.startsWith('/') || name.split('/').includes('..')) throw new TarError(`${JSON.stringify(name)} escapes the extraction folder`);
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || pos + 512 + size > tar.length) throw new TarError(`${JSON.stringify(name)} runs past the end of the archive`);
    members.push({ name, data: tar.subarray(pos + 512, pos + 512 + size) });
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  throw new TarError('archive ends without its end-of-archive blocks');
}
