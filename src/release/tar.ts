/**
 * A plain ustar archive built in memory. Fixed mtime, owner and mode, and ASCII names of at most
 * 100 bytes, so the same members always give the same bytes and every tar reader accepts them.
 */
export class TarWriter {
  private readonly chunks: Buffer[] = [];
  /** The archive's size if finished now (members plus the end marker). */
  bytes = 1024;

  /** What a member of this size adds to an archive: header plus data padded to 512. */
  static memberBytes(data: Buffer): number {
    return 512 + Math.ceil(data.length / 512) * 512;
  }

  add(name: string, data: Buffer): void {
    if (!/^[\x20-\x7e]{1,100}$/.test(name)) throw new Error(`tar member name must be 1-100 printable ASCII bytes: ${JSON.stringify(name)}`);
    const header = Buffer.alloc(512);
    header.write(name, 0, 'ascii');
    header.write('0000644\0', 100, 'ascii'); // mode
    header.write('0000000\0', 108, 'ascii'); // uid
    header.write('0000000\0', 116, 'ascii'); // gid
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    header.write('00000000000\0', 136, 'ascii'); // mtime: the epoch, for reproducible shards
    header.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
    header.write('0', 156, 'ascii'); // regular file
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    this.chunks.push(header, data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) this.chunks.push(Buffer.alloc(pad));
    this.bytes += TarWriter.memberBytes(data);
  }

  /** The archive with its two zero blocks of end marker. */
  finish(): Buffer {
    return Buffer.concat([...this.chunks, Buffer.alloc(1024)]);
  }
}
