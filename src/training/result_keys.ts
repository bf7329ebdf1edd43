// The numeric keys every algorithm's result record has (RLlib's names), dotted for nested ones.
/** The numeric keys every result record has, dotted; an algorithm adds its info.learner keys. */
export const COMMON_RESULT_KEYS: readonly string[] = [
  'training_iteration',
  'episode_reward_min',
  'episode_reward_mean',
  'episode_reward_max',
  'episode_len_mean',
  'episodes_this_iter',
  'episodes_total',
  'timesteps_this_iter',
  'timesteps_total',
  'time_this_iter_s',
  'time_total_s',
  'info.num_steps_sampled',
  'info.num_steps_trained',
  'info.sample_time_s',
  'info.learn_time_s',
];
