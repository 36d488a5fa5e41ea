#!/usr/bin/env node
'use strict';
// sparq-export-tfjs, network mode: writes a whole nsfwjs network (InceptionV3
// or MobileNetV2) as a SPARQ *network bundle* (format: traces/README.md,
// "Network bundles"): the graph, BatchNorm folded into the preceding
// convolution, int8 weights of the folded graph, calibrated activation
// scales, the evaluation photos' network inputs and the original network's
// float outputs for each of them.
//
//   node tools/export/export_network.js --model mobilenetv2 --out DIR
//
// Checks before writing: the folded float graph, executed op by op with tfjs,
// reproduces the original network's logits on every image.
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { tf, initBackend, loadModel, packageVersion, samePadding } = require('./lib/model');
const { locateImage, decodeImage } = require('./lib/images');
const { rint, quantizeWeights } = require('./lib/quant');
const { encodeNpy } = require('./lib/npy');

const EXPORTER = { name: 'sparq-export-tfjs', version: require('./package.json').version };
const DEFAULT_CALIB = ['eagle', 'giraffe', 'horses', 'kite', 'person'].map((n) => `/usr/share/darknet/data/${n}.jpg`);
const PKGS = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'nsfwjs', 'jpeg-js', 'pngjs'];
const FOLD_TOLERANCE = 1e-3; // max |logit difference| folded vs original, relative to max |logit|

