// One data-parallel worker: a replica of the model, its optimizer and its shard of the data.
// Each step (as PyTorch DDP and Ray SGD's TorchTrainer): forward and backward on the local rows,
// gradients all-reduced (weighted by rows, so N workers on a global batch make the update one
// worker makes on it), the same optimizer step on every replica. A tf.sequential of Dense layers
// trained with Adam or SGD runs on the WebAssembly kernel instead of tfjs (kernel_model.ts): the
// replicas then share one set of weights in shared memory (shared_kernel.ts), and each worker
// sums and steps its own chunk of them inside the all-reduce.
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint } from '../checkpoint/index.js';
import { saveCheckpoint } from '../checkpoint/save.js';
import { displayPath } from '../checkpoint/format.js';
import { initBackend, type BackendChoice } from '../utils/tensor_backend.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { AllReduce, type AllReduceMemory } from './allreduce.js';
import { useFastTransposedMatMul } from './fast_matmul.js';
import { WholeSet, batchStream, isWholeSet, type LocalBatch, type ShardStream } from './data.js';
import { KernelModel, kernelRegionBytes, planKernel, type KernelPlan } from './kernel_model.js';
import { chunkOf, placementOf, type SharedKernelMemory } from './shared_kernel.js';
import { flatOptimizer, flatOptimizerProblem, type FlatOptimizer, type FlatVariable } from './flat_optimizer.js';
import { loadTrainingModule, type DataSet, type SGDConfig, type TrainingCreators, type CreatorContext } from './module.js';

export interface ReplicaInit {
  /** The training module's absolute path (imported here), or the creators themselves (in-thread replicas only). */
  module: string | TrainingCreators;
  config: SGDConfig;
  batchSize: number;
  seed: number;
  rank: number;
  size: number;
  backend: BackendChoice;
}

export interface ReplicaInfo {
  parameters: number;
  /** What runs the forward and backward passes: 'kernel' (WebAssembly), or 'tfjs' and why not the kernel. */
  engine: string;
  /** On the kernel: the bytes of one worker's region of the shared memory (allocateSharedKernel). */
  kernelRegionBytes: number | null;
  metricNames: string[];
  trainRows: number | null;
  inputShape: (number | null)[];
  outputShape: (number | null)[];
}

/** Sums of one pass over this worker's shard: the driver divides by the rows over all workers. */
export interface PassSums {
  rows: number;
  steps: number;
  lossSum: number;
  metricSums: number[];
}

/** What a checkpoint holds besides the model: Adam's (or any tfjs optimizer's) named weights. */
export interface OptimizerState {
  names: string[];
  shapes: number[][];
  values: Float32Array[];
}

export interface SaveRequest {
  root: string;
  epoch: number;
  manifest: Record<string, unknown>;
}

type MetricFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

const shapeText = (shape: readonly (number | null)[]) => JSON.stringify(shape).replace(/null/g, 'null');

export class Replica {
  private constructor(
    private readonly init: ReplicaInit,
    private readonly creators: TrainingCreators,
    private readonly name: string,
    readonly model: tf.LayersModel,
    private readonly optimizer: tf.Optimizer,
    private readonly variables: tf.Variable[],
    private readonly lossFn: MetricFn,
    private readonly metricFns: MetricFn[],
    readonly metricNames: string[],
    private train: DataSet,
    private readonly validation: DataSet | undefined,
    /** How the model runs on the WebAssembly kernel, or null (tfjs runs it) and why. */
    private readonly kernelPlan: KernelPlan | null,
    private readonly kernelProblem: string | null,
  ) {}

  /** Set by attach() once the driver knows the parameter count (every replica builds the same model). */
  private allReduce!: AllReduce;
  /** With the kernel (from attach()): the model in this worker's region, and the optimizer over the weights all workers share. */
  private kernel: KernelModel | null = null;
  private flat: FlatOptimizer | null = null;
  private shared: SharedKernelMemory | null = null;
  /**
   * Whether the tfjs model's variables lag the kernel's weights (it trained since). The tfjs model
   * validates and saves, so those catch it up first: not every epoch, where it cost ~2 ms, 2-3% of
   * an MNIST epoch on 2 workers.
   */
  private modelBehind = false;

