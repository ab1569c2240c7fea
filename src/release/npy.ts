/**
 * A 1-D NumPy .npy (format 1.0) holding unsigned tokens, as `np.load` reads it. `dtype` narrows
 * or widens while copying (token ids stored as uint16 when the vocabulary fits), so callers need
 * no intermediate array; the file is built in one allocation.
 */
export function npyBytes(values: Uint16Array | Uint32Array, dtype: 'uint16' | 'uint32' = values instanceof Uint16Array ? 'uint16' : 'uint32'): Buffer {
  const width = dtype === 'uint16' ? 2 : 4;
  const dict = `{'descr': '${dtype === 'uint16' ? '<u2' : '<u4'}', 'fortran_order': False, 'shape': (${values.length},), }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64 and ending in \n.
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const bodyAt = 10 + header.length;
  const file = new ArrayBuffer(bodyAt + values.length * width);
  const out = Buffer.from(file);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  // The body starts at a multiple of 64, so a typed view of it is aligned (little-endian, as '<' says, on the x86/ARM hosts Node runs on).
  (width === 2 ? new Uint16Array(file, bodyAt, values.length) : new Uint32Array(file, bodyAt, values.length)).set(values);
  return out;
}

/** The tokens of a 1-D `<u2` or `<u4` .npy as `npyBytes` writes it (copied, so the result is aligned). */
export function readNpy(npy: Buffer): Uint16Array | Uint32Array {
  if (npy.length < 10 || npy.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error('not a .npy file');
  const headerEnd = 10 + npy.readUInt16LE(8);
  if (headerEnd > npy.length) throw new Error('.npy header runs past the end of the file');
  const header = npy.toString('latin1', 10, headerEnd);
  const descr = /'descr': '(<u[24])'/.exec(header)?.[1];
  if (!descr) throw new Error(`unsupported .npy dtype: ${header.trim()}`);
  const body = npy.subarray(headerEnd);
  const width = descr === '<u2' ? 2 : 4;
  if (body.length % width !== 0) throw new Error(`.npy body of ${body.length} bytes is not a whole number of ${descr} values`);
  const copy = new Uint8Array(body);
  return descr === '<u2' ? new Uint16Array(copy.buffer) : new Uint32Array(copy.buffer);
}
