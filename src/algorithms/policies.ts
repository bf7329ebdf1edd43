// Each algorithm's makePolicy by name, for the threads that only compute actions (rollout
// workers, here and on cluster nodes). registry.ts's entries also carry the config schemas, and
// loading zod for them cost every rollout thread ~0.25 s of CPU before its first step; a thread
// that never reads a config imports this list instead. test/algorithms/registry.test.ts checks
// that it names the registry's algorithms with the very same functions.
import type { AlgorithmPolicy, PolicyContext } from './algorithm.js';
import { makePPOPolicy } from './ppo/policy.js';
import { makeDQNPolicy } from './dqn/policy.js';
import { makeSACPolicy } from './sac/policy.js';

type MakePolicy = (context: PolicyContext<never>) => AlgorithmPolicy;

// DDPPO's policy is PPO's
const POLICIES: Readonly<Record<string, MakePolicy>> = { PPO: makePPOPolicy, DQN: makeDQNPolicy, SAC: makeSACPolicy, DDPPO: makePPOPolicy };

export function policyNames(): string[] {
  return Object.keys(POLICIES);
}

/** The policy maker of the algorithm of that name (the driver checked the name against the registry). */
export function policyMaker(algorithm: string): MakePolicy {
  const make = POLICIES[algorithm];
  if (!make) throw new Error(`no policy for algorithm ${algorithm}: add it to src/algorithms/policies.ts`);
  return make;
}
