// Seeded randomness for the whole toolkit: one small generator (pure-rand's
// xoroshiro128+, a well-tested, jumpable PRNG) behind the few draws RL needs.
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import { randomInt } from 'node:crypto';

/** A seed drawn from the OS, for runs that were given none (as NumPy's default_rng(None)). */
export function entropySeed(): number {
  return randomInt(0, 2 ** 31);
}

/** Folds any safe integer into the 32 bits the generator takes, keeping distinct small seeds distinct. */
function foldSeed(seed: number): number {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be an integer, got ${seed}`);
  }
  const high = Math.floor(seed / 2 ** 32);
  return (seed ^ Math.imul(high, 0x9e3779b1)) | 0;
}

/**
 * The generator's 128-bit state from a 32-bit seed, as xoroshiro's authors advise: four outputs of
 * a SplitMix-style mixer (a Weyl sequence through MurmurHash3's finalizer). pure-rand's own
 * xoroshiro128plus(seed) puts the seed into the state almost as is, and those states start alike:
 * for every seed below 100,000 the first uniform() was above 0.9985, so seeded env resets all
 * began at the top of their range (MountainCar at -0.4, Pendulum at pi).
 */
function seedState(seed: number): number[] {
  let weyl = seed | 0;
  return Array.from({ length: 4 }, () => {
    weyl = (weyl + 0x9e3779b9) | 0;
    let z = weyl;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  });
}

/** A generator's full state, plain JSON, so that a worker can continue where another stopped. */
export interface RandomState {
  generator: number[];
  spareNormal: number | null;
}

export class Random {
  private readonly generator: JumpableRandomGenerator;
  private spareNormal = NaN;

  constructor(seed: number | null | undefined = undefined, generator?: JumpableRandomGenerator) {
    this.generator = generator ?? xoroshiro128plusFromState(seedState(foldSeed(seed ?? entropySeed())));
  }

  getState(): RandomState {
    return { generator: [...this.generator.getState()], spareNormal: Number.isNaN(this.spareNormal) ? null : this.spareNormal };
  }

  static fromState(state: RandomState): Random {
    const random = new Random(0, xoroshiro128plusFromState(state.generator));
    random.spareNormal = state.spareNormal ?? NaN;
    return random;
  }

  /** Uniform in [low, high), computed as NumPy does: low + (high - low) * u. */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * uniformFloat64(this.generator);
  }

  /** Uniform integer in [0, n). */
  integer(n: number): number {
    return uniformInt(this.generator, 0, n - 1);
  }

  /** Integer in [low, high] inclusive. */
  integerBetween(low: number, high: number): number {
    return uniformInt(this.generator, low, high);
  }

  /** Standard normal draw (Marsaglia polar method; the second value is kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return mean + std * z;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * uniformFloat64(this.generator) - 1;
      v = 2 * uniformFloat64(this.generator) - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    return mean + std * u * factor;
  }

  /** A 31-bit integer, e.g. to seed something else deterministically. */
  seed(): number {
    return uniformInt(this.generator, 0, 2 ** 31 - 1);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = uniformInt(this.generator, 0, i);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }
}
