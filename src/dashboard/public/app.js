// The dashboard page: draws the runs' learning curves with uPlot and the Tune trial tables,
// redrawn on every snapshot the server sends over /api/events. Text from the files goes
// into the page as text (textContent), never as HTML.
/* global uPlot */
'use strict';

// The curves RLlib users look at first; [column, label, dashed].
const STANDARD_CHARTS = [
  { title: 'Episode reward (mean; min and max dashed)', columns: [['episode_reward_mean', 'mean'], ['episode_reward_min', 'min', true], ['episode_reward_max', 'max', true]] },
  { title: 'Episode length (mean)', columns: [['episode_len_mean', 'len']] },
  { title: 'Policy loss', columns: [['info/learner/policy_loss', 'policy loss']] },
  { title: 'Value-function loss', columns: [['info/learner/vf_loss', 'vf loss']] },
  { title: 'KL', columns: [['info/learner/kl', 'kl']] },
  { title: 'Entropy', columns: [['info/learner/entropy', 'entropy']] },
];
// Bookkeeping columns never charted on their own (used for the x axis or not worth a curve).
const BOOKKEEPING = /^(training_iteration|timesteps_total|time_total_s|time_this_iter_s|timesteps_this_iter|episodes_total|done|timestamp|pid|iterations_since_restore|.*num_steps_(sampled|trained)|.*_time_ms)$/;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const state = { snapshot: { runs: [], experiments: [] }, charts: new Map() };

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'style') Object.assign(node.style, value);
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function colorOf(runId) {
  const index = state.snapshot.runs.findIndex((r) => r.id === runId);
  return COLORS[index % COLORS.length];
}

/** The charts to draw: the standard ones some run has, and one a metric of the runs that have none of them (function trainables). */
function chartSpecs(runs) {
  const has = (column) => runs.some((r) => r.columns.includes(column));
  const standard = STANDARD_CHARTS.map((c) => ({ ...c, columns: c.columns.filter(([column]) => has(column)) })).filter((c) => c.columns.length > 0);
  const standardColumns = new Set(STANDARD_CHARTS.flatMap((c) => c.columns.map(([column]) => column)));
  const others = runs.filter((r) => !r.columns.some((c) => standardColumns.has(c)));
  const columns = [...new Set(others.flatMap((r) => r.columns))].filter((c) => !BOOKKEEPING.test(c));
  return [...standard, ...columns.slice(0, 8).map((column) => ({ title: column, columns: [[column, column]] }))];
}

/** Tick labels that keep small values apart (uPlot's default rounds 0.004 and 0.006 alike to 0). */
function tickLabels(_plot, splits) {
  return splits.map((v) => (v === 0 ? '0' : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(3)))));
}

/** uPlot data and series for one chart: every readable run's columns over the chosen x, joined on x. */
function chartData(spec, runs, xColumn) {
  const tables = [];
  const series = [{ label: xColumn }];
  for (const run of runs) {
    const xi = run.columns.indexOf(xColumn);
    if (xi < 0) continue;
    const present = spec.columns.filter(([column]) => run.columns.includes(column));
    if (present.length === 0) continue;
    const rows = run.rows.filter((row) => row[xi] !== null).sort((a, b) => a[xi] - b[xi]);
    tables.push([rows.map((row) => row[xi]), ...present.map(([column]) => rows.map((row) => row[run.columns.indexOf(column)]))]);
    for (const [column, label, dashed] of present) {
      series.push({ label: `${run.id} ${label}`, run: run.id, column, stroke: colorOf(run.id), width: dashed ? 1 : 2, dash: dashed ? [4, 4] : undefined, spanGaps: true });
    }
  }
  return { data: tables.length > 0 ? uPlot.join(tables) : [[]], series };
}

function drawCharts() {
  const { runs } = state.snapshot;
  const readable = runs.filter((r) => !r.error);
  const xColumn = document.getElementById('x-axis').value;
  const container = document.getElementById('charts');
  const specs = chartSpecs(readable);
  const wanted = new Set(specs.map((s) => s.title));
  for (const [title, chart] of state.charts) {
    if (!wanted.has(title)) {
      chart.plot.destroy();
      chart.node.remove();
      state.charts.delete(title);
    }
  }
  for (const spec of specs) {
    const { data, series } = chartData(spec, readable, xColumn);
    const key = JSON.stringify([xColumn, series.map((s) => [s.label, s.stroke])]);
    const existing = state.charts.get(spec.title);
    if (existing && existing.key === key) {
      existing.plot.setData(data);
      existing.series = series;
      continue;
    }
    if (existing) {
      existing.plot.destroy();
      existing.node.remove();
    }
    const node = el('div', { class: 'chart', 'data-title': spec.title }, [el('h3', { text: spec.title })]);
    container.append(node);
    const plot = new uPlot(
      { width: 560, height: 260, scales: { x: { time: false } }, axes: [{ label: document.getElementById('x-axis').selectedOptions[0].text }, { values: tickLabels, size: 60 }], series: series.map((s) => ({ ...s })) },
      data,
      node,
    );
    state.charts.set(spec.title, { plot, node, key, series });
  }
}

