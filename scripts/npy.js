// Minimal NumPy .npy (version 1.0, little endian, C order) reader/writer for the node scripts.
'use strict';
const fs = require('fs');

const kTypes = {
  float32: ['<f4', Float32Array], float64: ['<f8', Float64Array], int64: ['<i8', BigInt64Array],
  int32: ['<i4', Int32Array], int8: ['|i1', Int8Array], uint8: ['|u1', Uint8Array], bool: ['|b1', Uint8Array],
};

// Writes `data` (a typed array) with `dims` as `type` ('float32', 'int64', ...).
function writeNpy(path, type, dims, data) {
  const t = kTypes[type];
  if (!t) throw new Error(`writeNpy: unsupported dtype ${type}`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${t[0]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // magic(6) + version(2) + len(2) + header + '\n' is padded to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from([0x93]).copy(pre, 0);
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(path + '.part', Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(path + '.part', path);  // never leave a truncated reference behind
}

// Returns {type, dims, data}.
function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not .npy`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: fortran order unsupported`);
  const dims = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s)
    .map(Number);
  const entry = Object.entries(kTypes).find(([, v]) => v[0] === descr);
  if (!entry) throw new Error(`${path}: unsupported descr ${descr}`);
  const [type, [, Ctor]] = entry;
  const off = hstart + hlen;
  const bytes = buf.subarray(off);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);  // realign: typed arrays need an offset that is a multiple of the element size
  const data = new Ctor(copy.buffer, 0, bytes.length / Ctor.BYTES_PER_ELEMENT);
  return { type, dims, data };
}

module.exports = { writeNpy, readNpy };
