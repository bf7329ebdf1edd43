// The play page: a checkpoint's policy network (TF.js LayersModel) chooses greedy actions in the
// page, as `rl rollout` does without --explore, from observations passed through the checkpoint's
// observation filter; the server steps the env and sends Gymnasium's picture of it.
/* global tf */
import { MeanStdFilter } from '/modules/filter.js';

const $ = (id) => document.getElementById(id);
window.rlPlay = { done: false, episodeReturn: 0, length: 0, error: null };

async function post(url, body) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await response.json();
  if (!response.ok) throw new Error(json.error ?? response.statusText);
  return json;
}

async function draw(frame) {
  if (!frame) return;
  const bytes = Uint8Array.from(atob(frame.rgb), (c) => c.charCodeAt(0));
  const rgb = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))).arrayBuffer());
  const screen = $('screen');
  screen.width = frame.width;
  screen.height = frame.height;
  const image = new ImageData(frame.width, frame.height);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    image.data[j] = rgb[i];
    image.data[j + 1] = rgb[i + 1];
    image.data[j + 2] = rgb[i + 2];
    image.data[j + 3] = 255;
  }
  screen.getContext('2d').putImageData(image, 0, 0);
}

/**
 * The env action from the policy network's outputs: argmax (first of equals), or for Box spaces the
 * Gaussian means clipped to the bounds, or (SAC) squashed into them: low + (tanh(u) + 1) (high - low) / 2.
 */
function greedyAction(outputs, space, boxActions) {
  if (space.type === 'Discrete') {
    let best = 0;
    for (let i = 1; i < space.n; i++) if (outputs[i] > outputs[best]) best = i;
    return best + (space.start ?? 0);
  }
  const size = space.shape.reduce((a, b) => a * b, 1);
  return Array.from(outputs.slice(0, size), (mean, i) => {
    const low = Number(space.low[i]);
    const high = Number(space.high[i]);
    const action = boxActions === 'squashed-means' ? low + (Math.tanh(mean) + 1) * ((high - low) / 2) : mean;
    return Math.min(Math.max(action, low), high);
  });
}

let checkpoints = [];

async function playEpisode() {
  const info = checkpoints[$('checkpoint').selectedIndex];
  const seed = Number($('seed').value);
  const fast = $('speed').value === 'fast';
  Object.assign(window.rlPlay, { done: false, episodeReturn: 0, length: 0, error: null });
  $('play').disabled = true;
  try {
    const model = await tf.loadLayersModel(`/checkpoint-files/${encodeURIComponent(info.id)}/policy/model.json`);
    const filter = info.filter ? MeanStdFilter.fromState(info.filter) : null;
    const episode = await post('/api/play', { checkpoint: info.id, seed });
    await draw(episode.frame);
    const size = episode.observation.length;
    const filtered = new Float32Array(size);
    let observation = episode.observation;
    for (;;) {
      const raw = Float32Array.from(observation);
      if (filter) filter.apply(raw, 0, filtered, 0, false);
      const output = tf.tidy(() => {
        const out = model.predict(tf.tensor2d(filter ? filtered : raw, [1, size]));
        return Array.isArray(out) ? out[0] : out;
      });
      const outputs = await output.data();
      output.dispose();
      const startedAt = performance.now();
      const wantFrame = !fast || window.rlPlay.length % 25 === 0;
      const step = await post(`/api/play/${episode.session}/step`, { action: greedyAction(outputs, episode.action_space, info.box_actions), frame: wantFrame });
      window.rlPlay.episodeReturn += step.reward;
      window.rlPlay.length += 1;
      observation = step.observation;
      await draw(step.frame);
      $('result').textContent = `${info.id} on ${info.env}: return ${window.rlPlay.episodeReturn.toFixed(1)} after ${window.rlPlay.length} steps`;
      if (step.terminated || step.truncated) break;
      if (!fast) await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20 - (performance.now() - startedAt))));
    }
    model.dispose();
    $('result').textContent += ' (episode over)';
  } catch (error) {
    window.rlPlay.error = String(error);
    $('result').textContent = `could not play: ${error.message ?? error}`;
  } finally {
    window.rlPlay.done = true;
    $('play').disabled = false;
  }
}

await tf.setBackend('cpu'); // small networks; the same float32 arithmetic everywhere
checkpoints = await (await fetch('/api/checkpoints')).json();
$('checkpoint').replaceChildren(
  ...checkpoints.map((c) => {
    const option = document.createElement('option');
    option.textContent = `${c.id} (${c.env}, iteration ${c.iteration}${c.episode_reward_mean === null ? '' : `, reward ${c.episode_reward_mean.toFixed(1)}`})`;
    return option;
  }),
);
if (checkpoints.length === 0) $('result').textContent = 'No checkpoints under the dashboard\'s folders: train with rl train first.';
$('play').disabled = checkpoints.length === 0;
$('play').addEventListener('click', () => void playEpisode());
window.rlPlay.ready = true;