function drawRuns() {
  const list = document.getElementById('runs');
  list.replaceChildren(
    ...state.snapshot.runs.map((run) =>
      el('li', { class: run.error ? 'unreadable' : 'run', 'data-run': run.id }, [
        el('span', { class: 'swatch', style: { background: run.error ? 'transparent' : colorOf(run.id) } }),
        el('span', { text: run.error ? `${run.id}: unreadable (${run.error})` : `${run.id}: ${run.rows.length} iterations` }),
      ]),
    ),
  );
}

function lastValue(run, column) {
  if (!run || run.error || run.rows.length === 0) return '';
  const value = run.rows[run.rows.length - 1][run.columns.indexOf(column)];
  return typeof value === 'number' ? String(Math.round(value * 1000) / 1000) : '';
}

function drawExperiments() {
  const section = document.getElementById('experiments');
  section.replaceChildren(
    ...state.snapshot.experiments.flatMap((experiment) => {
      const title = el('h2', { text: `Tune experiment ${experiment.id}` });
      if (experiment.error) return [title, el('p', { class: 'unreadable', text: experiment.error })];
      const params = [...new Set(experiment.trials.flatMap((t) => Object.keys(t.params)))];
      const runs = new Map(state.snapshot.runs.map((r) => [r.id, r]));
      const metric = experiment.trials.some((t) => runs.get(t.runId)?.columns.includes('episode_reward_mean')) ? 'episode_reward_mean' : null;
      const header = el('tr', {}, ['Trial', 'status', ...params, 'iter', ...(metric ? [metric] : [])].map((h) => el('th', { text: h })));
      const rows = experiment.trials.map((trial) =>
        el('tr', { 'data-trial': trial.id }, [
          el('td', {}, [el('span', { class: 'swatch', style: { background: trial.runId && !runs.get(trial.runId).error ? colorOf(trial.runId) : 'transparent' } }), trial.id]),
          el('td', { class: `status-${trial.status}`, text: trial.status }),
          ...params.map((p) => el('td', { text: p in trial.params ? JSON.stringify(trial.params[p]) : '' })),
          el('td', { class: 'num', text: String(trial.iteration) }),
          ...(metric ? [el('td', { class: 'num', text: runs.get(trial.runId)?.error ? 'unreadable' : lastValue(runs.get(trial.runId), metric) })] : []),
        ]),
      );
      return [title, el('table', {}, [el('thead', {}, [header]), el('tbody', {}, rows)])];
    }),
  );
}

// rl serve instances: requests per second and mean latency per deployment, over seconds watched.
const serveCharts = new Map();

function drawServe(instances) {
  const section = document.getElementById('serve');
  for (const instance of instances) {
    const deployments = Object.keys(instance.deployments);
    for (const [metric, title] of [['rate', 'requests / s'], ['latency_ms', 'mean latency (ms)']]) {
      const name = `${instance.url} ${title}`;
      const tables = deployments.map((d) => [instance.deployments[d].map((p) => p.t), instance.deployments[d].map((p) => p[metric])]);
      const data = tables.length > 0 ? uPlot.join(tables) : [[]];
      const key = JSON.stringify(deployments);
      const existing = serveCharts.get(name);
      if (existing && existing.key === key) {
        existing.plot.setData(data);
        existing.caption.textContent = `rl serve at ${name}${instance.error ? ` (${instance.error})` : ''}`;
        continue;
      }
      if (existing) {
        existing.plot.destroy();
        existing.node.remove();
      }
      const caption = el('h3', { text: `rl serve at ${name}${instance.error ? ` (${instance.error})` : ''}` });
      const node = el('div', { class: 'chart', 'data-serve': `${instance.url} ${metric}` }, [caption]);
      section.append(node);
      const series = [{ label: 'seconds' }, ...deployments.map((d, i) => ({ label: d, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }))];
      const plot = new uPlot({ width: 560, height: 220, scales: { x: { time: false } }, axes: [{ label: 'seconds watched' }, { values: tickLabels, size: 60 }], series }, data, node);
      serveCharts.set(name, { plot, node, key, caption });
    }
  }
  window.rlDashboard.serve = instances;
}

function render(snapshot) {
  state.snapshot = snapshot;
  drawRuns();
  drawCharts();
  drawExperiments();
  document.getElementById('status').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

// For tests and the curious: how many points a run's curve of a column has in the charts.
window.rlDashboard = {
  points(runId, column) {
    for (const chart of state.charts.values()) {
      const index = chart.series.findIndex((s) => s.run === runId && s.column === column);
      if (index > 0) return chart.plot.data[index].filter((v) => typeof v === 'number').length;
    }
    return 0;
  },
  updates: 0,
  serve: [],
};

document.getElementById('x-axis').addEventListener('change', () => drawCharts());
const events = new EventSource('/api/events');
events.onmessage = (message) => {
  render(JSON.parse(message.data));
  window.rlDashboard.updates += 1;
};
events.addEventListener('serve', (message) => drawServe(JSON.parse(message.data)));
events.onerror = () => {
  document.getElementById('status').textContent = 'disconnected: is rl dashboard still running? (reconnecting)';
};
