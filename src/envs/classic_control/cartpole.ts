// CartPole, as Gymnasium v1.3.0 classic_control/cartpole.py (Barto, Sutton & Anderson 1983).
// The arithmetic keeps Gymnasium's order: long balanced runs amplify any reordering.
import { Box, Discrete } from '../spaces.js';
import { ClassicControlEnv, resetBounds, type EnvMetadata } from '../env.js';
import { logger } from '../../utils/log.js';

export interface CartPoleOptions {
  sutton_barto_reward?: boolean;
  /** "euler" (Gymnasium's default) or "semi-implicit euler". */
  kinematics_integrator?: string;
}

const gravity = 9.8;
const masscart = 1.0;
const masspole = 0.1;
const total_mass = masspole + masscart;
const length = 0.5; // half the pole's length
const polemass_length = masspole * length;
const force_mag = 10.0;
const tau = 0.02;
const theta_threshold_radians = (12 * 2 * Math.PI) / 360;
const x_threshold = 2.4;

export class CartPoleEnv extends ClassicControlEnv {
  readonly metadata: EnvMetadata = { render_modes: ['human', 'rgb_array'], render_fps: 50 };
  readonly action_space = new Discrete(2);
  // Twice the thresholds, so that a failing observation still lies inside the space.
  readonly observation_space = new Box(
    [-x_threshold * 2, -Infinity, -theta_threshold_radians * 2, -Infinity],
    [x_threshold * 2, Infinity, theta_threshold_radians * 2, Infinity],
  );
  protected readonly stateArray = new Float64Array(4);
  /** Gymnasium's steps_beyond_terminated: -1 stands for None. */
  private stepsBeyondTerminated = -1;
  private readonly suttonBartoReward: boolean;
  private readonly euler: boolean;

  constructor(options: CartPoleOptions = {}) {
    super();
    this.suttonBartoReward = options.sutton_barto_reward ?? false;
    this.euler = (options.kinematics_integrator ?? 'euler') === 'euler';
  }

  protected resetState(options?: Record<string, unknown>): void {
    const [low, high] = resetBounds(options, -0.05, 0.05);
    for (let i = 0; i < 4; i++) this.stateArray[i] = this.rng.uniform(low, high);
    this.stepsBeyondTerminated = -1;
  }

  stepInPlace(actions: ArrayLike<number>, offset: number): number {
    const s = this.stateArray;
    let x = s[0];
    let x_dot = s[1];
    let theta = s[2];
    let theta_dot = s[3];
    const force = actions[offset] === 1 ? force_mag : -force_mag;
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);

    const temp = (force + polemass_length * (theta_dot * theta_dot) * sintheta) / total_mass;
    const thetaacc =
      (gravity * sintheta - costheta * temp) / (length * (4.0 / 3.0 - (masspole * (costheta * costheta)) / total_mass));
    const xacc = temp - (polemass_length * thetaacc * costheta) / total_mass;

    if (this.euler) {
      x = x + tau * x_dot;
      x_dot = x_dot + tau * xacc;
      theta = theta + tau * theta_dot;
      theta_dot = theta_dot + tau * thetaacc;
    } else {
      x_dot = x_dot + tau * xacc;
      x = x + tau * x_dot;
      theta_dot = theta_dot + tau * thetaacc;
      theta = theta + tau * theta_dot;
    }
    s[0] = x;
    s[1] = x_dot;
    s[2] = theta;
    s[3] = theta_dot;

    const terminated = x < -x_threshold || x > x_threshold || theta < -theta_threshold_radians || theta > theta_threshold_radians;
    this.lastTerminated = terminated;

    if (!terminated) return this.suttonBartoReward ? 0.0 : 1.0;
    if (this.stepsBeyondTerminated === -1) {
      this.stepsBeyondTerminated = 0;
      return this.suttonBartoReward ? -1.0 : 1.0;
    }
    if (this.stepsBeyondTerminated === 0) {
      logger.warn(
        "You are calling 'step()' even though this environment has already returned terminated = True. " +
          "You should always call 'reset()' once you receive 'terminated = True' -- any further steps are undefined behavior.",
      );
    }
    this.stepsBeyondTerminated += 1;
    return this.suttonBartoReward ? -1.0 : 0.0;
  }

  writeObservation(out: Float32Array, offset: number): void {
    const s = this.stateArray;
    out[offset] = s[0];
    out[offset + 1] = s[1];
    out[offset + 2] = s[2];
    out[offset + 3] = s[3];
  }
}
