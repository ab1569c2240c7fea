import { sha256Hex } from '../../src/hash.js';
import type { PartInfo } from '../../schemas/run.js';
import type { Storage } from '../../src/storage/types.js';

/** The storage lookup every phase context carries. */
type StorageOf = (uri: string) => Storage;

export async function readJsonAt<T>(storage: StorageOf, uri: string): Promise<T> {
  return JSON.parse((await storage(uri).read(uri)).toString('utf8')) as T;
}

export async function readTyped<T>(storage: StorageOf, uri: string, View: new (b: ArrayBuffer) => T): Promise<T> {
  const raw = await storage(uri).read(uri);
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 8.
  return new View(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length) as ArrayBuffer);
}

export async function writeBytes(storage: StorageOf, uri: string, bytes: Uint8Array, rows: number): Promise<PartInfo> {
  await storage(uri).write(uri, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { uri, sha256: sha256Hex(bytes), bytes: bytes.byteLength, rows };
}

export async function writeJson(storage: StorageOf, uri: string, value: unknown, rows: number): Promise<PartInfo> {
  const bytes = Buffer.from(JSON.stringify(value));
  await storage(uri).write(uri, bytes);
  return { uri, sha256: sha256Hex(bytes), bytes: bytes.length, rows };
}

export const pad = (n: number) => String(n).padStart(5, '0');
