// The classic-control scenes as Gymnasium's render_mode="rgb_array" draws them (same sizes,
// colours and geometry as the pygame code in gymnasium/envs/classic_control/*.py).
import { Canvas, rotate, type Point } from './canvas.js';
import { CartPoleEnv } from '../classic_control/cartpole.js';
import { MountainCarEnv } from '../classic_control/mountain_car.js';
import { ContinuousMountainCarEnv } from '../classic_control/continuous_mountain_car.js';
import { AcrobotEnv } from '../classic_control/acrobot.js';
import { PendulumEnv } from '../classic_control/pendulum.js';
import type { Env } from '../env.js';

const BLACK: [number, number, number] = [0, 0, 0];
const WHITE: [number, number, number] = [255, 255, 255];

function cartPole(state: ArrayLike<number>): Canvas {
  const canvas = new Canvas(600, 400);
  const scale = 600 / (2.4 * 2);
  const polewidth = 10.0;
  const polelen = scale * (2 * 0.5);
  const cartwidth = 50.0;
  const cartheight = 30.0;
  canvas.fill(WHITE);
  const [l, r, t, b] = [-cartwidth / 2, cartwidth / 2, cartheight / 2, -cartheight / 2];
  const axleoffset = cartheight / 4.0;
  const cartx = state[0] * scale + 600 / 2.0;
  const carty = 100;
  canvas.fillPolygon(
    ([[l, b], [l, t], [r, t], [r, b]] as Point[]).map(([x, y]) => [x + cartx, y + carty]),
    BLACK,
  );
  const [pl, pr, pt, pb] = [-polewidth / 2, polewidth / 2, polelen - polewidth / 2, -polewidth / 2];
  canvas.fillPolygon(
    ([[pl, pb], [pl, pt], [pr, pt], [pr, pb]] as Point[]).map((p) => {
      const [x, y] = rotate(p, -state[2]);
      return [x + cartx, y + carty + axleoffset];
    }),
    [202, 152, 101],
  );
  canvas.fillCircle(Math.trunc(cartx), Math.trunc(carty + axleoffset), Math.trunc(polewidth / 2), [129, 132, 203]);
  canvas.line(0, carty, 600, carty, BLACK);
  canvas.flipVertical();
  return canvas;
}

function mountainCar(position: number, goalPosition: number): Canvas {
  const canvas = new Canvas(600, 400);
  const [minPosition, maxPosition] = [-1.2, 0.6];
  const scale = 600 / (maxPosition - minPosition);
  const [carwidth, carheight] = [40, 20];
  const height = (x: number) => Math.sin(3 * x) * 0.45 + 0.55;
  canvas.fill(WHITE);
  const curve: Point[] = Array.from({ length: 100 }, (_, i) => {
    const x = minPosition + ((maxPosition - minPosition) * i) / 99;
    return [(x - minPosition) * scale, height(x) * scale];
  });
  canvas.polyline(curve, BLACK);
  const clearance = 10;
  const [l, r, t, b] = [-carwidth / 2, carwidth / 2, carheight, 0];
  const angle = Math.cos(3 * position);
  const origin: Point = [(position - minPosition) * scale, clearance + height(position) * scale];
  canvas.fillPolygon(
    ([[l, b], [l, t], [r, t], [r, b]] as Point[]).map((p) => {
      const [x, y] = rotate(p, angle);
      return [x + origin[0], y + origin[1]];
    }),
    BLACK,
  );
  for (const c of [[carwidth / 4, 0], [-carwidth / 4, 0]] as Point[]) {
    const [x, y] = rotate(c, angle);
    canvas.fillCircle(Math.trunc(x + origin[0]), Math.trunc(y + origin[1]), Math.trunc(carheight / 2.5), [128, 128, 128]);
  }
  const flagx = Math.trunc((goalPosition - minPosition) * scale);
  const flagy1 = Math.trunc(height(goalPosition) * scale);
  const flagy2 = flagy1 + 50;
  canvas.line(flagx, flagy1, flagx, flagy2, BLACK);
  canvas.fillPolygon([[flagx, flagy2], [flagx, flagy2 - 10], [flagx + 25, flagy2 - 5]], [204, 204, 0]);
  canvas.flipVertical();
  return canvas;
}

function acrobot(s: ArrayLike<number>): Canvas {
  const canvas = new Canvas(500, 500);
  const bound = 1.0 + 1.0 + 0.2;
  const scale = 500 / (bound * 2);
  const offset = 500 / 2;
  canvas.fill(WHITE);
  const p1: Point = [-1.0 * Math.cos(s[0]) * scale, 1.0 * Math.sin(s[0]) * scale];
  const xys: Point[] = [[0, 0], [p1[1], p1[0]]];
  const thetas = [s[0] - Math.PI / 2, s[0] + s[1] - Math.PI / 2];
  canvas.line(-2.2 * scale + offset, 1 * scale + offset, 2.2 * scale + offset, 1 * scale + offset, BLACK);
  xys.forEach(([x0, y0], k) => {
    const [x, y] = [x0 + offset, y0 + offset];
    const [l, r, t, b] = [0, 1.0 * scale, 0.1 * scale, -0.1 * scale];
    canvas.fillPolygon(
      ([[l, b], [l, t], [r, t], [r, b]] as Point[]).map((p) => {
        const [px, py] = rotate(p, thetas[k]);
        return [px + x, py + y];
      }),
      [0, 204, 204],
    );
    canvas.fillCircle(Math.trunc(x), Math.trunc(y), Math.trunc(0.1 * scale), [204, 204, 0]);
  });
  canvas.flipVertical();
  return canvas;
}

function pendulum(theta: number): Canvas {
  const canvas = new Canvas(500, 500);
  const bound = 2.2;
  const scale = 500 / (bound * 2);
  const offset = 500 / 2;
  canvas.fill(WHITE);
  const rodLength = 1 * scale;
  const rodWidth = 0.2 * scale;
  const [l, r, t, b] = [0, rodLength, rodWidth / 2, -rodWidth / 2];
  const angle = theta + Math.PI / 2;
  canvas.fillPolygon(
    ([[l, b], [l, t], [r, t], [r, b]] as Point[]).map((p) => {
      const [x, y] = rotate(p, angle);
      return [x + offset, y + offset];
    }),
    [204, 77, 77],
  );
  canvas.fillCircle(offset, offset, Math.trunc(rodWidth / 2), [204, 77, 77]);
  const [ex, ey] = rotate([rodLength, 0], angle);
  canvas.fillCircle(Math.trunc(ex + offset), Math.trunc(ey + offset), Math.trunc(rodWidth / 2), [204, 77, 77]);
  canvas.fillCircle(offset, offset, Math.trunc(0.05 * scale), BLACK);
  canvas.flipVertical();
  return canvas;
}

/** The env's current frame as Gymnasium's rgb_array would show it, or null for envs without a picture. */
export function renderFrame(env: Env): Canvas | null {
  const inner = env.unwrapped ?? env;
  if (inner instanceof CartPoleEnv) return cartPole(inner.state);
  if (inner instanceof MountainCarEnv) return mountainCar(inner.state[0], 0.5);
  if (inner instanceof ContinuousMountainCarEnv) return mountainCar(inner.state[0], 0.45);
  if (inner instanceof AcrobotEnv) return acrobot(inner.state);
  if (inner instanceof PendulumEnv) return pendulum(inner.state[0]);
  return null;
}
