// MountainCar, as Gymnasium v1.3.0 classic_control/mountain_car.py (Moore 1990).
import { Box, Discrete } from '../spaces.js';
import { ClassicControlEnv, resetBounds, type EnvMetadata } from '../env.js';

const min_position = -1.2;
const max_position = 0.6;
const max_speed = 0.07;
const goal_position = 0.5;
const force = 0.001;
const gravity = 0.0025;

export interface MountainCarOptions {
  goal_velocity?: number;
}

export class MountainCarEnv extends ClassicControlEnv {
  readonly metadata: EnvMetadata = { render_modes: ['human', 'rgb_array'], render_fps: 30 };
  readonly action_space = new Discrete(3);
  readonly observation_space = new Box([min_position, -max_speed], [max_position, max_speed]);
  protected readonly stateArray = new Float64Array(2);
  private readonly goalVelocity: number;

  constructor(options: MountainCarOptions = {}) {
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
    velocity += (actions[offset] - 1) * force + Math.cos(3 * position) * -gravity;
    velocity = Math.min(Math.max(velocity, -max_speed), max_speed);
    position += velocity;
    position = Math.min(Math.max(position, min_position), max_position);
    if (position === min_position && velocity < 0) velocity = 0;
    this.lastTerminated = position >= goal_position && velocity >= this.goalVelocity;
    this.stateArray[0] = position;
    this.stateArray[1] = velocity;
    return -1.0;
  }

  writeObservation(out: Float32Array, offset: number): void {
    out[offset] = this.stateArray[0];
    out[offset + 1] = this.stateArray[1];
  }
}
