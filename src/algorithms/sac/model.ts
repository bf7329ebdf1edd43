// SAC's networks as RLlib 1.x's SACTFModel builds them, each a FullyConnectedNetwork: the policy
// (obs -> Gaussian means and log-stds for Box, logits for Discrete; policy_model), the Q network
// and with twin_q its twin (Box: obs and action concatenated -> Q(s, a); Discrete: obs -> Q(s, .);
// Q_model), and a target copy of each Q network. All in one flat weight array, the policy first
// (so the policy's own layout, which rollout workers and rl serve use, is a prefix of it).
import { Box, Discrete, type Space } from '../../envs/spaces.js';
import { denseLayout, type ModelLayout, type NetworkSpec } from '../../nn/layout.js';
import type { SACConfig } from './defaults.js';

/** The online Q networks and their targets, by name. */
export const Q_NETWORKS = ['q', 'twin_q'] as const;
export const TARGET_OF: Record<string, string> = { q: 'target_q', twin_q: 'target_twin_q' };
/** The input Box Q networks read: an observation followed by an action. */
export const OBS_ACTION = 'obs_action';

type NetworkKeys = Pick<SACConfig, 'policy_model' | 'Q_model' | 'twin_q'>;

function policySpec(observationSize: number, space: Space, config: NetworkKeys): NetworkSpec {
  const outputSize = space instanceof Box ? 2 * space.size : (space as Discrete).n;
  return { name: 'policy', inputSize: observationSize, hiddens: config.policy_model.fcnet_hiddens, activation: config.policy_model.fcnet_activation, outputSize };
}

/** The policy network alone (what sampling, rl rollout and rl serve run). */
export function sacPolicyLayout(observationSize: number, space: Space, config: NetworkKeys): ModelLayout {
  checkSpace(space);
  return denseLayout(observationSize, [policySpec(observationSize, space, config)], { sizeSetting: { key: 'policy_model.fcnet_hiddens', hiddens: config.policy_model.fcnet_hiddens } });
}

/** Every network SAC learns: policy, q (twin_q), target_q (target_twin_q). */
export function sacModelLayout(observationSize: number, space: Space, config: NetworkKeys): ModelLayout {
  checkSpace(space);
  const q: Pick<NetworkSpec, 'input' | 'inputSize' | 'outputSize'> =
    space instanceof Box
      ? { input: OBS_ACTION, inputSize: observationSize + space.size, outputSize: 1 }
      : { input: 'obs', inputSize: observationSize, outputSize: (space as Discrete).n };
  const qNames = config.twin_q ? Q_NETWORKS : Q_NETWORKS.slice(0, 1);
  const qSpec = (name: string): NetworkSpec => ({ name, ...q, hiddens: config.Q_model.fcnet_hiddens, activation: config.Q_model.fcnet_activation });
  return denseLayout(observationSize, [policySpec(observationSize, space, config), ...qNames.map(qSpec), ...qNames.map((name) => qSpec(TARGET_OF[name]))], {
    sizeSetting: { key: 'Q_model.fcnet_hiddens', hiddens: config.Q_model.fcnet_hiddens },
  });
}

function checkSpace(space: Space): void {
  if (!(space instanceof Box) && !(space instanceof Discrete)) throw new TypeError('SAC supports Box and Discrete action spaces');
}
