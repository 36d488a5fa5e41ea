'use strict';
// Loading nsfwjs' bundled Keras models (fast path) and describing their
// convolution / depthwise / dense layers as trace-bundle layers.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

const MODELS = {
  inceptionv3: { dir: 'inception_v3', name: 'InceptionV3', size: 299 },
  mobilenetv2: { dir: 'mobilenet_v2', name: 'MobileNetV2', size: 224 },
};

// Root directory of an installed package (walks up from its main file, since
// nsfwjs' "exports" map hides package.json and dist/models).
function packageRoot(name) {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).name === name) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`package root of ${name} not found`);
    dir = up;
  }
}

function packageVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(packageRoot(name), 'package.json'), 'utf8')).version;
}

async function initBackend() {
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error('WASM backend not available');
}

// Each shard module exports a base64 string of its weight bytes; the
// concatenation is the weightData of the (single) weights-manifest group.
async function loadModel(key) {
  const spec = MODELS[key];
  if (!spec) throw new Error(`unknown model ${key} (known: ${Object.keys(MODELS).join(', ')})`);
  const dir = path.join(packageRoot('nsfwjs'), 'dist', 'models', spec.dir);
  const json = require(path.join(dir, 'model.min.js'));
  const shardNo = (f) => Number(/shard(\d+)of/.exec(f)[1]);
  const shards = fs.readdirSync(dir).filter((f) => /^group1-shard\d+of\d+\.min\.js$/.test(f))
    .sort((a, b) => shardNo(a) - shardNo(b));
  const bytes = Buffer.concat(shards.map((f) => Buffer.from(require(path.join(dir, f)), 'base64')));
  if (json.weightsManifest.length !== 1) throw new Error('expected one weights group');
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  }));
  return { model, spec, source: `npm nsfwjs@${packageVersion('nsfwjs')} dist/models/${spec.dir}` };
}

const OPS = { Conv2D: 'conv2d', DepthwiseConv2D: 'depthwise_conv2d', Dense: 'dense' };

function isTraceable(layer) { return layer.getClassName() in OPS; }

const pair = (v) => (Array.isArray(v) ? v : [v, v]);

// TF 'same' padding along one axis: [before, after].
function samePadding(size, k, s, d) {
  const total = Math.max((Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

// Describe one traceable layer: geometry with explicit padding, the symbolic
// float input tensor (a preceding ZeroPadding2D is folded into the padding)
// and output tensor, and the kernel/bias as Keras holds them.
function describeLayer(model, layer) {
  const cls = layer.getClassName();
  const cfg = layer.getConfig();
  const node = layer.inboundNodes[0];
  let producer = node.inboundLayers[0];
  let inputTensor = layer.input;
  let extraPad = [0, 0, 0, 0];
  let folded = null;
  if (producer.getClassName() === 'ZeroPadding2D') {
    const p = producer.getConfig().padding; // [[top, bottom], [left, right]]
    extraPad = [p[0][0], p[0][1], p[1][0], p[1][1]];
    folded = producer.name;
    inputTensor = producer.input;
    producer = producer.inboundNodes[0].inboundLayers[0];
  }
  const isImage = inputTensor === model.inputs[0];
  const w = layer.getWeights();
  const kernel = w[0];
  const bias = cfg.useBias ? w[1] : null;
  const d = {
    name: layer.name, cls, op: OPS[cls], layer, inputTensor, outputTensor: layer.output,
    inputSource: isImage ? 'image_pixels' : producer.name, isImage, foldedPadding: folded,
    kernelTensor: kernel, biasTensor: bias, activation: cfg.activation || 'linear',
  };
  if (cls === 'Dense') {
    const [cin, cout] = kernel.shape;
    Object.assign(d, {
      inputShape: [1, 1, cin], outputShape: [1, 1, cout], kernel: [1, 1], stride: [1, 1],
      dilation: [1, 1], padding: [0, 0, 0, 0], groups: 1, weightShape: [1, 1, cin, cout], cout,
    });
    return d;
  }
  const convIn = layer.input.shape; // [null, H, W, C] as seen by the conv (padded)
  const [H, W, C] = inputTensor.shape.slice(1);
  const out = layer.output.shape.slice(1);
  const k = pair(cfg.kernelSize);
  const s = pair(cfg.strides);
  const dil = pair(cfg.dilationRate);
  let pad = [0, 0, 0, 0];
  if (cfg.padding === 'same') {
    pad = [...samePadding(convIn[1], k[0], s[0], dil[0]), ...samePadding(convIn[2], k[1], s[1], dil[1])];
  } else if (cfg.padding !== 'valid') {
    throw new Error(`${layer.name}: padding ${cfg.padding} not supported`);
  }
  pad = pad.map((v, i) => v + extraPad[i]);
  let groups;
  let weightShape;
  if (cls === 'DepthwiseConv2D') {
    const m = cfg.depthMultiplier;
    groups = C;
    // [KH, KW, C, m] -> [KH, KW, 1, C*m] is a pure reshape: oc = c*m + j.
    weightShape = [k[0], k[1], 1, C * m];
  } else {
    groups = cfg.groups || 1;
    weightShape = kernel.shape.slice();
  }
  const cout = weightShape[3];
  // Check the geometry the bundle reader checks.
  const hOut = Math.floor((H + pad[0] + pad[1] - dil[0] * (k[0] - 1) - 1) / s[0]) + 1;
  const wOut = Math.floor((W + pad[2] + pad[3] - dil[1] * (k[1] - 1) - 1) / s[1]) + 1;
  if (hOut !== out[0] || wOut !== out[1] || cout !== out[2] || C % groups || cout % groups ||
      weightShape[2] * groups !== C) {
    throw new Error(`${layer.name}: geometry mismatch (${hOut}x${wOut}x${cout} vs ${out})`);
  }
  Object.assign(d, {
    inputShape: [H, W, C], outputShape: out, kernel: k, stride: s, dilation: dil,
    padding: pad, groups, weightShape, cout,
  });
  return d;
}

module.exports = { tf, MODELS, initBackend, loadModel, isTraceable, describeLayer, packageVersion, samePadding };
