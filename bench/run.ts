// `npm run bench`: prints speed figures (medians); never part of `npm test`.
// `npm run bench -- envs` runs one section.
import { benchEnvs } from './envs.js';
import { benchTrain } from './train.js';
import { benchPendulum } from './pendulum.js';
import { benchRollout } from './rollout.js';
import { benchServe } from './serve.js';
import { benchPBT } from './pbt.js';
import { benchMinibatch } from './minibatch.js';
import { benchSolve } from './solve.js';
import { benchDefaultTrain } from './default_train.js';
import { benchSGD } from './sgd.js';
import { benchCluster } from './cluster.js';
import { benchDQN } from './dqn.js';
import { benchSAC } from './sac.js';
import { benchDDPPO } from './ddppo.js';

const sections: Record<string, () => void | Promise<void>> = {
  envs: benchEnvs,
  train: benchTrain,
  rollout: benchRollout,
  serve: benchServe,
  pendulum: benchPendulum,
  pbt: benchPBT,
  minibatch: benchMinibatch,
  default: benchDefaultTrain,
  solve: benchSolve,
  sgd: benchSGD,
  cluster: benchCluster,
  dqn: benchDQN,
  sac: benchSAC,
  ddppo: benchDDPPO,
};

const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(sections)) {
  if (wanted.length === 0 || wanted.includes(name)) await run();
}
