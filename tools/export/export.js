#!/usr/bin/env node
'use strict';
// sparq-export-tfjs: exports real layers of nsfwjs' InceptionV3 / MobileNetV2
// as SPARQ trace bundles (format: traces/README.md).
//
//   node tools/export/export.js --model inceptionv3 \
//     --image /usr/share/darknet/data/dog.jpg --layers conv2d_1,conv2d_5 \
//     --out traces/inceptionv3-dog
//
// See tools/export/README.md for all options.
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { tf, initBackend, loadModel, isTraceable, describeLayer, packageVersion } = require('./lib/model');
const { locateImage, decodeImage } = require('./lib/images');
const { rint, quantizeWeights, quantizeActivations } = require('./lib/quant');
const { encodeNpy } = require('./lib/npy');

const EXPORTER = { name: 'sparq-export-tfjs', version: require('./package.json').version };
const DEFAULT_CALIB = ['eagle', 'giraffe', 'horses', 'kite', 'person']
  .map((n) => `/usr/share/darknet/data/${n}.jpg`);
const PKGS = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'nsfwjs', 'jpeg-js', 'pngjs'];

function usage(msg) {
  if (msg) process.stderr.write(`error: ${msg}\n\n`);
  process.stderr.write(`usage: node export.js --model inceptionv3|mobilenetv2 --image PATH
         --layers NAME[,NAME...]|all --out DIR
         [--name BUNDLE] [--calib PATH[,PATH...]] [--float-output all|none|NAME,...]
         [--stats-tensors LAYER[,LAYER...]] [--list-layers]
`);
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv) {
  const opts = { calib: DEFAULT_CALIB, floatOutput: 'all', statsTensors: [] };
  const list = (v) => v.split(',').map((s) => s.trim()).filter((s) => s);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    switch (a) {
      case '--model': opts.model = val(); break;
      case '--image': opts.image = val(); break;
      case '--layers': opts.layers = val(); break;
      case '--out': opts.out = val(); break;
      case '--name': opts.name = val(); break;
      case '--calib': opts.calib = list(val()); break;
      case '--float-output': opts.floatOutput = val(); break;
      case '--stats-tensors': opts.statsTensors = list(val()); break;
      case '--list-layers': opts.listLayers = true; break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!opts.model) usage('--model is required');
  if (!opts.listLayers) {
    for (const k of ['image', 'layers', 'out']) if (!opts[k]) usage(`--${k} is required`);
  }
  return opts;
}

// ---------------------------------------------------------------- image input
// nsfwjs' preprocessing (pixels / 255, resizeBilinear to SxS with
// alignCorners) followed by rounding to uint8 pixels, so that the network
// input is exactly `pixels / 255`: every float tensor in a bundle comes from
// that input, and the first conv's uint8 input is exact.
function preprocess(file, size) {
  const { rgb, height, width } = decodeImage(file);
  const resized = tf.tidy(() => tf.image.resizeBilinear(
    tf.tensor3d(rgb, [height, width, 3], 'int32').toFloat().div(255), [size, size], true));
  const r = resized.dataSync();
  resized.dispose();
  const pixels = new Uint8Array(r.length);
  for (let i = 0; i < r.length; i++) pixels[i] = Math.max(0, Math.min(255, rint(r[i] * 255)));
  const input = tf.tidy(() => tf.tensor4d(pixels, [1, size, size, 3], 'int32').toFloat().div(255));
  return { pixels, input, decodedShape: [height, width, 3] };
}

const PREPROCESSING = (size) => `decoded to RGB uint8 with jpeg-js/pngjs (alpha dropped); r = tf.image.resizeBilinear(rgb / 255, [${size}, ${size}], alignCorners=true) in float32 (as nsfwjs); pixels = clamp(round_half_even(255 * r), 0, 255) as uint8; network input = pixels / 255 in float32. Every float tensor of this bundle comes from the float network run on that input.`;

