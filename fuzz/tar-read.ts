import { readTar, TarError } from '../src/release/tar-read.js';

export function fuzz(data: Buffer): void {
  try {
    readTar(data);
  } catch (err) {
    if (!(err instanceof TarError)) throw err;
  }
}
