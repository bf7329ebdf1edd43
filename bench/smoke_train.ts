import { PPO_DEFAULTS, type PPOConfig } from '../src/algorithms/ppo/defaults.js';
import { PPOTrainer } from '../src/algorithms/ppo/trainer.js';
const workers = Number(process.argv[2] ?? 8);
const config: PPOConfig = { ...PPO_DEFAULTS, env: 'CartPole-v1', num_workers: workers, num_sgd_iter: 10, sgd_minibatch_size: 250, model: { ...PPO_DEFAULTS.model, fcnet_hiddens: [40, 20] }, num_cpus_per_worker: 0, seed: Number(process.argv[3] ?? 1) };
const t0 = performance.now();
const trainer = await PPOTrainer.create(config);
console.log('backend', trainer.backend, 'setup', ((performance.now() - t0) / 1000).toFixed(2));
for (let i = 0; i < 20; i++) {
  const r = await trainer.train();
  console.log(r.training_iteration, r.episode_reward_min, r.episode_reward_mean.toFixed(2), r.episode_reward_max, r.timesteps_total, r.time_this_iter_s.toFixed(2), r.info.sample_time_s.toFixed(2), r.info.learner.kl.toFixed(4), r.info.learner.cur_kl_coeff.toFixed(3), r.info.learner.entropy.toFixed(3));
}
await trainer.stop();
console.log('total', ((performance.now() - t0) / 1000).toFixed(2));
