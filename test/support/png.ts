/**
 * A PNG decoder for screenshots (8-bit greyscale, RGB or RGBA, not interlaced: what Chromium writes), with node's
 * zlib only, so a test can look at the pixels of a picture it took.
 */
import * as zlib from 'zlib';

export interface Png {
  readonly width: number;
  readonly height: number;
  /** Samples per pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  readonly channels: number;
  /** Unfiltered rows, `width * channels` bytes each. */
  readonly pixels: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export function decodePng(file: Buffer): Png {
  if (!file.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    const body = file.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      channels = CHANNELS[colour] ?? 0;
      if (depth !== 8 || channels === 0 || interlace !== 0)
        throw new Error(`unsupported PNG: bit depth ${depth}, colour type ${colour}, interlace ${interlace}`);
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const above = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[x - channels] : 0;
      const b = above[x];
      const c = x >= channels ? above[x - channels] : 0;
      out[x] = (line[x] + predictor(filter, a, b, c)) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** The value a PNG row filter adds back (a: left, b: above, c: above left). */
function predictor(filter: number, a: number, b: number, c: number): number {
  switch (filter) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    case 4: {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    default:
      throw new Error(`bad PNG row filter ${filter}`);
  }
}

/** How many pixels differ from white (every colour sample below 250; transparent pixels count as white). */
export function nonWhitePixels(png: Png): number {
  let count = 0;
  for (let i = 0; i < png.pixels.length; i += png.channels) {
    if (png.channels === 2 || png.channels === 4) {
      if (png.pixels[i + png.channels - 1] < 8) continue;
    }
    const colours = png.channels >= 3 ? 3 : 1;
    for (let k = 0; k < colours; k++) {
      if (png.pixels[i + k] < 250) {
        count++;
        break;
      }
    }
  }
  return count;
}
