// Acrobot, as Gymnasium v1.3.0 classic_control/acrobot.py (Sutton 1996; the book's dynamics):
// one rk4 step of dt = 0.2 over the state augmented with the torque, angles wrapped to
// [-pi, pi], velocities bounded. The reset state is float32, as Gymnasium's .astype(np.float32).
import { Box, Discrete } from '../spaces.js';
import { ClassicControlEnv, resetBounds, type EnvMetadata } from '../env.js';

const pi = Math.PI;
const dt = 0.2;
const LINK_LENGTH_1 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
const LINK_MOI = 1.0;
const MAX_VEL_1 = 4 * pi;
const MAX_VEL_2 = 9 * pi;
const AVAIL_TORQUE = [-1.0, 0.0, +1];

function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

function bound(x: number, m: number, M: number): number {
  return Math.min(Math.max(x, m), M);
}

/** The time derivative of [theta1, theta2, dtheta1, dtheta2, torque] (AcrobotEnv._dsdt, "book"). */
function dsdt(s: Float64Array, out: Float64Array): void {
  const m1 = LINK_MASS_1;
  const m2 = LINK_MASS_2;
  const l1 = LINK_LENGTH_1;
  const lc1 = LINK_COM_POS_1;
  const lc2 = LINK_COM_POS_2;
  const I1 = LINK_MOI;
  const I2 = LINK_MOI;
  const g = 9.8;
  const a = s[4];
  const theta1 = s[0];
  const theta2 = s[1];
  const dtheta1 = s[2];
  const dtheta2 = s[3];
  const d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
  const d2 = m2 * (lc2 * lc2 + l1 * lc2 * Math.cos(theta2)) + I2;
  const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - pi / 2.0);
  const phi1 =
    -m2 * l1 * lc2 * (dtheta2 * dtheta2) * Math.sin(theta2) -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) +
    (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - pi / 2) +
    phi2;
  const ddtheta2 =
    (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * Math.sin(theta2) - phi2) /
    (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = ddtheta1;
  out[3] = ddtheta2;
  out[4] = 0.0;
}

export class AcrobotEnv extends ClassicControlEnv {
  readonly metadata: EnvMetadata = { render_modes: ['human', 'rgb_array'], render_fps: 15 };
  readonly action_space = new Discrete(3);
  readonly observation_space = new Box([-1, -1, -1, -1, -MAX_VEL_1, -MAX_VEL_2], [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2]);
  protected readonly stateArray = new Float64Array(4);
  // rk4 scratch, allocated once
  private readonly y0 = new Float64Array(5);
  private readonly y = new Float64Array(5);
  private readonly k1 = new Float64Array(5);
  private readonly k2 = new Float64Array(5);
  private readonly k3 = new Float64Array(5);
  private readonly k4 = new Float64Array(5);

  protected resetState(options?: Record<string, unknown>): void {
    const [low, high] = resetBounds(options, -0.1, 0.1);
    for (let i = 0; i < 4; i++) this.stateArray[i] = Math.fround(this.rng.uniform(low, high));
  }

  stepInPlace(actions: ArrayLike<number>, offset: number): number {
    const { y0, y, k1, k2, k3, k4 } = this;
    y0.set(this.stateArray);
    y0[4] = AVAIL_TORQUE[actions[offset]];
    // rk4(derivs, y0, [0, dt]): one step
    const dt2 = dt / 2.0;
    dsdt(y0, k1);
    for (let i = 0; i < 5; i++) y[i] = y0[i] + dt2 * k1[i];
    dsdt(y, k2);
    for (let i = 0; i < 5; i++) y[i] = y0[i] + dt2 * k2[i];
    dsdt(y, k3);
    for (let i = 0; i < 5; i++) y[i] = y0[i] + dt * k3[i];
    dsdt(y, k4);
    const s = this.stateArray;
    for (let i = 0; i < 4; i++) s[i] = y0[i] + (dt / 6.0) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    s[0] = wrap(s[0], -pi, pi);
    s[1] = wrap(s[1], -pi, pi);
    s[2] = bound(s[2], -MAX_VEL_1, MAX_VEL_1);
    s[3] = bound(s[3], -MAX_VEL_2, MAX_VEL_2);
    const terminated = -Math.cos(s[0]) - Math.cos(s[1] + s[0]) > 1.0;
    this.lastTerminated = terminated;
    return terminated ? 0.0 : -1.0;
  }

  writeObservation(out: Float32Array, offset: number): void {
    const s = this.stateArray;
    out[offset] = Math.cos(s[0]);
    out[offset + 1] = Math.sin(s[0]);
    out[offset + 2] = Math.cos(s[1]);
    out[offset + 3] = Math.sin(s[1]);
    out[offset + 4] = s[2];
    out[offset + 5] = s[3];
  }
}