function usage(msg) {
  if (msg) process.stderr.write(`error: ${msg}\n\n`);
  process.stderr.write(`usage: node export_network.js --model inceptionv3|mobilenetv2 --out DIR
         [--images LIST] [--max-images N] [--calib PATH[,PATH...]] [--name NAME]
  LIST: a text file of image paths (default tools/export/net_images.txt); its
  .yaml twin (net_images.yaml) pins package, version and sha256 of each.
`);
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv) {
  const opts = { calib: DEFAULT_CALIB, images: path.join(__dirname, 'net_images.txt'), maxImages: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    switch (a) {
      case '--model': opts.model = val(); break;
      case '--out': opts.out = val(); break;
      case '--name': opts.name = val(); break;
      case '--images': opts.images = val(); break;
      case '--max-images': opts.maxImages = Number(val()); break;
      case '--calib': opts.calib = val().split(',').filter((s) => s); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!opts.model || !opts.out) usage('--model and --out are required');
  return opts;
}

function sha256(buf) { return crypto.createHash('sha256').update(buf).digest('hex'); }
const pair = (v) => (Array.isArray(v) ? v : [v, v]);
const yq = (s) => JSON.stringify(String(s));
const yflow = (arr) => `[${arr.join(', ')}]`;

// ------------------------------------------------------------------ graph
// Converts the Keras functional model into the bundle's node list (in the
// model's topological order). Returns {input, nodes, outputs}; each node has
// name, op, inputs (tensor = producing node's name), outputShape and op
// attributes; conv/dense nodes carry the folded float kernel (HWIO, grouped)
// and bias.
function buildGraph(model) {
  const alias = new Map(); // Keras layer name -> tensor name in the bundle
  const t = (layer) => {
    const n = alias.get(layer.name);
    if (n === undefined) throw new Error(`layer ${layer.name}: used before it is defined`);
    return n;
  };
  const consumers = (layer) => layer.outboundNodes.map((n) => n.outboundLayer);
  const nodes = [];
  const folded = new Set(); // layers absorbed into another node
  const shape = (layer) => layer.outputShape.slice(1);
  let input = null;
  for (const layer of model.layers) {
    if (folded.has(layer.name)) continue;
    const cls = layer.getClassName();
    const cfg = layer.getConfig();
    const ins = layer.inboundNodes.length ? layer.inboundNodes[0].inboundLayers : [];
    if (cls === 'InputLayer') {
      input = { name: layer.name, shape: shape(layer) };
      alias.set(layer.name, layer.name);
      continue;
    }
    const add = (node) => { nodes.push(node); alias.set(layer.name, node.name); return node; };
    // A ZeroPadding2D feeding only a convolution becomes that convolution's padding.
    if (cls === 'ZeroPadding2D' && consumers(layer).length === 1 &&
        ['Conv2D', 'DepthwiseConv2D'].includes(consumers(layer)[0].getClassName())) continue;
    if (cls === 'Conv2D' || cls === 'DepthwiseConv2D' || cls === 'Dense') {
      let producer = ins[0];
      let pad = [0, 0, 0, 0];
      let foldedPad = null;
      if (producer.getClassName() === 'ZeroPadding2D' && consumers(producer).length === 1) {
        const p = producer.getConfig().padding;
        pad = [p[0][0], p[0][1], p[1][0], p[1][1]];
        foldedPad = producer.name;
        producer = producer.inboundNodes[0].inboundLayers[0];
      }
      const w = layer.getWeights().map((x) => x.dataSync().slice());
      const kshape = layer.getWeights()[0].shape;
      const node = { name: layer.name, inputs: [t(producer)], foldedPad, keras: cls };
      let kernel; let cout; let wshape;
      if (cls === 'Dense') {
        const [cin, co] = kshape;
        Object.assign(node, { op: 'dense', kernel: [1, 1], stride: [1, 1], dilation: [1, 1], padding: [0, 0, 0, 0], groups: 1 });
        kernel = w[0]; cout = co; wshape = [1, 1, cin, co];
        node.inputShape = [1, 1, cin];
      } else {
        const k = pair(cfg.kernelSize); const s = pair(cfg.strides); const d = pair(cfg.dilationRate);
        const convIn = layer.input.shape.slice(1);
        if (cfg.padding === 'same') {
          const ps = [...samePadding(convIn[0], k[0], s[0], d[0]), ...samePadding(convIn[1], k[1], s[1], d[1])];
          pad = pad.map((v, i) => v + ps[i]);
        } else if (cfg.padding !== 'valid') throw new Error(`${layer.name}: padding ${cfg.padding}`);
        const C = convIn[2];
        if (cls === 'DepthwiseConv2D') {
          const m = cfg.depthMultiplier;
          Object.assign(node, { op: 'depthwise_conv2d', groups: C });
          cout = C * m; wshape = [k[0], k[1], 1, cout]; // [KH,KW,C,m] -> [KH,KW,1,C*m]: oc = c*m + j
        } else {
          Object.assign(node, { op: 'conv2d', groups: cfg.groups || 1 });
          cout = kshape[3]; wshape = kshape.slice();
        }
        kernel = w[0];
        Object.assign(node, { kernel: k, stride: s, dilation: d, padding: pad });
        node.inputShape = producer.outputShape.slice(1);
      }
      let bias = cfg.useBias ? Float64Array.from(w[1]) : new Float64Array(cout);
      const wf = Float64Array.from(kernel);
      // Fold a BatchNormalization that is the layer's only consumer.
      const cons = consumers(layer);
      let last = layer;
      if (cons.length === 1 && cons[0].getClassName() === 'BatchNormalization') {
        if (cfg.activation && cfg.activation !== 'linear') throw new Error(`${layer.name}: activation before BatchNorm`);
        const bn = cons[0];
        const bc = bn.getConfig();
        const bw = bn.getWeights().map((x) => x.dataSync());
        let i = 0;
        const gamma = bc.scale ? bw[i++] : null;
        const beta = bc.center ? bw[i++] : null;
        const mean = bw[i++]; const variance = bw[i++];
        const f = new Float64Array(cout);
        for (let oc = 0; oc < cout; oc++) {
          f[oc] = (gamma ? gamma[oc] : 1) / Math.sqrt(variance[oc] + bc.epsilon);
          bias[oc] = (bias[oc] - mean[oc]) * f[oc] + (beta ? beta[oc] : 0);
        }
        for (let j = 0; j < wf.length; j++) wf[j] *= f[j % cout];
        folded.add(bn.name);
        node.foldedBn = bn.name;
        last = bn;
      }
      node.floatWeights = Float32Array.from(wf);
      node.bias = Float32Array.from(bias);
      node.weightShape = wshape;
      node.cout = cout;
      node.outputShape = shape(last);
      add(node);
      alias.set(last.name, node.name);
      const act = cfg.activation || 'linear';
      if (act !== 'linear') {
        if (!['relu', 'softmax'].includes(act)) throw new Error(`${layer.name}: fused activation ${act} not supported`);
        const an = { name: `${layer.name}_${act}`, op: act, inputs: [node.name], outputShape: node.outputShape };
        nodes.push(an);
        alias.set(layer.name, an.name);
      }
      continue;
    }
    const node = { name: layer.name, inputs: ins.map(t), outputShape: shape(layer) };
    if (cls === 'Activation') {
      const op = { relu: 'relu', softmax: 'softmax', linear: 'identity' }[cfg.activation];
      if (!op) throw new Error(`${layer.name}: activation ${cfg.activation} not supported`);
      node.op = op;
    } else if (cls === 'ReLU') {
      if (cfg.negativeSlope || cfg.threshold) throw new Error(`${layer.name}: leaky/thresholded ReLU not supported`);
      if (cfg.maxValue == null) node.op = 'relu';
      else if (cfg.maxValue === 6) node.op = 'relu6';
      else throw new Error(`${layer.name}: ReLU max ${cfg.maxValue} not supported`);
    } else if (cls === 'MaxPooling2D' || cls === 'AveragePooling2D') {
      node.op = cls === 'MaxPooling2D' ? 'max_pool' : 'avg_pool';
      const k = pair(cfg.poolSize); const s = pair(cfg.strides || cfg.poolSize);
      const inS = ins[0].outputShape.slice(1);
      node.pool = k; node.stride = s;
      node.padding = cfg.padding === 'same'
        ? [...samePadding(inS[0], k[0], s[0], 1), ...samePadding(inS[1], k[1], s[1], 1)] : [0, 0, 0, 0];
    } else if (cls === 'GlobalAveragePooling2D') {
      node.op = 'global_avg_pool';
    } else if (cls === 'Concatenate') {
      if (cfg.axis !== -1 && cfg.axis !== 3) throw new Error(`${layer.name}: concat axis ${cfg.axis}`);
      node.op = 'concat';
    } else if (cls === 'Add') {
      node.op = 'add';
    } else if (cls === 'ZeroPadding2D') {
      const p = cfg.padding;
      node.op = 'pad';
      node.padding = [p[0][0], p[0][1], p[1][0], p[1][1]];
    } else if (cls === 'Dropout') {
      node.op = 'identity';
    } else if (cls === 'Softmax') {
      node.op = 'softmax';
    } else if (cls === 'Flatten' || cls === 'Reshape') {
      node.op = 'reshape';
    } else {
      throw new Error(`${layer.name}: Keras layer ${cls} not supported`);
    }
    add(node);
  }
  const outLayer = model.outputLayers[0];
  const probs = t(outLayer);
  const probNode = nodes.find((n) => n.name === probs);
  if (!probNode || probNode.op !== 'softmax') throw new Error('the network does not end in a softmax');
  return { input, nodes, outputs: { logits: probNode.inputs[0], probabilities: probs } };
}

// ------------------------------------------------------------- float graph
// Executes the folded graph with tfjs ops on one network input [1,S,S,3];
// returns a Map tensor name -> Float32Array for the requested names (and the
// logits and probabilities).
function runGraph(graph, x, want) {
  return tf.tidy(() => {
    const env = new Map([[graph.input.name, x]]);
    const out = new Map();
    for (const n of graph.nodes) {
      const a = n.inputs.map((i) => env.get(i));
      let y;
      switch (n.op) {
        case 'conv2d': case 'depthwise_conv2d': {
          const [t0, b0, l0, r0] = n.padding;
          const xp = tf.pad(a[0], [[0, 0], [t0, b0], [l0, r0], [0, 0]]);
          if (n.op === 'conv2d') {
            if (n.groups !== 1) throw new Error(`${n.name}: grouped conv2d`);
            y = tf.conv2d(xp, tf.tensor4d(n.floatWeights, n.weightShape), n.stride, 'valid', 'NHWC', n.dilation);
          } else {
            const C = n.inputShape[2];
            const k = tf.tensor4d(n.floatWeights, [n.weightShape[0], n.weightShape[1], C, n.cout / C]);
            y = tf.depthwiseConv2d(xp, k, n.stride, 'valid', 'NHWC', n.dilation);
          }
          y = tf.add(y, tf.tensor1d(n.bias));
          break;
        }
        case 'dense':
          y = tf.add(tf.matMul(a[0].reshape([1, -1]), tf.tensor2d(n.floatWeights, [n.weightShape[2], n.cout])),
            tf.tensor1d(n.bias));
          break;
        case 'relu': y = tf.relu(a[0]); break;
        case 'relu6': y = tf.clipByValue(a[0], 0, 6); break;
        case 'max_pool': case 'avg_pool': {
          const same = n.padding.some((v) => v !== 0);
          y = (n.op === 'max_pool' ? tf.maxPool : tf.avgPool)(a[0], n.pool, n.stride, same ? 'same' : 'valid');
          break;
        }
        case 'global_avg_pool': y = tf.mean(a[0], [1, 2]); break;
        case 'concat': y = tf.concat(a, -1); break;
        case 'add': y = tf.addN(a); break;
        case 'pad': {
          const [t0, b0, l0, r0] = n.padding;
          y = tf.pad(a[0], [[0, 0], [t0, b0], [l0, r0], [0, 0]]);
          break;
        }
        case 'identity': y = a[0]; break;
        case 'softmax': y = tf.softmax(a[0].reshape([1, -1])); break;
        case 'reshape': y = a[0].reshape([1, ...n.outputShape]); break;
        default: throw new Error(`${n.name}: op ${n.op}`);
      }
      const got = y.shape.slice(1).reduce((p, q) => p * q, 1);
      const exp = n.outputShape.reduce((p, q) => p * q, 1);
      if (got !== exp) throw new Error(`${n.name}: output has ${got} elements, expected ${exp}`);
      env.set(n.name, y);
      if (want.has(n.name)) out.set(n.name, y.dataSync().slice());
    }
    return out;
  });
}

// nsfwjs' preprocessing, rounded to uint8 pixels (as export.js).
function preprocess(file, size) {
  const { rgb, height, width } = decodeImage(file);
  const r = tf.tidy(() => tf.image.resizeBilinear(
    tf.tensor3d(rgb, [height, width, 3], 'int32').toFloat().div(255), [size, size], true).dataSync());
  const pixels = new Uint8Array(r.length);
  for (let i = 0; i < r.length; i++) pixels[i] = Math.max(0, Math.min(255, rint(r[i] * 255)));
  return { pixels, decodedShape: [height, width, 3] };
}
const netInput = (pixels, size) => tf.tidy(() => tf.tensor4d(pixels, [1, size, size, 3], 'int32').toFloat().div(255));

// Tensors that cannot be negative by construction: ReLU outputs and what
// pooling, padding, concatenation, addition or reshaping make of them.
function nonNegative(graph) {
  const nn = new Set([graph.input.name]);
  for (const n of graph.nodes) {
    const all = n.inputs.every((i) => nn.has(i));
    if (['relu', 'relu6', 'softmax'].includes(n.op) ||
        (['max_pool', 'avg_pool', 'global_avg_pool', 'concat', 'add', 'pad', 'identity', 'reshape'].includes(n.op) && all)) {
      nn.add(n.name);
    }
  }
  return nn;
}

function readImageList(file) {
  return fs.readFileSync(file, 'utf8').split('\n').map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
}

// net_images.yaml: "- {path: P, debian_package: X, package_version: V, sha256: H}" lines.
function readPins(file) {
  const pins = new Map();
  if (!fs.existsSync(file)) return pins;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /path: "([^"]+)".*sha256: "([0-9a-f]{64})"/.exec(line);
    if (m) pins.set(m[1], m[2]);
  }
  return pins;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  await initBackend();
  const { model, spec, source } = await loadModel(opts.model);
  const S = spec.size;
  const graph = buildGraph(model);
  const convs = graph.nodes.filter((n) => n.floatWeights);
  process.stderr.write(`${spec.name}: ${graph.nodes.length} nodes, ${convs.length} conv/dense (BatchNorm folded: ` +
    `${convs.filter((n) => n.foldedBn).length})\n`);

  // Images.
  let paths = readImageList(opts.images);
  if (opts.maxImages > 0) paths = paths.slice(0, opts.maxImages);
  const calibSet = new Set(opts.calib.map((p) => path.resolve(p)));
  for (const p of paths) if (calibSet.has(path.resolve(p))) throw new Error(`${p} is a calibration image`);
  const pinFile = opts.images.replace(/\.txt$/, '.yaml');
  const pins = readPins(pinFile);
  const images = paths.map((p) => {
    const img = locateImage(p);
    if (pins.has(p) && pins.get(p) !== img.sha256) {
      throw new Error(`${p}: sha256 ${img.sha256} differs from ${pinFile} (${pins.get(p)})`);
    }
    return { ...img, ...preprocess(img.file, S) };
  });

  // Calibration on the folded float graph: per conv input, mean over the
  // calibration photos of the per-image max (unsigned) or max |x| (signed).
  const nn = nonNegative(graph);
  const convInputs = new Set(convs.map((n) => n.inputs[0]));
  const calib = opts.calib.map((p) => ({ ...locateImage(p) }));
  const maxima = new Map([...convInputs].map((n) => [n, []]));
  for (const c of calib) {
    const { pixels } = preprocess(c.file, S);
    const x = netInput(pixels, S);
    const taps = runGraph(graph, x, convInputs);
    x.dispose();
    for (const [name, arr] of taps) {
      let m = 0;
      for (let i = 0; i < arr.length; i++) m = Math.max(m, Math.abs(arr[i]));
      maxima.get(name).push(m);
    }
  }
  for (const n of convs) {
    const src = n.inputs[0];
    n.signed = !nn.has(src);
    if (src === graph.input.name) {
      n.scale = Math.fround(1 / 255);
    } else {
      const ms = maxima.get(src);
      const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
      n.calibMeanMax = mean;
      n.scale = Math.fround(mean / (n.signed ? 127 : 255));
      if (!(n.scale > 0)) throw new Error(`${n.name}: calibration gave scale ${n.scale}`);
    }
    const q = quantizeWeights(n.floatWeights, n.cout);
    n.q = q.q; n.wscales = q.scales; n.zeroChannels = q.zeroChannels;
  }

  // Float references: the ORIGINAL network (unfolded, tfjs) on every image;
  // logits = the final Dense before its softmax, computed from its input tap.
  const last = model.layers[model.layers.length - 1];
  if (last.getClassName() !== 'Dense' || last.getConfig().activation !== 'softmax') throw new Error('last layer is not Dense+softmax');
  const tap = tf.model({ inputs: model.inputs, outputs: [last.input, model.outputs[0]] });
  const [kLast, bLast] = last.getWeights();
  const classes = kLast.shape[1];
  const N = images.length;
  const floatLogits = new Float32Array(N * classes);
  const floatProbs = new Float32Array(N * classes);
  const foldedLogits = new Float32Array(N * classes);
  let worst = 0;
  for (let i = 0; i < N; i++) {
    const x = netInput(images[i].pixels, S);
    const [hIn, probs] = tap.predict(x);
    const logits = tf.tidy(() => tf.add(tf.matMul(hIn, kLast), bLast).dataSync());
    floatLogits.set(logits, i * classes);
    floatProbs.set(probs.dataSync(), i * classes);
    hIn.dispose(); probs.dispose();
    const f = runGraph(graph, x, new Set([graph.outputs.logits])).get(graph.outputs.logits);
    x.dispose();
    foldedLogits.set(f, i * classes);
    let maxAbs = 0; let diff = 0;
    for (let c = 0; c < classes; c++) {
      maxAbs = Math.max(maxAbs, Math.abs(logits[c]));
      diff = Math.max(diff, Math.abs(logits[c] - f[c]));
    }
    worst = Math.max(worst, diff / Math.max(maxAbs, 1e-6));
    process.stderr.write(`\r  image ${i + 1}/${N}`);
  }
  process.stderr.write(`\nfolded float graph vs original network: max |logit diff| / max |logit| = ${worst.toExponential(2)} over ${N} images\n`);
  if (!(worst <= FOLD_TOLERANCE)) throw new Error(`folded graph does not reproduce the original network (${worst} > ${FOLD_TOLERANCE})`);

  // Write.
  fs.mkdirSync(opts.out, { recursive: true });
  for (const f of fs.readdirSync(opts.out)) if (f.endsWith('.npy') || f === 'network.yaml') fs.rmSync(path.join(opts.out, f));
  const write = (file, arr, shp) => {
    const buf = encodeNpy(arr, shp);
    fs.writeFileSync(path.join(opts.out, file), buf);
    return `{path: ${file}, sha256: "${sha256(buf)}"}`;
  };
  const allPixels = new Uint8Array(N * S * S * 3);
  images.forEach((im, i) => allPixels.set(im.pixels, i * S * S * 3));
  const name = opts.name || path.basename(path.resolve(opts.out));
  const L = [];
  L.push('format: sparq-network-bundle', 'format_version: 1', `name: ${yq(name)}`);
  L.push('model:', `  name: ${spec.name}`, `  source: ${yq(source)}`, '  pretrained: true',
    `  classes: ${classes}`, '  note: "nsfwjs 5-class head (Drawing, Hentai, Neutral, Porn, Sexy) on ImageNet-pretrained features"');
  L.push('exporter:', `  name: ${EXPORTER.name}`, `  version: ${yq(EXPORTER.version)}`,
    `  packages: {${PKGS.map((p) => `${yq(p)}: ${yq(packageVersion(p))}`).join(', ')}}`, `  backend: wasm`,
    `  command: ${yq(`node tools/export/export_network.js --model ${opts.model}${opts.maxImages ? ` --max-images ${opts.maxImages}` : ''} --out DIR`)}`,
    `  fold_check: {max_relative_logit_difference: ${worst}, tolerance: ${FOLD_TOLERANCE}}`);
  L.push('input:', `  name: ${graph.input.name}`, `  shape: ${yflow(graph.input.shape)}`,
    '  scale: 0.003921568859368563',
    `  preprocessing: ${yq(`decoded to RGB uint8 (jpeg-js/pngjs, alpha dropped, grey expanded); tf.image.resizeBilinear(rgb / 255, [${S}, ${S}], alignCorners=true); pixels = clamp(round_half_even(255 r), 0, 255); network input = pixels / 255 (float32)`)}`);
  L.push('calibration:', '  method: mean-of-max',
    `  rule: ${yq('activation_scale of a conv/dense input = mean over the calibration photos of the per-image max / 255 (unsigned: a tensor that is non-negative by construction) or max |x| / 127 (signed, int8 symmetric), on the folded float graph; the first conv takes the exact pixels (1/255)')}`,
    `  weights_rule: ${yq('folded float weights, int8 symmetric per output channel: scale = max|w| / 127 (float32), q = round_half_even(w / scale); an all-zero channel has scale 1')}`,
    `  images: [${calib.map((c) => yq(c.path)).join(', ')}]`,
    `  image_sha256: [${calib.map((c) => yq(c.sha256)).join(', ')}]`);
  L.push(`outputs: {logits: ${graph.outputs.logits}, probabilities: ${graph.outputs.probabilities}}`);
  L.push('images:', `  count: ${N}`,
    `  pixels: ${write('images.npy', allPixels, [N, S, S, 3])}`,
    `  float_logits: ${write('float_logits.npy', floatLogits, [N, classes])}`,
    `  float_probabilities: ${write('float_probabilities.npy', floatProbs, [N, classes])}`,
    '  list:');
  for (const im of images) {
    L.push(`    - {path: ${yq(im.path)}, debian_package: ${yq(im.debian_package)}, package_version: ${yq(im.package_version)}, ` +
      `sha256: "${im.sha256}", decoded_shape: ${yflow(im.decodedShape)}}`);
  }
  L.push('nodes:');
  for (const n of graph.nodes) {
    L.push(`  - name: ${yq(n.name)}`, `    op: ${n.op}`, `    inputs: [${n.inputs.map(yq).join(', ')}]`,
      `    output_shape: ${yflow(n.outputShape)}`);
    if (n.floatWeights) {
      L.push(`    kernel: ${yflow(n.kernel)}`, `    stride: ${yflow(n.stride)}`, `    dilation: ${yflow(n.dilation)}`,
        `    padding: ${yflow(n.padding)}`, `    groups: ${n.groups}`, `    activation_signed: ${n.signed}`,
        `    activation_scale: ${n.scale}`);
      const meta = [`keras: ${n.keras}`];
      if (n.foldedBn) meta.push(`folded_batchnorm: ${n.foldedBn}`);
      if (n.foldedPad) meta.push(`folded_padding: ${n.foldedPad}`);
      if (n.calibMeanMax !== undefined) meta.push(`calibration_mean_max: ${n.calibMeanMax}`);
      meta.push(`weight_zero_channels: ${n.zeroChannels}`);
      L.push(`    meta: {${meta.join(', ')}}`);
      const f = (s) => `${n.name}.${s}.npy`;
      L.push('    files:',
        `      weights: ${write(f('weights'), n.q, n.weightShape)}`,
        `      weight_scales: ${write(f('weight_scales'), n.wscales, [n.cout])}`,
        `      bias: ${write(f('bias'), n.bias, [n.cout])}`,
        `      float_weights: ${write(f('float_weights'), n.floatWeights, n.weightShape)}`);
    } else if (n.op === 'max_pool' || n.op === 'avg_pool') {
      L.push(`    pool: ${yflow(n.pool)}`, `    stride: ${yflow(n.stride)}`, `    padding: ${yflow(n.padding)}`);
    } else if (n.op === 'pad') {
      L.push(`    padding: ${yflow(n.padding)}`);
    }
  }
  fs.writeFileSync(path.join(opts.out, 'network.yaml'), L.join('\n') + '\n');
  process.stderr.write(`wrote ${opts.out}/network.yaml (${graph.nodes.length} nodes, ${N} images)\n`);
}

main().catch((e) => { process.stderr.write(`error: ${e.message}\n`); process.exit(1); });
