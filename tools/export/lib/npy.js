'use strict';
// Minimal NumPy .npy (format 1.0) writer and reader: C order, little-endian,
// dtypes |u1, |i1, <f4 (the reader also takes <i4).
const fs = require('fs');

const DTYPES = {
  '|u1': Uint8Array,
  '|i1': Int8Array,
  '<i4': Int32Array,
  '<f4': Float32Array,
};

function descrOf(arr) {
  if (arr instanceof Uint8Array) return '|u1';
  if (arr instanceof Int8Array) return '|i1';
  if (arr instanceof Int32Array) return '<i4';
  if (arr instanceof Float32Array) return '<f4';
  throw new Error('npy: unsupported array type ' + arr.constructor.name);
}

// Returns a Buffer holding the whole .npy file.
function encodeNpy(arr, shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== arr.length) throw new Error(`npy: shape [${shape}] does not match ${arr.length} elements`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descrOf(arr)}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // Pad with spaces so that magic(6)+version(2)+len(2)+header ends on a
  // 64-byte boundary, header ending in '\n' (as numpy writes it).
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (header.length > 65535) throw new Error('npy: header too long for format 1.0');
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  // All supported platforms are little-endian, so the typed array's bytes are
  // already in '<' order.
  const body = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not an .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hoff = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hoff, hoff + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: fortran order`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const T = DTYPES[descr];
  if (!T) throw new Error(`${file}: unsupported dtype ${descr}`);
  const off = hoff + hlen;
  const bytes = buf.subarray(off);
  const data = new T(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { descr, shape, data };
}

module.exports = { encodeNpy, readNpy };
