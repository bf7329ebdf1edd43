import type { CommandModule } from 'yargs';
import { registeredEnvs, makeUnwrapped } from '../envs/index.js';
import { renderTable } from '../report/table.js';

interface EnvsArgs {
  json: boolean;
}

export const envsCommand: CommandModule<object, EnvsArgs> = {
  command: 'envs',
  describe: 'List the registered environments',
  builder: (yargs) =>
    yargs.option('json', { type: 'boolean', default: false, describe: 'Print one JSON line per env instead of a table' }),
  handler: (args) => {
    const rows = registeredEnvs().map((spec) => {
      const env = makeUnwrapped(spec.id);
      return {
        id: spec.id,
        observation_space: env.observation_space,
        action_space: env.action_space,
        max_episode_steps: spec.maxEpisodeSteps,
        reward_threshold: spec.rewardThreshold,
      };
    });
    if (args.json) {
      for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
      return;
    }
    const table = renderTable(
      ['id', 'observation space', 'action space', 'max episode steps', 'reward threshold'],
      rows.map((r) => [r.id, String(r.observation_space), String(r.action_space), r.max_episode_steps ?? '-', r.reward_threshold ?? '-']),
      ['left', 'left', 'left', 'right', 'right'],
    );
    process.stdout.write(`${table}\n`);
  },
};
