// The rgb_array frames (rl rollout --render, the dashboard's player): the raster's primitives
// against their definitions (pixel centres inside a polygon or circle, an 8-connected line within
// half a pixel of the ideal one, the vertical flip), and each classic-control scene's geometry at
// points computed from Gymnasium's drawing code (sizes, colours, where the cart, pole, flag,
// links and rod are).
import { describe, expect, test } from '@jest/globals';
import { Canvas, rotate, type Color, type Point } from '../../src/envs/render/canvas.js';
import { renderFrame } from '../../src/envs/render/classic.js';
import { make } from '../../src/envs/registry.js';
import { Box, Discrete } from '../../src/envs/spaces.js';
import type { Env } from '../../src/envs/env.js';

const RED: Color = [255, 0, 0];
const at = (c: Canvas, x: number, y: number) => Array.from(c.pixels.subarray((y * c.width + x) * 3, (y * c.width + x) * 3 + 3));
/** The set of pixels of colour `color`, as "x,y". */
function painted(c: Canvas, color: Color): Set<string> {
  const out = new Set<string>();
  for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) if (at(c, x, y).join() === color.join()) out.add(`${x},${y}`);
  return out;
}
const sorted = (s: Set<string>) => [...s].sort();

describe('Canvas', () => {
  test('fill colours every pixel; setPixel writes one pixel and ignores points outside', () => {
    const c = new Canvas(3, 2);
    expect(c.pixels.length).toBe(18);
    c.fill([1, 2, 3]);
    expect(Array.from(c.pixels)).toEqual(new Array(6).fill([1, 2, 3]).flat());
    for (const [x, y] of [[-1, 0], [0, -1], [3, 0], [0, 2], [3, 2]]) c.setPixel(x, y, RED);
    expect(painted(c, RED).size).toBe(0);
    c.setPixel(2, 1, RED);
    c.setPixel(0, 1, RED);
    expect(sorted(painted(c, RED))).toEqual(['0,1', '2,1']);
  });

  test('fillPolygon fills the pixels whose centres lie inside, in any vertex order, clipped to the canvas', () => {
    const inside = (poly: (x: number, y: number) => boolean, w: number, h: number) => {
      const out = new Set<string>();
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (poly(x + 0.5, y + 0.5)) out.add(`${x},${y}`);
      return out;
    };
    const c = new Canvas(8, 8);
    c.fillPolygon([[1.2, 1.1], [1.2, 4.2], [5.7, 4.2], [5.7, 1.1]], RED);
    expect(sorted(painted(c, RED))).toEqual(sorted(inside((x, y) => x > 1.2 && x < 5.7 && y > 1.1 && y < 4.2, 8, 8)));
    // a triangle, clockwise, partly outside the canvas on every side
    const t = new Canvas(8, 8);
    const tri: Point[] = [[-3.1, -2.3], [4.1, 11.4], [10.6, 0.4]];
    t.fillPolygon(tri, RED);
    const side = (a: Point, b: Point, x: number, y: number) => (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    const inTri = (x: number, y: number) => {
      const s = [side(tri[0], tri[1], x, y), side(tri[1], tri[2], x, y), side(tri[2], tri[0], x, y)];
      return s.every((v) => v > 0) || s.every((v) => v < 0);
    };
    const expected = inside(inTri, 8, 8);
    expect(expected.size).toBeGreaterThan(20);
    expect(expected.size).toBeLessThan(64);
    expect(sorted(painted(t, RED))).toEqual(sorted(expected));
    // a concave (L-shaped) polygon: even-odd spans, the notch left empty
    const l = new Canvas(6, 6);
    l.fillPolygon([[0, 0], [0, 6], [2, 6], [2, 2], [6, 2], [6, 0]], RED);
    expect(sorted(painted(l, RED))).toEqual(sorted(inside((x, y) => x < 2 || y < 2, 6, 6)));
  });

  test('fillPolygon: clipped at the right edge (nothing wraps onto the next row); rows half-open, so polygons sharing an edge on pixel centres neither overlap nor leave a gap', () => {
    const c = new Canvas(8, 8);
    c.fillPolygon([[5.2, 1.2], [5.2, 3.8], [12, 3.8], [12, 1.2]], RED);
    expect(sorted(painted(c, RED))).toEqual(sorted(new Set(['5,1', '6,1', '7,1', '5,2', '6,2', '7,2', '5,3', '6,3', '7,3'])));
    const rows = (y0: number, y1: number) => {
      const canvas = new Canvas(8, 8);
      canvas.fillPolygon([[1, y0], [1, y1], [5, y1], [5, y0]], RED); // up the left edge, down the right one
      return sorted(painted(canvas, RED));
    };
    const cells = (ys: number[]) => sorted(new Set(ys.flatMap((y) => [1, 2, 3, 4].map((x) => `${x},${y}`))));
    expect(rows(1.5, 3.5)).toEqual(cells([1, 2]));
    expect(rows(3.5, 5.5)).toEqual(cells([3, 4]));
    // a vertex exactly on a row's centre, on each side, in either orientation: one crossing a side, the row filled
    const hexagon: Point[] = [[1, 1.5], [0, 3.5], [1, 5.5], [5, 5.5], [6, 3.5], [5, 1.5]];
    for (const points of [hexagon, [...hexagon].reverse()]) {
      const canvas = new Canvas(8, 8);
      canvas.fillPolygon(points, RED);
      expect([...painted(canvas, RED)].filter((p) => p.endsWith(',3')).sort()).toEqual(['0,3', '1,3', '2,3', '3,3', '4,3', '5,3']);
    }
  });

  test('fillCircle: a pixel whose centre lies exactly at the radius is filled', () => {
    const c = new Canvas(12, 12);
    c.fillCircle(5.5, 5.5, 2, RED);
    const expected = new Set<string>();
    for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) if ((x + 0.5 - 5.5) ** 2 + (y + 0.5 - 5.5) ** 2 <= 4) expected.add(`${x},${y}`);
    expect(['5,3', '5,7', '3,5', '7,5'].every((p) => expected.has(p))).toBe(true);
    expect(sorted(painted(c, RED))).toEqual(sorted(expected));
  });

  test('fillCircle fills the pixels whose centres lie within the radius', () => {
    const c = new Canvas(12, 12);
    const [cx, cy, r] = [5.2, 4.7, 3.3];
    c.fillCircle(cx, cy, r, RED);
    const expected = new Set<string>();
    for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) expected.add(`${x},${y}`);
    expect(expected.size).toBeGreaterThan(25);
    expect(sorted(painted(c, RED))).toEqual(sorted(expected));
    const edge = new Canvas(4, 4); // clipped at the corner
    edge.fillCircle(0, 0, 2.2, RED);
    expect(sorted(painted(edge, RED))).toEqual(['0,0', '0,1', '1,0', '1,1']);
  });

  test('line: both ends, one pixel per step along the major axis, 8-connected, within half a pixel of the ideal line', () => {
    for (const [x0, y0, x1, y1] of [
      [1, 1, 9, 4],
      [9, 4, 1, 1],
      [2, 9, 5, 0],
      [5, 0, 2, 9],
      [0, 3, 9, 3],
      [4, 8, 4, 1],
      [3, 3, 3, 3],
    ]) {
      const c = new Canvas(10, 10);
      c.line(x0 + 0.3, y0 - 0.4, x1 - 0.2, y1 + 0.1, RED); // rounded to the pixel grid first
      const pixels = [...painted(c, RED)].map((s) => s.split(',').map(Number));
      expect(pixels.length).toBe(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0)) + 1);
      const keys = new Set(pixels.map(([x, y]) => `${x},${y}`));
      expect(keys.has(`${x0},${y0}`) && keys.has(`${x1},${y1}`)).toBe(true);
      const length = Math.hypot(x1 - x0, y1 - y0);
      for (const [x, y] of pixels) {
        if (length > 0) {
          // distance to the ideal line, measured along the minor axis, at most 1/2
          const d = Math.abs((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)) / Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
          expect(d).toBeLessThanOrEqual(0.5 + 1e-9);
        }
        expect(Math.min(x0, x1) <= x && x <= Math.max(x0, x1) && Math.min(y0, y1) <= y && y <= Math.max(y0, y1)).toBe(true);
      }
    }
    const off = new Canvas(4, 4); // a line leaving the canvas draws its visible part
    off.line(1, 1, 8, 1, RED);
    expect(sorted(painted(off, RED))).toEqual(['1,1', '2,1', '3,1']);
  });

  test('polyline joins consecutive points', () => {
    const c = new Canvas(6, 6);
    c.polyline([[0, 0], [3, 0], [3, 2]], RED);
    expect(sorted(painted(c, RED))).toEqual(sorted(new Set(['0,0', '1,0', '2,0', '3,0', '3,1', '3,2'])));
  });

  test('flipVertical swaps rows top to bottom (the middle row of an odd height stays)', () => {
    for (const height of [3, 4]) {
      const c = new Canvas(2, height);
      for (let y = 0; y < height; y++) c.setPixel(y % 2, y, [y + 1, 0, 0]);
      c.flipVertical();
      for (let y = 0; y < height; y++) {
        const from = height - 1 - y;
        expect(at(c, from % 2, y)).toEqual([from + 1, 0, 0]);
        expect(at(c, 1 - (from % 2), y)).toEqual([0, 0, 0]);
      }
    }
  });

  test('rotate turns counter-clockwise by the angle in radians', () => {
    const [x, y] = rotate([2, 1], Math.PI / 2);
    expect(x).toBeCloseTo(-1, 12);
    expect(y).toBeCloseTo(2, 12);
    const [u, v] = rotate([1, 0], Math.PI / 6);
    expect([u, v].map((a) => Number(a.toFixed(12)))).toEqual([Number(Math.cos(Math.PI / 6).toFixed(12)), 0.5]);
  });
});

