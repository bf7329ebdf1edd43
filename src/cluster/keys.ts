// Names in the cluster's Redis: BullMQ's queues (under BullMQ's own `bull:` prefix) and the
// rl: keys through which nodes announce themselves and a driver talks to its trials.

export const TRIAL_QUEUE = 'rl-trials';
export const SAMPLE_QUEUE = 'rl-samples';

/** A node's heartbeat: JSON NodeInfo, expiring unless renewed. */
export const nodeKey = (nodeId: string) => `rl:node:${nodeId}`;
export const NODE_PATTERN = 'rl:node:*';

/** A driver's heartbeat, renewed while it runs: a trial whose driver is gone stops. */
export const driverKey = (runId: string) => `rl:run:${runId}:driver`;
/** What nodes tell the driver about its trials, in order (a list). */
export const eventsKey = (runId: string) => `rl:run:${runId}:events`;
/** The driver's answers to one trial (a list). */
export const decisionsKey = (runId: string, trialId: string) => `rl:run:${runId}:trial:${trialId}:decisions`;
/** The job that runs a trial now; deleted once the trial ends, so that a stalled job never runs it again. */
export const launchKey = (runId: string, trialId: string) => `rl:run:${runId}:trial:${trialId}:launch`;
/** The attempt running the trial now: an older attempt (a node thought dead) stops on seeing another. */
export const attemptKey = (runId: string, trialId: string) => `rl:run:${runId}:trial:${trialId}:attempt`;
/** The trial's latest checkpoint folder (a FolderBundle): where a re-run continues from. */
export const checkpointKey = (runId: string, trialId: string) => `rl:run:${runId}:trial:${trialId}:checkpoint`;

/** Keys of a run expire a day after their last write unless deleted: a driver killed mid-run leaves no litter forever. */
export const RUN_KEY_TTL_S = 24 * 3600;
