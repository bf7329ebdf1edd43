// Animated GIF of rendered frames (gifenc: a small, well-kept encoder with palette quantisation).
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import gifenc from 'gifenc';
import type { Canvas } from '../envs/render/canvas.js';

export class GifRecorder {
  private readonly encoder = gifenc.GIFEncoder();
  frames = 0;

  constructor(readonly fps: number) {}

  add(frame: Canvas): void {
    const rgba = new Uint8Array(frame.width * frame.height * 4);
    for (let i = 0, j = 0; i < frame.pixels.length; i += 3, j += 4) {
      rgba[j] = frame.pixels[i];
      rgba[j + 1] = frame.pixels[i + 1];
      rgba[j + 2] = frame.pixels[i + 2];
      rgba[j + 3] = 255;
    }
    const [palette, index] = exactPalette(frame) ?? quantized(rgba);
    this.encoder.writeFrame(index, frame.width, frame.height, { palette, delay: Math.round(1000 / this.fps) });
    this.frames += 1;
  }

  /** Writes the file atomically (temp file, then rename). */
  save(file: string): void {
    this.encoder.finish();
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, this.encoder.bytes());
      renameSync(tmp, file);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  }
}

/** The scenes use a handful of flat colours: index them exactly (fast, lossless); null past 256. */
function exactPalette(frame: Canvas): [number[][], Uint8Array] | null {
  const indexOf = new Map<number, number>();
  const palette: number[][] = [];
  const index = new Uint8Array(frame.width * frame.height);
  const p = frame.pixels;
  for (let i = 0; i < index.length; i++) {
    const key = (p[3 * i] << 16) | (p[3 * i + 1] << 8) | p[3 * i + 2];
    let k = indexOf.get(key);
    if (k === undefined) {
      if (palette.length === 256) return null;
      k = palette.length;
      indexOf.set(key, k);
      palette.push([p[3 * i], p[3 * i + 1], p[3 * i + 2]]);
    }
    index[i] = k;
  }
  // GIF palettes hold a power of two colours.
  while (palette.length < 2 || (palette.length & (palette.length - 1)) !== 0) palette.push([0, 0, 0]);
  return [palette, index];
}

function quantized(rgba: Uint8Array): [number[][], Uint8Array] {
  const palette = gifenc.quantize(rgba, 256);
  return [palette, gifenc.applyPalette(rgba, palette)];
}