describe('renderFrame', () => {
  const WHITE = [255, 255, 255];
  const BLACK = [0, 0, 0];
  /** The pixel at Gymnasium's drawing coordinates (y up, before the flip). */
  const px = (c: Canvas, x: number, y: number) => at(c, Math.floor(x), c.height - 1 - Math.floor(y));
  function frameOf(id: string, state: number[]): Canvas {
    const env = make(id);
    env.reset({ seed: 0 });
    (env.unwrapped as unknown as { state: number[] }).state = state;
    return renderFrame(env)!;
  }

  test('CartPole: 600x400; the cart at x * 125 + 300, 100 up; the pole leaning with theta; the axle; the track', () => {
    const c = frameOf('CartPole-v1', [0, 0, 0, 0]);
    expect([c.width, c.height]).toEqual([600, 400]);
    expect(px(c, 5, 5)).toEqual(WHITE);
    expect(px(c, 5, 100)).toEqual(BLACK); // the track
    expect(px(c, 280, 90)).toEqual(BLACK); // the cart's body
    expect(px(c, 270, 90)).toEqual(WHITE); // left of the cart (50 wide)
    expect(px(c, 300, 120)).toEqual([202, 152, 101]); // the pole, upright
    expect(px(c, 300, 225)).toEqual([202, 152, 101]); // 120 + 7.5 above the cart
    expect(px(c, 300, 232)).toEqual(WHITE);
    expect(px(c, 300, 108)).toEqual([129, 132, 203]); // the axle, 7.5 above the cart's centre
    const moved = frameOf('CartPole-v1', [1, 0, 0.5, 0]);
    expect(px(moved, 300, 90)).toEqual(WHITE);
    expect(px(moved, 420, 90)).toEqual(BLACK); // cart at 425
    // 100 along the pole from the axle: (425 + 100 sin 0.5, 107.5 + 100 cos 0.5)
    expect(px(moved, 425 + 100 * Math.sin(0.5), 107.5 + 100 * Math.cos(0.5))).toEqual([202, 152, 101]);
    expect(px(moved, 425 - 100 * Math.sin(0.5), 107.5 + 100 * Math.cos(0.5))).toEqual(WHITE);
  });

  test('MountainCar: the track, the car on it, the flag at the goal (0.5, or 0.45 for the continuous one)', () => {
    const scale = 600 / (0.6 - -1.2); // Gymnasium's screen_width / world_width (1.7999999999999998 in float64)
    const height = (x: number) => Math.sin(3 * x) * 0.45 + 0.55;
    for (const [id, goal] of [['MountainCar-v0', 0.5], ['MountainCarContinuous-v0', 0.45]] as const) {
      const position = -0.5;
      const c = frameOf(id, [position, 0]);
      expect([c.width, c.height]).toEqual([600, 400]);
      // the car's body: 10 above the track, tilted by cos(3 x); its middle 10 up from the bottom edge
      const angle = Math.cos(3 * position);
      const [ox, oy] = [(position + 1.2) * scale, 10 + height(position) * scale];
      const [mx, my] = rotate([0, 10], angle);
      expect(px(c, ox + mx, oy + my)).toEqual(BLACK);
      // the wheels (grey), a quarter of the car's width either side, on its bottom edge
      for (const side of [10, -10]) {
        const [wx, wy] = rotate([side, 0], angle);
        expect(px(c, Math.trunc(ox + wx), Math.trunc(oy + wy))).toEqual([128, 128, 128]);
      }
      // the flag: a pole 50 high at the goal, a yellow triangle at its top
      const flagx = Math.trunc((goal + 1.2) * scale);
      const flagy2 = Math.trunc(height(goal) * scale) + 50;
      expect(px(c, flagx, flagy2 - 20)).toEqual(BLACK);
      expect(px(c, flagx + 6, flagy2 - 5)).toEqual([204, 204, 0]);
      expect(px(c, flagx + 6, flagy2 - 20)).toEqual(WHITE);
      // the track at one of its 100 points (the 67th: x = 0), away from the car
      const tx = 0;
      expect(px(c, Math.round((tx + 1.2) * scale), Math.round(height(tx) * scale))).toEqual(BLACK); // lines are drawn between rounded points
    }
  });

  test('Acrobot: 500x500; both links hanging down from the centre at rest, turned by the angles; the joints; the height line', () => {
    const scale = 500 / 4.4;
    const c = frameOf('Acrobot-v1', [0, 0, 0, 0]);
    expect([c.width, c.height]).toEqual([500, 500]);
    const LINK = [0, 204, 204];
    const JOINT = [204, 204, 0];
    expect(px(c, 250, 250 - 0.5 * scale)).toEqual(LINK);
    expect(px(c, 250, 250 - 1.5 * scale)).toEqual(LINK);
    expect(px(c, 250, 250 - 2.15 * scale)).toEqual(WHITE);
    expect(px(c, 250, 250 + 0.5 * scale)).toEqual(WHITE);
    expect(px(c, 250, 250)).toEqual(JOINT);
    expect(px(c, 250, 250 - scale)).toEqual(JOINT);
    expect(px(c, 20, Math.round(250 + scale))).toEqual(BLACK); // the line the tip must reach (drawn on the rounded row)
    // first link horizontal to the right (theta1 = pi/2), second bent back down (theta2 = -pi/2)
    const bent = frameOf('Acrobot-v1', [Math.PI / 2, -Math.PI / 2, 0, 0]);
    expect(px(bent, 250 + 0.5 * scale, 250)).toEqual(LINK);
    expect(px(bent, 250 - 0.5 * scale, 250)).toEqual(WHITE);
    expect(px(bent, 250 + scale, 250 - 0.5 * scale)).toEqual(LINK);
    expect(px(bent, 250 + scale, 250)).toEqual(JOINT);
  });

  test('Pendulum: 500x500; the rod up at theta 0, turned by theta; the pivot black, the rod ends round', () => {
    const scale = 500 / 4.4;
    const ROD = [204, 77, 77];
    const c = frameOf('Pendulum-v1', [0, 0]);
    expect([c.width, c.height]).toEqual([500, 500]);
    expect(px(c, 250, 250 + 0.5 * scale)).toEqual(ROD);
    expect(px(c, 250, 250 - 0.5 * scale)).toEqual(WHITE);
    expect(px(c, 250, 250 + 1.08 * scale)).toEqual(ROD); // the round end, past the rod's length
    expect(px(c, 250, 250 + 1.12 * scale)).toEqual(WHITE);
    expect(px(c, 250, 250)).toEqual(BLACK);
    expect(px(c, 250, 250 - 0.08 * scale)).toEqual(ROD); // the round pivot end, below the rod and outside the black pivot
    const turned = frameOf('Pendulum-v1', [Math.PI / 2, 0]); // counter-clockwise by theta: pointing left
    expect(px(turned, 250 - 0.5 * scale, 250)).toEqual(ROD);
    expect(px(turned, 250, 250 + 0.5 * scale)).toEqual(WHITE);
  });

  test("each shape's extent has Gymnasium's sizes: the cart 50x30, the pole 10 wide from 5 below the axle, the car 40 wide, the flag's triangle, the full-width height line, the rod 0.2 wide and its pivot end", () => {
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    /** x of the pixels of this colour in row y (Gymnasium's y, up), within [x0, x1]. */
    const row = (c: Canvas, y: number, color: number[], x0 = 0, x1 = c.width - 1) => range(x0, x1).filter((x) => px(c, x, y).join() === color.join());
    /** y (up) of the pixels of this colour in column x. */
    const column = (c: Canvas, x: number, color: number[]) => range(0, c.height - 1).filter((y) => px(c, x, y).join() === color.join());
    const cart = frameOf('CartPole-v1', [0, 0, 0, 0]);
    const POLE = [202, 152, 101];
    expect(row(cart, 90, BLACK)).toEqual(range(275, 324)); // 300 -+ 25
    expect(column(cart, 280, BLACK)).toEqual(range(85, 114)); // 100 -+ 15 (the track's row 100 among them)
    expect(row(cart, 150, POLE)).toEqual(range(295, 304)); // 300 -+ 5
    const pole = column(cart, 296, POLE);
    expect([pole[0], pole[pole.length - 1]]).toEqual([102, 226]); // from 107.5 - 5 to 107.5 + 125 - 5
    const scale = 600 / (0.6 - -1.2);
    const height = (x: number) => Math.sin(3 * x) * 0.45 + 0.55;
    const position = Math.PI / 6; // cos(3 x) = 0: the car level
    const car = frameOf('MountainCar-v0', [position, 0]);
    const [ox, oy] = [(position + 1.2) * scale, 10 + height(position) * scale];
    const body = row(car, Math.floor(oy) + 15, BLACK, Math.floor(ox) - 40, Math.floor(ox) + 40);
    expect([body.length, body[0]]).toEqual([40, Math.ceil(ox - 20.5)]);
    const flagx = Math.trunc((0.5 + 1.2) * scale);
    const flagy2 = Math.trunc(height(0.5) * scale) + 50;
    const flag = range(flagx, flagx + 30).flatMap((x) => column(car, x, [204, 204, 0]));
    expect([Math.min(...flag), Math.max(...flag)]).toEqual([flagy2 - 10, flagy2 - 1]);
    const acrobot = frameOf('Acrobot-v1', [0, 0, 0, 0]);
    expect(row(acrobot, Math.round(250 + 500 / 4.4), BLACK, 400, 499)).toEqual(range(400, 499)); // the line spans the frame
    const pendulumScale = 500 / 4.4;
    const ROD = [204, 77, 77];
    const pendulum = frameOf('Pendulum-v1', [0, 0]);
    expect(row(pendulum, Math.floor(250 + 0.5 * pendulumScale), ROD)).toEqual(range(239, 260)); // 250 -+ 0.1 x scale
    expect(row(pendulum, 244, ROD)).toEqual(range(240, 259)); // below the rod: its round pivot end, radius trunc(11.4), 5.5 under its centre
  });

  test('an env without a picture gives null; a wrapped env is drawn from the env inside', () => {
    const custom: Env = {
      observation_space: new Box(0, 1, [1]),
      action_space: new Discrete(2),
      reset: () => [[0], {}],
      step: () => [[0], 0, false, false, {}],
    };
    expect(renderFrame(custom)).toBeNull();
    const wrapped = make('CartPole-v1');
    expect(wrapped.unwrapped).not.toBe(wrapped);
    wrapped.reset({ seed: 0 });
    expect(renderFrame(wrapped)?.width).toBe(600);
  });
});
