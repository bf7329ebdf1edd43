// The rollout workers' states a sampler keeps between rounds (env states, RNG, filter buffers):
// each task carries its worker's state, so whichever thread or node runs it continues the same
// worker, and checkpoints save them (getStates / setStates of every Sampler).
import type { SampleResult, WorkerState } from './rollout_worker.js';

export class WorkerStates {
  private states: (WorkerState | null)[];

  constructor(readonly numWorkers: number) {
    this.states = new Array<WorkerState | null>(numWorkers).fill(null);
  }

  /** Worker `index`'s state for its next task (null: start from its config and seed). */
  of(index: number): WorkerState | null {
    return this.states[index];
  }

  /** The states a round of fragments came back with. */
  record(results: readonly SampleResult[]): void {
    for (const result of results) this.states[result.workerIndex] = result.state;
  }

  all(): (WorkerState | null)[] {
    return [...this.states];
  }

  /** States from a checkpoint: as many as there are workers (missing ones start fresh). */
  load(states: readonly (WorkerState | null)[]): void {
    this.states = Array.from({ length: this.numWorkers }, (_, index) => states[index] ?? null);
  }
}
