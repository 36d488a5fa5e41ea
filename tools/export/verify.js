#!/usr/bin/env node
'use strict';
// Self-check of a bundle written by export.js (not a general bundle reader;
// the simulator's reader is sim/bundle.{h,cpp}). For every layer: sha256 and
// shape of each array, then conv(input * activation_scale, weights *
// weight_scales) + bias against float_output (relative L2 error, SQNR).
//
//   node tools/export/verify.js traces/inceptionv3-dog
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { tf, initBackend } = require('./lib/model');
const { readNpy } = require('./lib/npy');

// Parses the subset of YAML that export.js writes: the `layers:` block
// sequence with flow sequences of numbers and flow mappings under `files:`.
function parseLayers(text) {
  const layers = [];
  let cur = null;
  let inFiles = false;
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^ {2}- name: (.+)$/.exec(line))) { cur = { name: m[1].replace(/"/g, ''), files: {} }; layers.push(cur); inFiles = false; continue; }
    if (!cur) continue;
    if (/^ {4}files:$/.test(line)) { inFiles = true; continue; }
    if (inFiles && (m = /^ {6}(\w+): \{path: ([^,]+), sha256: "([0-9a-f]+)"\}$/.exec(line))) {
      cur.files[m[1]] = { path: m[2], sha256: m[3] };
      continue;
    }
    if ((m = /^ {4}(\w+): (.+)$/.exec(line))) {
      inFiles = false;
      const v = m[2];
      if (v.startsWith('[')) cur[m[1]] = v.slice(1, -1).split(',').map(Number);
      else if (v === 'true' || v === 'false') cur[m[1]] = v === 'true';
      else if (!Number.isNaN(Number(v))) cur[m[1]] = Number(v);
      else cur[m[1]] = v;
    }
  }
  return layers;
}

async function main() {
  const dir = process.argv[2];
  if (!dir) { process.stderr.write('usage: node verify.js BUNDLE_DIR\n'); process.exit(2); }
  await initBackend();
  const layers = parseLayers(fs.readFileSync(path.join(dir, 'manifest.yaml'), 'utf8'));
  let bad = 0;
  for (const L of layers) {
    const arr = {};
    for (const [k, f] of Object.entries(L.files)) {
      const file = path.join(dir, f.path);
      const sum = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      if (sum !== f.sha256) throw new Error(`${file}: sha256 mismatch`);
      arr[k] = readNpy(file);
    }
    const [H, W, C] = L.input_shape;
    const [KH, KW, CG, CO] = arr.weights.shape;
    const expect = { input: [H, W, C], weights: [...L.kernel, C / L.groups, L.output_shape[2]], weight_scales: [CO], bias: [CO], float_output: L.output_shape };
    for (const [k, a] of Object.entries(arr)) {
      if (a.shape.join() !== expect[k].join()) throw new Error(`${L.name}.${k}: shape ${a.shape} != manifest ${expect[k]}`);
    }
    if (!arr.float_output) { console.log(`${L.name}: no float_output, shapes and sha256 ok`); continue; }
    const y = tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(arr.input.data), [1, H, W, C]).mul(L.activation_scale);
      const w = tf.tensor4d(Float32Array.from(arr.weights.data), [KH, KW, CG, CO]).mul(tf.tensor1d(arr.weight_scales.data));
      const [t, b, l, r] = L.padding;
      const xp = tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]);
      let out;
      if (L.groups === 1) {
        out = tf.conv2d(xp, w, L.stride, 'valid', 'NHWC', L.dilation);
      } else if (L.groups === C && CG === 1) {
        // grouped weights [KH, KW, 1, C*m] with oc = c*m + j == depthwise [KH, KW, C, m]
        out = tf.depthwiseConv2d(xp, w.reshape([KH, KW, C, CO / C]), L.stride, 'valid', 'NHWC', L.dilation);
      } else {
        throw new Error(`${L.name}: groups ${L.groups} not handled by this check`);
      }
      if (arr.bias) out = out.add(tf.tensor1d(arr.bias.data));
      return out.dataSync();
    });
    const ref = arr.float_output.data;
    let num = 0; let den = 0; let maxAbs = 0;
    for (let i = 0; i < ref.length; i++) {
      const e = y[i] - ref[i];
      num += e * e; den += ref[i] * ref[i];
      maxAbs = Math.max(maxAbs, Math.abs(e));
    }
    const rel = Math.sqrt(num / den);
    const sqnr = 10 * Math.log10(den / num);
    if (!(rel < 0.2)) bad++; // a gross-error check: int8 with calibrated scales lands near 1e-2
    console.log(`${L.name}: rel L2 ${rel.toExponential(3)}  SQNR ${sqnr.toFixed(1)} dB  max|err| ${maxAbs.toExponential(3)}  (max|ref| ${ref.reduce((a, v) => Math.max(a, Math.abs(v)), 0).toFixed(3)})`);
  }
  console.log(`${layers.length - bad} passed, ${bad} failed`);
  process.exit(bad ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`error: ${process.env.SPARQ_EXPORT_DEBUG ? e.stack : e.message || e}\n`);
  process.exit(1);
});
