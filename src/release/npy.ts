/** A 1-D NumPy .npy (format 1.0) holding unsigned tokens, as `np.load` reads it. */
export function npyBytes(values: Uint16Array | Uint32Array): Buffer {
  const descr = values instanceof Uint16Array ? '<u2' : '<u4';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${values.length},), }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64 and ending in \n.
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const body = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}