// ------------------------------------------------------------ reference ops
// Float forward of one traceable layer without its activation (used where
// the layer fuses a non-linear activation, and to cross-check the taps).
function referenceForward(d, x /* Float32Array [H,W,C] */) {
  return tf.tidy(() => {
    const kernel = d.kernelTensor;
    let y;
    if (d.op === 'dense') {
      y = tf.matMul(tf.tensor2d(x, [1, d.inputShape[2]]), kernel);
    } else {
      const xin = tf.tensor4d(x, [1, ...d.inputShape]);
      const [t, b, l, r] = d.padding;
      const xp = tf.pad(xin, [[0, 0], [t, b], [l, r], [0, 0]]);
      if (d.groups !== 1 && d.op === 'conv2d') throw new Error(`${d.name}: grouped Conv2D not supported`);
      y = d.op === 'depthwise_conv2d'
        ? tf.depthwiseConv2d(xp, kernel, d.stride, 'valid', 'NHWC', d.dilation)
        : tf.conv2d(xp, kernel, d.stride, 'valid', 'NHWC', d.dilation);
    }
    if (d.biasTensor) y = tf.add(y, d.biasTensor);
    return y.dataSync().slice();
  });
}

// ------------------------------------------------------------------ helpers
function tensorStats(a) {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) { const v = a[i]; if (v < min) min = v; if (v > max) max = v; }
  return { min, max, maxAbs: Math.max(Math.abs(min), Math.abs(max)) };
}

function mean(xs) { return xs.reduce((a, b) => a + b, 0) / xs.length; }

// Zero statistics of a uint8-quantized [.., C] tensor: zeros, adjacent-channel
// pairs (c even, c+1) with any / both zero (the vSPARQ pairs of docs/arithmetic.md §4).
function zeroStats(q, C) {
  let zeros = 0; let any = 0; let both = 0; let pairs = 0;
  for (let i = 0; i < q.length; i++) if (q[i] === 0) zeros++;
  for (let p = 0; p < q.length; p += C) {
    for (let c = 0; c + 1 < C; c += 2) {
      const z1 = q[p + c] === 0; const z2 = q[p + c + 1] === 0;
      pairs++; if (z1 || z2) any++; if (z1 && z2) both++;
    }
  }
  return { zero: zeros / q.length, pairAny: any / pairs, pairBoth: both / pairs };
}

// YAML scalars: plain where unambiguous, else JSON-quoted (valid YAML).
function ys(v) {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('non-finite number in manifest');
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  const s = String(v);
  if (/^[A-Za-z_/][A-Za-z0-9_./+-]*$/.test(s) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(s)) return s;
  return JSON.stringify(s);
}
const yflow = (arr) => `[${arr.map(ys).join(', ')}]`;
const yq = (s) => JSON.stringify(String(s)); // always quoted
const r6 = (x) => Number(x.toFixed(6));

function sha256(buf) { return crypto.createHash('sha256').update(buf).digest('hex'); }

