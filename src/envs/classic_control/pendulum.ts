// Pendulum, as Gymnasium v1.3.0 classic_control/pendulum.py. theta is never wrapped in the
// state; the cost normalises it with Python's floor modulo.
import { Box } from '../spaces.js';
import { ClassicControlEnv, type EnvMetadata } from '../env.js';

const max_speed = 8;
const max_torque = 2.0;
const dt = 0.05;
const m = 1.0;
const l = 1.0;

/** ((x + pi) % (2 pi)) - pi with Python's %, whose result takes the sign of the divisor. */
export function angleNormalize(x: number): number {
  const y = 2 * Math.PI;
  let r = (x + Math.PI) % y;
  if (r !== 0 && r < 0 !== y < 0) r += y;
  return r - Math.PI;
}

export interface PendulumOptions {
  g?: number;
}

export class PendulumEnv extends ClassicControlEnv {
  readonly metadata: EnvMetadata = { render_modes: ['human', 'rgb_array'], render_fps: 30 };
  readonly action_space = new Box(-max_torque, max_torque, [1]);
  readonly observation_space = new Box([-1, -1, -max_speed], [1, 1, max_speed]);
  protected readonly stateArray = new Float64Array(2);
  private readonly g: number;
  /** The last torque applied, for rendering. */
  lastTorque: number | null = null;

  constructor(options: PendulumOptions = {}) {
    super();
    this.g = options.g ?? 10.0;
  }

  protected resetState(options?: Record<string, unknown>): void {
    const x = options?.x_init ?? Math.PI;
    const y = options?.y_init ?? 1.0;
    if (typeof x !== 'number' || typeof y !== 'number') throw new RangeError('reset options x_init and y_init must be numbers');
    this.stateArray[0] = this.rng.uniform(-x, x);
    this.stateArray[1] = this.rng.uniform(-y, y);
    this.lastTorque = null;
  }

  stepInPlace(actions: ArrayLike<number>, offset: number): number {
    const th = this.stateArray[0];
    const thdot = this.stateArray[1];
    const g = this.g;
    const u = Math.min(Math.max(actions[offset], -max_torque), max_torque);
    this.lastTorque = u;
    const an = angleNormalize(th);
    const costs = an * an + 0.1 * (thdot * thdot) + 0.001 * (u * u);
    let newthdot = thdot + (((3 * g) / (2 * l)) * Math.sin(th) + (3.0 / (m * (l * l))) * u) * dt;
    newthdot = Math.min(Math.max(newthdot, -max_speed), max_speed);
    const newth = th + newthdot * dt;
    this.stateArray[0] = newth;
    this.stateArray[1] = newthdot;
    this.lastTerminated = false;
    return -costs;
  }

  writeObservation(out: Float32Array, offset: number): void {
    out[offset] = Math.cos(this.stateArray[0]);
    out[offset + 1] = Math.sin(this.stateArray[0]);
    out[offset + 2] = this.stateArray[1];
  }
}