  /** Each worker's rows of a global batch (an iterable's batches may be larger: the kernel then takes a larger one of its own). */
  private get rowsPerWorker(): number {
    return Math.ceil(this.init.batchSize / this.init.size);
  }

  /**
   * Joins the all-reduce: through tfjs, `memory` holds parameterCount floats per worker; on the
   * kernel, it only counts rows (and keeps the barriers), and `shared` (allocateSharedKernel)
   * holds the weights and every worker's kernel.
   */
  attach(memory: AllReduceMemory, shared: SharedKernelMemory | null): void {
    this.allReduce = new AllReduce(memory, this.init.rank);
    if (this.kernelPlan) {
      if (!shared) throw new RangeError('a replica on the kernel needs the memory the workers share');
      this.shared = shared;
      this.kernel = new KernelModel(this.kernelPlan, this.rowsPerWorker, placementOf(shared, this.init.rank));
      this.flat = flatOptimizer(this.optimizer, shared);
    }
  }

  static async create(init: ReplicaInit): Promise<Replica> {
    await initBackend(init.backend);
    useFastTransposedMatMul();
    const loaded = typeof init.module === 'string' ? await loadTrainingModule(init.module) : { file: '<creators>', creators: init.module };
    const { creators } = loaded;
    const name = typeof init.module === 'string' ? displayPath(loaded.file) : 'creators';
    const context: CreatorContext = { tf, rank: init.rank, numWorkers: init.size };
    const model = await callCreator(name, 'model', () => creators.model(init.config, context));
    if (!(model instanceof tf.LayersModel)) {
      throw new UserError(
        `${name}: model(config) returned ${describe(model)}, not a tf.LayersModel of the tfjs rl runs (build it with the tf the creators get: model(config, { tf }))`,
      );
    }
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new UserError(`${name}: model(config) has ${model.inputs.length} inputs and ${model.outputs.length} outputs; rl sgd trains models with one of each`);
    }
    const optimizer = await callCreator(name, 'optimizer', () => creators.optimizer(init.config, context));
    if (!(optimizer instanceof tf.Optimizer)) throw new UserError(`${name}: optimizer(config) returned ${describe(optimizer)}, not a tf.Optimizer (e.g. tf.train.adam(config.lr))`);
    try {
      model.compile({ optimizer, loss: creators.loss, metrics: creators.metrics ?? [] });
    } catch (error) {
      throw new UserError(`${name}: export 'loss' or 'metrics' is not one tfjs knows (${errorMessage(error)})`);
    }
    const data = await callCreator(name, 'data', () => creators.data(init.config, context));
    if (!data || typeof data !== 'object' || data.train === undefined) throw new UserError(`${name}: data(config) returned ${describe(data)}, not {train, validation}`);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const plan = planKernel(model, creators.loss);
    const kernelProblem = 'reason' in plan ? plan.reason : flatOptimizerProblem(optimizer);
    const kernelPlan = kernelProblem === null && !('reason' in plan) ? plan : null;
    const replica = new Replica(
      init,
      creators,
      name,
      model,
      optimizer,
      variables,
      compiledLoss(model),
      model.metricsTensors.map(([fn]) => fn as MetricFn),
      model.metricsNames.slice(1),
      data.train,
      data.validation,
      kernelPlan,
      kernelProblem,
    );
    replica.wholeTrain = isWholeSet(data.train) ? replica.whole(data.train, 'train') : null;
    replica.wholeValidation = data.validation !== undefined && isWholeSet(data.validation) ? replica.whole(data.validation, 'validation') : null;
    return replica;
  }

  private wholeTrain: WholeSet | null = null;
  private wholeValidation: WholeSet | null = null;
  /** Whether the shapes of the data were checked against the model's (on the first batch of each set). */
  private checked = new Set<string>();

  /** Every trainable weight, flattened in the model's order. */
  get parameterCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  info(): ReplicaInfo {
    return {
      parameters: this.parameterCount,
      engine: this.kernelPlan ? 'kernel' : `tfjs (the kernel does not run ${this.kernelProblem})`,
      kernelRegionBytes: this.kernelPlan ? kernelRegionBytes(this.kernelPlan, this.rowsPerWorker) : null,
      metricNames: this.metricNames,
      trainRows: this.wholeTrain?.rows ?? null,
      inputShape: this.model.inputs[0].shape,
      outputShape: this.model.outputs[0].shape,
    };
  }

  private whole(set: DataSet, which: string): WholeSet {
    let whole: WholeSet;
    try {
      whole = new WholeSet(set, `data().${which}`);
    } catch (error) {
      throw new UserError(`${this.name}: ${errorMessage(error)}`);
    }
    this.checkShapes(whole.x, whole.y, which);
    return whole;
  }

  /** One line naming the export and both shapes when the data does not fit the model. */
  private checkShapes(x: { shape: number[] }, y: { shape: number[] }, which: string): void {
    if (this.checked.has(which)) return;
    this.checked.add(which);
    const input = this.model.inputs[0].shape;
    const output = this.model.outputs[0].shape;
    const fits = (data: number[], model: (number | null)[]) => data.length === model.length && model.every((d, i) => i === 0 || d === null || d === data[i]);
    if (!fits(x.shape, input)) {
      throw new UserError(`${this.name}: data().${which} x has shape ${shapeText(x.shape)} but model() takes input shape ${shapeText(input)}`);
    }
    // class labels (a vector, or one column) for a sparse loss, or for a loss function that may be one
    const labels = y.shape.length === 1 || (y.shape.length === output.length && y.shape.at(-1) === 1);
    const mayBeSparse = typeof this.creators.loss === 'function' || /^sparse/i.test(this.creators.loss);
    const targetFits = fits(y.shape, output) || (mayBeSparse && labels);
    if (!targetFits) {
      throw new UserError(`${this.name}: data().${which} y has shape ${shapeText(y.shape)} but model() gives output shape ${shapeText(output)}`);
    }
  }

  /** Rank 0's initial weights (or a restored state) on every replica, bit for bit. */
  syncWeights(): void {
    this.catchUpModel();
    const rank0 = this.allReduce.rank === 0;
    if (this.kernel) {
      // the weights are shared: rank 0 writes them, the others read them after the barrier
      if (rank0) this.kernel.params.set(this.variableWeights());
      this.allReduce.barrier();
      this.assignVariables(this.kernel.params);
    } else this.assignVariables(this.allReduce.broadcast(rank0 ? this.variableWeights() : undefined));
  }

  flatWeights(): Float32Array {
    return this.kernel ? Float32Array.from(this.kernel.params) : this.variableWeights();
  }

  /** The tfjs variables' values, flattened. */
  private variableWeights(): Float32Array {
    const flat = new Float32Array(this.parameterCount);
    let offset = 0;
    for (const v of this.variables) {
      flat.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    return flat;
  }

  /** The kernel's weights into the tfjs model's variables, when they lag. */
  private catchUpModel(): void {
    if (!this.modelBehind) return;
    this.assignVariables(this.kernel!.params);
    this.modelBehind = false;
  }

  /** The tfjs variables from flat weights (the tfjs model validates and saves). */
  private assignVariables(flat: Float32Array): void {
    let offset = 0;
    for (const v of this.variables) {
      v.assign(tf.tensor(flat.slice(offset, offset + v.size), v.shape));
      offset += v.size;
    }
  }

  /** One epoch over this worker's shard, gradients all-reduced every step. */
  async trainEpoch(epoch: number, onStep?: (step: number, steps: number | null) => void): Promise<PassSums> {
    const stream = await this.trainStream(epoch);
    const ar = this.allReduce;
    const sums: PassSums = { rows: 0, steps: 0, lossSum: 0, metricSums: [] };
    const kernel = this.kernel;
    if (kernel) this.modelBehind = true; // from the first step on, even if a later one fails
    const stepChunk = kernel ? this.stepChunk() : undefined;
    for (;;) {
      const batch = await stream.next();
      let loss = 0;
      try {
        if (batch.n > 0) {
          this.checkShapes({ shape: batch.xShape }, { shape: batch.yShape }, 'train');
          loss = kernel ? kernel.sumGradients(batch) : this.localGradients(batch, ar.slot);
        } else if (kernel) kernel.zeroGradients();
        else ar.slot.fill(0);
      } finally {
        batch.dispose();
      }
      const rows = ar.sum(batch.n, undefined, stepChunk);
      if (rows === 0) break;
      if (kernel) this.flat!.finishStep();
      else this.applyAveraged(ar.result, rows);
      sums.rows += batch.n;
      sums.lossSum += loss * batch.n;
      sums.steps += 1;
      onStep?.(sums.steps, stream.steps);
    }
    return sums;
  }

  /**
   * Between the all-reduce's barriers: this worker's chunk of every worker's gradients (each where
   * its kernel wrote them, at the same offset of its region), summed in rank order, and the
   * optimizer's step on the same chunk of the shared weights.
   */
  private stepChunk(): (rows: number) => void {
    const { rank, size } = this.init;
    const P = this.parameterCount;
    const { memory, plan } = this.shared!;
    const offset = this.kernel!.grads.byteOffset - plan.bases[rank];
    const grads = plan.bases.map((base) => new Float32Array(memory.buffer, base + offset, P));
    const [start, end] = chunkOf(P, rank, size);
    return (rows) => {
      if (rows > 0) this.flat!.stepRange(grads, rows, start, end); // no rows: the epoch's end, no step
    };
  }

  /** Loss on the local rows; writes n x its gradient (flattened) into out. */
  private localGradients(batch: LocalBatch, out: Float32Array): number {
    const x = batch.x;
    const y = batch.y;
    const { value, grads } = tf.variableGrads(() => {
      const prediction = this.model.apply(x, { training: true }) as tf.Tensor;
      // as tfjs's model.fit: mean of the per-example loss, plus the layers' regularisation losses
      let total = tf.mean(this.lossFn(y, prediction));
      const regularisers = this.model.calculateLosses();
      if (regularisers.length > 0) total = tf.add(total, tf.addN(regularisers));
      return total as tf.Scalar;
    }, this.variables);
    let offset = 0;
    for (const v of this.variables) {
      const g = grads[v.name].dataSync() as Float32Array;
      for (let i = 0; i < g.length; i++) out[offset + i] = g[i] * batch.n;
      offset += v.size;
    }
    const loss = value.dataSync()[0];
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    return loss;
  }

  private applyAveraged(summed: Float32Array, rows: number): void {
    const named: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of this.variables) {
      const g = summed.slice(offset, offset + v.size);
      for (let i = 0; i < g.length; i++) g[i] /= rows;
      named[v.name] = tf.tensor(g, v.shape);
      offset += v.size;
    }
    this.optimizer.applyGradients(named);
    for (const t of Object.values(named)) t.dispose();
  }

  private async trainStream(epoch: number): Promise<ShardStream> {
    const { batchSize, seed, rank, size } = this.init;
    if (this.wholeTrain) return this.wholeTrain.trainStream(batchSize, seed, epoch, rank, size);
    // A generator is an iterator of itself and runs once: data() makes a new one for each epoch after the first.
    if (epoch > 1 && isOneShot(this.train)) this.train = (await this.creators.data(this.init.config, { tf, rank: this.init.rank, numWorkers: this.init.size })).train;
    return batchStream(this.train, 'data().train', rank, size);
  }

  /** Loss and metrics over this worker's part of the validation set (no all-reduce: the driver sums). */
  async validate(): Promise<PassSums | null> {
    if (this.validation === undefined) return null;
    this.catchUpModel();
    const { batchSize, rank, size } = this.init;
    const stream = this.wholeValidation ? this.wholeValidation.evalStream(batchSize, rank, size) : await batchStream(this.validation, 'data().validation', rank, size);
    const sums: PassSums = { rows: 0, steps: 0, lossSum: 0, metricSums: this.metricFns.map(() => 0) };
    for (;;) {
      const batch = await stream.next();
      if (batch.n === 0) break;
      const x = batch.x;
      const y = batch.y;
      try {
        this.checkShapes(x, y, 'validation');
        const values = tf.tidy(() => {
          const prediction = this.model.apply(x, { training: false }) as tf.Tensor;
          return [tf.sum(this.lossFn(y, prediction)), ...this.metricFns.map((fn) => tf.sum(fn(y, prediction)))];
        });
        const numbers = values.map((t) => t.dataSync()[0]);
        tf.dispose(values);
        sums.lossSum += numbers[0];
        numbers.slice(1).forEach((v, i) => (sums.metricSums[i] += v));
      } finally {
        batch.dispose();
      }
      sums.rows += batch.n;
      sums.steps += 1;
    }
    return sums;
  }

  async optimizerState(): Promise<OptimizerState> {
    if (this.flat) return this.flat.state(this.flatVariables());
    const weights = await this.optimizer.getWeights();
    const state: OptimizerState = { names: [], shapes: [], values: [] };
    for (const { name, tensor } of weights) {
      state.names.push(name);
      state.shapes.push(tensor.shape);
      state.values.push(Float32Array.from(tensor.dataSync()));
    }
    return state;
  }

  private flatVariables(): FlatVariable[] {
    return this.variables.map((v) => ({ name: v.name, shape: v.shape, size: v.size }));
  }

  /** Writes <root>/checkpoint_<epoch>/ atomically (rank 0 only: replicas are identical). */
  async save(request: SaveRequest): Promise<string> {
    this.catchUpModel();
    const optimizer = await this.optimizerState();
    return saveCheckpoint(request.root, request.epoch, {
      manifest: {
        ...(request.manifest as never as Record<string, never>),
        state: { ...(request.manifest.state as object), optimizer: { names: optimizer.names, shapes: optimizer.shapes } },
      } as never,
      models: { model: this.model },
      arrays: { optimizer: optimizer.values },
    });
  }

  /** Weights and optimizer state from a checkpoint (every replica reads the same files). */
  async load(manifestPath: string): Promise<void> {
    const loaded = await loadCheckpoint(manifestPath);
    const source = displayPath(loaded.manifestPath);
    const saved = [...loaded.modelWeights('model').values()];
    const current = this.model.getWeights();
    const fits = saved.length === current.length && saved.every((w, i) => JSON.stringify(w.shape) === JSON.stringify(current[i].shape));
    if (!fits) {
      throw new UserError(
        `${source} holds weights of shapes ${saved.map((w) => shapeText(w.shape)).join(' ')} but ${this.name}'s model() has ${current.map((t) => shapeText(t.shape)).join(' ')}`,
      );
    }
    this.model.setWeights(saved.map((w) => tf.tensor(w.values, w.shape)));
    this.modelBehind = false;
    // every worker writes the same bits into the shared weights
    if (this.kernel) this.kernel.params.set(this.variableWeights());
    const { names, shapes } = ((loaded.manifest.state as { optimizer?: { names: string[]; shapes: number[][] } }).optimizer ?? { names: [], shapes: [] });
    const values = loaded.loadArrays('optimizer');
    if (values.length !== names.length) throw new UserError(`${source} is damaged: it has ${values.length} optimizer arrays for ${names.length} names`);
    try {
      if (this.flat) this.flat.setState({ names, shapes, values });
      else await this.optimizer.setWeights(names.map((name, i) => ({ name, tensor: tf.tensor(values[i], shapes[i]) })));
    } catch (error) {
      throw new UserError(`${source}: its optimizer state does not fit ${this.name}'s optimizer(config) (${errorMessage(error)})`);
    }
  }

  /** Tells the other replicas to stop waiting for this one. */
  abort(): void {
    this.allReduce?.abort();
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
  }
}

/** The loss function compile() resolved (a tf.Sequential keeps it on the LayersModel it wraps). */
function compiledLoss(model: tf.LayersModel): MetricFn {
  const inner = (model as unknown as { model?: tf.LayersModel }).model;
  return ((inner instanceof tf.LayersModel ? inner : model).lossFunctions[0]) as MetricFn;
}

function isOneShot(set: DataSet): boolean {
  const s = set as Record<symbol, unknown>;
  for (const key of [Symbol.asyncIterator, Symbol.iterator]) {
    if (typeof s[key] === 'function') return (s[key] as () => unknown).call(set) === set;
  }
  return false;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return `a ${typeof value}`;
}

/** A creator call; what it throws is the user's error, reported with the export's name. */
async function callCreator<T>(name: string, creator: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new UserError(`${name}: ${creator}(config) threw: ${errorMessage(error)}`);
  }
}