function shellQuote(a) { return /^[A-Za-z0-9_./,=:+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`; }

// --------------------------------------------------------------------- main
async function main() {
  const t0 = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  await initBackend();
  const { model, spec, source } = await loadModel(opts.model);
  const traceable = model.layers.filter(isTraceable);
  if (opts.listLayers) {
    for (const l of traceable) {
      const d = describeLayer(model, l);
      console.log(`${d.name}\t${d.op}\t${d.kernel.join('x')}/${d.stride[0]}\t${d.inputShape.join('x')} -> ${d.outputShape.join('x')}\t${d.inputSource}`);
    }
    return;
  }
  const names = opts.layers === 'all' ? traceable.map((l) => l.name) : opts.layers.split(',').map((s) => s.trim());
  const descs = names.map((n) => {
    const l = traceable.find((x) => x.name === n);
    if (!l) throw new Error(`${n}: no Conv2D/DepthwiseConv2D/Dense layer of that name in ${spec.name}`);
    return describeLayer(model, l);
  });
  const wantFloat = (n) => opts.floatOutput === 'all' || (opts.floatOutput !== 'none' && opts.floatOutput.split(',').includes(n));

  // Tensors to tap: every non-image layer input, the float outputs taken from
  // the graph (layers without a fused non-linearity), and --stats-tensors.
  const taps = [];
  const tapIndex = (t) => { let i = taps.indexOf(t); if (i < 0) { taps.push(t); i = taps.length - 1; } return i; };
  for (const d of descs) {
    if (!d.isImage) d.inTap = tapIndex(d.inputTensor);
    if (wantFloat(d.name) && d.activation === 'linear') d.outTap = tapIndex(d.outputTensor);
  }
  const statTaps = opts.statsTensors.map((n) => ({ name: n, tap: tapIndex(model.getLayer(n).output) }));
  const calibTaps = [...new Set([...descs.filter((d) => !d.isImage).map((d) => d.inTap), ...statTaps.map((s) => s.tap)])];
  const tapModel = taps.length ? tf.model({ inputs: model.inputs, outputs: taps }) : null;
  const runTaps = (input, which) => {
    if (!tapModel) return [];
    const outs = [].concat(tapModel.predict(input));
    const res = outs.map((o, i) => (which.includes(i) ? o.dataSync().slice() : null));
    outs.forEach((o) => o.dispose());
    return res;
  };

  // Calibration: per-image max (and min, max|x|) of every tapped input tensor.
  const calib = opts.calib.map((p) => locateImage(p));
  const calibStats = calibTaps.map(() => []);
  for (const c of calib) {
    const { input } = preprocess(c.file, spec.size);
    const vals = runTaps(input, calibTaps);
    input.dispose();
    calibTaps.forEach((ti, k) => calibStats[k].push(tensorStats(vals[ti])));
  }
  const calibOf = (ti) => calibStats[calibTaps.indexOf(ti)];

  // The traced image.
  const img = locateImage(opts.image);
  const { pixels, input, decodedShape } = preprocess(img.file, spec.size);
  const all = taps.map((_, i) => i);
  const vals = runTaps(input, all);
  input.dispose();

  const out = path.resolve(opts.out);
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(out)) if (f.endsWith('.npy') || f === 'manifest.yaml') fs.unlinkSync(path.join(out, f));
  const bundleName = opts.name || path.basename(out);

  const layerYaml = [];
  const table = [];
  let totalBytes = 0;
  const write = (file, arr, shape) => {
    const buf = encodeNpy(arr, shape);
    fs.writeFileSync(path.join(out, file), buf);
    totalBytes += buf.length;
    return { path: file, sha256: sha256(buf) };
  };

  for (const d of descs) {
    // Float input and its quantization.
    let x; let scale; let signed = false; let calMean = null; let notes = [];
    const files = {};
    if (d.isImage) {
      scale = Math.fround(1 / 255);
      x = null;
    } else {
      x = vals[d.inTap];
      const st = tensorStats(x);
      const cs = calibOf(d.inTap);
      signed = st.min < 0 || cs.some((s) => s.min < 0);
      if (signed) {
        calMean = mean(cs.map((s) => s.maxAbs));
        scale = Math.fround(calMean / 127);
        const mins = [st.min, ...cs.map((s) => s.min)];
        process.stdout.write(`NOTICE: ${d.name}: input ${d.inputSource} has negative values (min ${Math.min(...mins).toFixed(4)} ` +
          `over traced+calibration images); exported as activation_signed: true, int8 symmetric, scale = mean max|x| / 127\n`);
      } else {
        calMean = mean(cs.map((s) => s.max));
        scale = Math.fround(calMean / 255);
      }
      if (!(scale > 0)) { scale = 1; notes.push('input is all zero on the calibration images: activation_scale set to 1'); }
    }
    let qIn; let clipped = 0; let zeros;
    if (d.isImage) {
      qIn = pixels;
      zeros = 0; for (let i = 0; i < qIn.length; i++) if (qIn[i] === 0) zeros++;
    } else {
      ({ q: qIn, clipped, zeros } = quantizeActivations(x, scale, signed));
    }
    files.input = write(`${d.name}.input.npy`, qIn, d.inputShape);

    // Weights (int8 per output channel), bias.
    const wq = quantizeWeights(d.kernelTensor.dataSync(), d.cout);
    files.weights = write(`${d.name}.weights.npy`, wq.q, d.weightShape);
    files.weight_scales = write(`${d.name}.weight_scales.npy`, wq.scales, [d.cout]);
    if (d.biasTensor) files.bias = write(`${d.name}.bias.npy`, d.biasTensor.dataSync().slice(), [d.cout]);

    // Float output of the layer itself, before any post-op.
    let floatSource = null;
    if (wantFloat(d.name)) {
      const xin = d.isImage ? Float32Array.from(pixels, (p) => p / 255) : x;
      let fo;
      if (d.activation === 'linear') {
        fo = vals[d.outTap];
        floatSource = 'tap of the layer output tensor (the layer has no fused activation)';
        // Cross-check the tap against a direct float conv of the same input.
        const ref = referenceForward(d, xin);
        let num = 0; let den = 0;
        for (let i = 0; i < fo.length; i++) { num += (ref[i] - fo[i]) ** 2; den += fo[i] ** 2; }
        if (Math.sqrt(num / den) > 1e-4) throw new Error(`${d.name}: tap and direct conv disagree (rel ${Math.sqrt(num / den)})`);
      } else {
        fo = referenceForward(d, xin);
        floatSource = `recomputed without the layer's fused ${d.activation}: ${d.op === 'dense' ? 'matMul' : d.op}(float input, kernel)${d.biasTensor ? ' + bias' : ''} in float32`;
      }
      files.float_output = write(`${d.name}.float_output.npy`, fo, d.outputShape);
    }

    const n = qIn.length;
    const zs = zeroStats(qIn, d.inputShape[2]);
    const floatInput = d.isImage
      ? 'input / 255 in float32: exactly the network input (see image.preprocessing)'
      : `tensor ${d.inputSource} of the float network${d.foldedPadding ? ` (its zero padding ${d.foldedPadding} is folded into padding)` : ''}${d.op === 'dense' ? ' (flattened to [1, 1, C_in])' : ''}`;
    const L = [];
    L.push(`  - name: ${ys(d.name)}`);
    L.push(`    op: ${d.op}`);
    L.push(`    input_shape: ${yflow(d.inputShape)}`);
    L.push(`    output_shape: ${yflow(d.outputShape)}`);
    L.push(`    kernel: ${yflow(d.kernel)}`);
    L.push(`    stride: ${yflow(d.stride)}`);
    L.push(`    dilation: ${yflow(d.dilation)}`);
    L.push(`    padding: ${yflow(d.padding)}`);
    L.push(`    groups: ${d.groups}`);
    L.push(`    activation_signed: ${signed}`);
    L.push(`    activation_scale: ${ys(scale)}`);
    L.push(`    input_source: ${ys(d.inputSource)}`);
    L.push(`    float_input: ${yq(floatInput)}`);
    if (floatSource) L.push(`    float_output_source: ${yq(floatSource)}`);
    L.push(`    post_ops: ${yq(postOps(model, d))}`);
    L.push('    stats:');
    L.push(`      zero_fraction: ${r6(zeros / n)}`);
    L.push(`      pair_any_zero: ${r6(zs.pairAny)}`);
    L.push(`      pair_both_zero: ${r6(zs.pairBoth)}`);
    L.push(`      clipped_fraction: ${r6(clipped / n)}`);
    if (!d.isImage) {
      const st = tensorStats(x);
      L.push(`      float_input_min: ${r6(st.min)}`);
      L.push(`      float_input_max: ${r6(st.max)}`);
      L.push(`      calibration_mean_${signed ? 'max_abs' : 'max'}: ${r6(calMean)}`);
    }
    L.push(`      weight_zero_channels: ${wq.zeroChannels}`);
    for (const nt of notes) L.push(`    note: ${yq(nt)}`);
    L.push('    files:');
    for (const [k, v] of Object.entries(files)) L.push(`      ${k}: {path: ${ys(v.path)}, sha256: "${v.sha256}"}`);
    layerYaml.push(L.join('\n'));
    table.push({ d, zero: zeros / n, clipped: clipped / n, signed, scale });
    process.stdout.write(`${d.name}: ${d.op} ${d.kernel.join('x')} s${d.stride[0]} ${d.inputShape.join('x')} -> ${d.outputShape.join('x')} ` +
      `scale ${scale.toPrecision(6)}${signed ? ' (signed)' : ''} zeros ${(zeros / n).toFixed(3)} clipped ${(clipped / n).toFixed(5)}\n`);
  }

  // Optional sparsity statistics of any named tensors (e.g. activation_1):
  // uint8 with the calibrated scale and with this image's own max / 255.
  for (const s of statTaps) {
    const v = vals[s.tap];
    const C = model.getLayer(s.name).output.shape.slice(-1)[0];
    const st = tensorStats(v);
    const calMax = mean(calibOf(s.tap).map((c) => c.max));
    const line = [];
    for (const [label, sc] of [['calibrated', Math.fround(calMax / 255)], ['own-max', Math.fround(st.max / 255)]]) {
      if (st.min < 0) { line.push(`${label}: signed tensor`); continue; }
      const q = quantizeActivations(v, sc, false).q;
      const z = zeroStats(q, C);
      line.push(`${label}: zeros ${z.zero.toFixed(3)} pair-any ${z.pairAny.toFixed(3)} pair-both ${z.pairBoth.toFixed(3)}`);
    }
    process.stdout.write(`stats ${s.name} ${model.getLayer(s.name).output.shape.slice(1).join('x')}: ${line.join(' | ')}\n`);
  }

  const pk = Object.fromEntries(PKGS.map((p) => [p, packageVersion(p)]));
  const calibPkgs = {};
  for (const c of calib) calibPkgs[c.debian_package] = c.package_version;
  const cmd = ['node', path.relative(process.cwd(), __filename) || 'export.js', ...process.argv.slice(2)].map(shellQuote).join(' ');
  const head = [
    '# Written by tools/export/export.js; regenerate with the command below,',
    '# do not edit by hand. Keys beyond traces/README.md\'s core set are informational.',
    'format: sparq-trace-bundle',
    'format_version: 1',
    `name: ${ys(bundleName)}`,
    'model:',
    `  name: ${spec.name}`,
    `  source: ${yq(source)}`,
    '  pretrained: true',
    `  note: ${yq('Keras model (ImageNet weights fine-tuned by nsfwjs to a 5-class head); every layer below the head is a trained network')}`,
    'image:',
    `  path: ${ys(img.path)}`,
    `  debian_package: ${ys(img.debian_package)}`,
    `  package_version: ${yq(img.package_version)}`,
    `  sha256: "${img.sha256}"`,
    `  decoded_shape: ${yflow(decodedShape)}`,
    `  network_input_shape: ${yflow([spec.size, spec.size, 3])}`,
    `  preprocessing: ${yq(PREPROCESSING(spec.size))}`,
    'calibration:',
    '  method: mean-of-max',
    `  images: ${yflow(calib.map((c) => c.path))}`,
    `  image_sha256: [${calib.map((c) => yq(c.sha256)).join(", ")}]`,
    `  packages: {${Object.entries(calibPkgs).map(([k, v]) => `${ys(k)}: ${yq(v)}`).join(', ')}}`,
    `  rule: ${yq('each calibration image is preprocessed like the traced image; unsigned layer: activation_scale = float32(mean over images of per-image max(x) / 255), input = clamp(round_half_even(x / scale), 0, 255) as uint8; a layer whose input has a negative value on the traced or any calibration image is activation_signed: activation_scale = float32(mean of per-image max|x| / 127), input = clamp(round_half_even(x / scale), -127, 127) as int8; a layer on image pixels uses the pixels themselves with activation_scale = float32(1/255)')}`,
    `  weights_rule: ${yq('per output channel: weight_scales[oc] = float32(max|w[..., oc]| / 127), weights = clamp(round_half_even(w / scale), -127, 127); an all-zero channel gets scale 1.0')}`,
    'exporter:',
    `  name: ${EXPORTER.name}`,
    `  version: ${yq(EXPORTER.version)}`,
    `  packages: {${Object.entries(pk).map(([k, v]) => `${yq(k)}: ${yq(v)}`).join(', ')}}`,
    `  backend: wasm`,
    `  node: ${yq(process.version)}`,
    `  command: ${yq(cmd)}`,
    'layers:',
  ];
  fs.writeFileSync(path.join(out, 'manifest.yaml'), `${head.join('\n')}\n${layerYaml.join('\n')}\n`);
  process.stdout.write(`wrote ${out}/manifest.yaml: ${descs.length} layers, ${(totalBytes / 1e6).toFixed(2)} MB of arrays, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

// The layers that consume this layer's output before the next traced op
// (informational: e.g. "batch_normalization_1 -> activation_1 (relu)").
function postOps(model, d) {
  const chain = [];
  let l = d.layer;
  if (d.activation !== 'linear') chain.push(`fused ${d.activation}`);
  for (let i = 0; i < 3; i++) {
    const next = model.layers.filter((x) => x.inboundNodes.some((n) => n.inboundLayers.includes(l)));
    if (next.length !== 1) break;
    const c = next[0].getClassName();
    if (!['BatchNormalization', 'Activation', 'ReLU'].includes(c)) break;
    const cfg = next[0].getConfig();
    let what = c;
    if (c === 'Activation') what = cfg.activation;
    if (c === 'ReLU') what = cfg.maxValue != null ? `relu${cfg.maxValue}` : 'relu';
    chain.push(`${next[0].name} (${what})`);
    l = next[0];
  }
  return chain.length ? chain.join(' -> ') : 'none';
}

main().catch((e) => {
  process.stderr.write(`error: ${process.env.SPARQ_EXPORT_DEBUG ? e.stack : e.message || e}\n`);
  process.exit(1);
});
