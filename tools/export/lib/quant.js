'use strict';
// Quantization rules shared by the exporter and the self-check.

// Round half to even (as numpy.rint / torch.round).
function rint(x) {
  const r = Math.round(x); // half up
  if (r - x === 0.5 && (r % 2) !== 0) return r - 1;
  return r + 0; // + 0 turns -0 into 0
}

// Keras kernel [KH, KW, Cin_per_group, Cout] (flat, HWIO) -> int8 symmetric
// per output channel: scale[oc] = max|w[..., oc]| / 127 rounded to float32,
// q = rint(w / scale) clamped to [-127, 127]. An all-zero channel gets
// scale 1.0 (its weights are all 0 whatever the scale).
function quantizeWeights(w, cout) {
  const q = new Int8Array(w.length);
  const scales = new Float32Array(cout);
  const maxAbs = new Float64Array(cout);
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]);
    const oc = i % cout;
    if (a > maxAbs[oc]) maxAbs[oc] = a;
  }
  let zeroChannels = 0;
  for (let oc = 0; oc < cout; oc++) {
    if (maxAbs[oc] > 0) scales[oc] = Math.fround(maxAbs[oc] / 127);
    else { scales[oc] = 1; zeroChannels++; }
  }
  for (let i = 0; i < w.length; i++) {
    const v = rint(w[i] / scales[i % cout]);
    q[i] = Math.max(-127, Math.min(127, v));
  }
  return { q, scales, zeroChannels };
}

// Float activations -> uint8 (unsigned) or int8 symmetric (signed), zero point 0:
// q = rint(x / scale) clamped to [0, 255] or [-127, 127]. An unsigned layer
// must not see negative input: the exporter makes such a layer signed, and
// this throws rather than clamp a negative value silently.
function quantizeActivations(x, scale, signed) {
  const q = signed ? new Int8Array(x.length) : new Uint8Array(x.length);
  const lo = signed ? -127 : 0;
  const hi = signed ? 127 : 255;
  let clipped = 0;
  let zeros = 0;
  for (let i = 0; i < x.length; i++) {
    let v = rint(x[i] / scale);
    if (v > hi) { v = hi; clipped++; } else if (v < lo) {
      if (!signed) throw new Error(`negative activation ${x[i]} in an unsigned layer`);
      v = lo; clipped++;
    }
    if (v === 0) zeros++;
    q[i] = v;
  }
  return { q, clipped, zeros };
}

module.exports = { rint, quantizeWeights, quantizeActivations };
