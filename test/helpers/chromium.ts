import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';

const run = promisify(execFile);

/** Debian's `chromium` (make chromium installs it), or the binary CORPUSFLOW_CHROMIUM names. */
export function chromiumBin(): string {
  return process.env.CORPUSFLOW_CHROMIUM ?? 'chromium';
}

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  rgba: Uint8Array;
}

/** Render an HTML file in headless Chromium and return the screenshot's pixels. */
export async function screenshot(htmlFile: string, width: number, height: number): Promise<Image> {
  const dir = await mkdtemp(join(tmpdir(), 'cf-chromium-'));
  const png = join(dir, 'shot.png');
  try {
    // --no-sandbox: the test may run as root in a container, where Chromium's sandbox cannot start.
    await run(chromiumBin(), ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${join(dir, 'profile')}`,
      `--window-size=${width},${height}`, `--screenshot=${png}`, pathToFileURL(htmlFile).href], { timeout: 60_000 }).catch((e: Error & { code?: string }) => {
      throw new Error(e.code === 'ENOENT' ? `${chromiumBin()} not found: run \`make chromium\` (apt-get install chromium) or set CORPUSFLOW_CHROMIUM` : e.message);
    });
    return decodePng(await readFile(png));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The 8-bit RGB and RGBA PNGs Chromium writes (non-interlaced), decoded to RGBA. */
export function decodePng(buf: Buffer): Image {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colorType, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || interlace !== 0 || (colorType !== 2 && colorType !== 6)) throw new Error(`unsupported PNG: depth ${depth}, color type ${colorType}`);
      channels = colorType === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= channels ? (out[y * stride + x - channels] ?? 0) : 0;
      const b = y > 0 ? (out[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= channels && y > 0 ? (out[(y - 1) * stride + x - channels] ?? 0) : 0;
      const p = a + b - c;
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1
        : Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      out[y * stride + x] = (v + pred) & 0xff;
    }
  }
  if (channels === 4) return { width, height, rgba: out };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([out[i * 3] ?? 0, out[i * 3 + 1] ?? 0, out[i * 3 + 2] ?? 0, 255], i * 4);
  return { width, height, rgba };
}

/** Pixels within `tolerance` of a #rrggbb colour. */
export function pixelsOfColor(img: Image, hex: string, tolerance = 8): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4) {
    if (Math.abs((img.rgba[i] ?? 0) - r) <= tolerance && Math.abs((img.rgba[i + 1] ?? 0) - g) <= tolerance && Math.abs((img.rgba[i + 2] ?? 0) - b) <= tolerance) n++;
  }
  return n;
}
