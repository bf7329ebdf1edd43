// A minimal RGB raster for drawing the classic-control scenes as Gymnasium's pygame code does
// (filled convex polygons, circles, lines, then a vertical flip).

export type Color = [number, number, number];
export type Point = [number, number];

export class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height * 3);
  }

  fill(color: Color): void {
    for (let i = 0; i < this.width * this.height; i++) this.pixels.set(color, i * 3);
  }

  setPixel(x: number, y: number, color: Color): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.pixels.set(color, (y * this.width + x) * 3);
  }

  private span(y: number, x0: number, x1: number, color: Color): void {
    if (y < 0 || y >= this.height) return;
    const from = Math.max(0, Math.ceil(x0 - 0.5));
    const to = Math.min(this.width - 1, Math.floor(x1 - 0.5));
    for (let x = from; x <= to; x++) this.pixels.set(color, (y * this.width + x) * 3);
  }

  /** Fills a polygon: pixels whose centres lie inside (scanline, even-odd). */
  fillPolygon(points: Point[], color: Color): void {
    const ys = points.map((p) => p[1]);
    const top = Math.max(0, Math.floor(Math.min(...ys)));
    const bottom = Math.min(this.height - 1, Math.ceil(Math.max(...ys)));
    for (let y = top; y <= bottom; y++) {
      const cy = y + 0.5;
      const xs: number[] = [];
      for (let i = 0; i < points.length; i++) {
        const [ax, ay] = points[i];
        const [bx, by] = points[(i + 1) % points.length];
        if ((ay <= cy && by > cy) || (by <= cy && ay > cy)) xs.push(ax + ((cy - ay) / (by - ay)) * (bx - ax));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) this.span(y, xs[k], xs[k + 1], color);
    }
  }

  fillCircle(cx: number, cy: number, radius: number, color: Color): void {
    for (let y = Math.floor(cy - radius); y <= Math.ceil(cy + radius); y++) {
      const dy = y + 0.5 - cy;
      if (Math.abs(dy) > radius) continue;
      const dx = Math.sqrt(radius * radius - dy * dy);
      this.span(y, cx - dx, cx + dx, color);
    }
  }

  /** A 1-pixel line (Bresenham). */
  line(x0: number, y0: number, x1: number, y1: number, color: Color): void {
    let [x, y] = [Math.round(x0), Math.round(y0)];
    const [ex, ey] = [Math.round(x1), Math.round(y1)];
    const dx = Math.abs(ex - x);
    const dy = -Math.abs(ey - y);
    const sx = x < ex ? 1 : -1;
    const sy = y < ey ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.setPixel(x, y, color);
      if (x === ex && y === ey) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  polyline(points: Point[], color: Color): void {
    for (let i = 0; i + 1 < points.length; i++) this.line(points[i][0], points[i][1], points[i + 1][0], points[i + 1][1], color);
  }

  /** pygame.transform.flip(surf, False, True): Gymnasium draws with y up, then flips. */
  flipVertical(): void {
    const row = this.width * 3;
    const tmp = new Uint8Array(row);
    for (let y = 0; y < this.height >> 1; y++) {
      const a = y * row;
      const b = (this.height - 1 - y) * row;
      tmp.set(this.pixels.subarray(a, a + row));
      this.pixels.copyWithin(a, b, b + row);
      this.pixels.set(tmp, b);
    }
  }
}

/** pygame.math.Vector2(p).rotate_rad(angle). */
export function rotate([x, y]: Point, angle: number): Point {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return [x * c - y * s, x * s + y * c];
}
