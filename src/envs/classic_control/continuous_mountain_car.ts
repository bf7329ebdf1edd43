// MountainCarContinuous, as Gymnasium v1.3.0 classic_control/continuous_mountain_car.py.
// The state is stored as float32 after every step (np.array(..., dtype=np.float32)), and the
// reward uses the unclipped action while the force is clipped to [-1, 1].
import { Box } from '../spaces.js';
import { ClassicControlEnv, resetBounds, type EnvMetadata } from '../env.js';

const min_action = -1.0;
const max_action = 1.0;
const min_position = -1.2;
const max_position = 0.6;
const max_speed = 0.07;
const goal_position = 0.45;
const power = 0.0015;

export interface ContinuousMountainCarOptions {
  goal_velocity?: number;
}

export class ContinuousMountainCarEnv extends ClassicControlEnv {
  readonly metadata: EnvMetadata = { render_modes: ['human', 'rgb_array'], render_fps: 30 };
  readonly action_space = new Box(min_action, max_action, [1]);
  readonly observation_space = new Box([min_position, -max_speed], [max_position, max_speed]);
  protected readonly stateArray = new Float64Array(2);
  private readonly goalVelocity: number;

  constructor(options: ContinuousMountainCarOptions = {}) {
    super();
    this.goalVelocity = options.goal_velocity ?? 0;
  }

  protected resetState(options?: Record<string, unknown>): void {
    const [low, high] = resetBounds(options, -0.6, -0.4);
    this.stateArray[0] = this.rng.uniform(low, high);
    this.stateArray[1] = 0;
  }

  stepInPlace(actions: ArrayLike<number>, offset: number): number {
    let position = this.stateArray[0];
    let velocity = this.stateArray[1];
    const action = actions[offset];
    const force = Math.min(Math.max(action, min_action), max_action);
    velocity += force * power - 0.0025 * Math.cos(3 * position);
    if (velocity > max_speed) velocity = max_speed;
    if (velocity < -max_speed) velocity = -max_speed;
    position += velocity;
    if (position > max_position) position = max_position;
    if (position < min_position) position = min_position;
    if (position === min_position && velocity < 0) velocity = 0;
    const terminated = position >= goal_position && velocity >= this.goalVelocity;
    this.lastTerminated = terminated;
    let reward = 0;
    if (terminated) reward = 100.0;
    reward -= action * action * 0.1;
    this.stateArray[0] = Math.fround(position);
    this.stateArray[1] = Math.fround(velocity);
    return reward;
  }

  writeObservation(out: Float32Array, offset: number): void {
    out[offset] = this.stateArray[0];
    out[offset + 1] = this.stateArray[1];
  }
}
