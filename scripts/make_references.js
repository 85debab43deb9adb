#!/usr/bin/env node
// Makes the reference outputs of the real-model tests with ONNX Runtime (onnxruntime-node@1.30.0):
// for every case of peer_common.kCases it writes under <models>/refs/<model>__<shape>[__page]/
//   input.npy   the deterministic input (x[i] = float((i % 255) * 0.01), or the synthetic page)
//   <i>.npy     output i, as pl_run writes it (so `pl_run --output-dir D` compares file by file)
//   meta.json   model, size, ORT version, input/output names: a case whose meta still matches is kept.
// Usage: node scripts/make_references.js [--force] [--compare-levels]
//   --compare-levels also runs ORT with graph optimizations off and prints how far its own two
//   answers are apart (a floor for any tolerance).
// Exits 0 with "skipping: ..." when the models or onnxruntime-node are missing (offline machine).
'use strict';
const fs = require('fs');
const path = require('path');
const common = require('./peer_common');
const { writeNpy } = require('./npy');

const kInputFormula = 'x[i]=float((i%255)*0.01)';


function typeOfTensor(t) {
  if (t.type === 'float32' || t.type === 'int64' || t.type === 'int32' || t.type === 'float64' ||
      t.type === 'bool' || t.type === 'uint8' || t.type === 'int8') return t.type;
  throw new Error(`unsupported output dtype ${t.type}`);
}

function maxDiff(a, b) {
  let worst = 0, ratio = 0;
  for (let i = 0; i < a.length; ++i) {
    const d = Math.abs(a[i] - b[i]);
    worst = Math.max(worst, d);
    ratio = Math.max(ratio, d / (1e-4 + 1e-3 * Math.abs(b[i])));
  }
  return { worst, ratio };
}

async function main() {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const compareLevels = args.includes('--compare-levels');
  const ort = common.loadOrt();
  if (!ort) {
    console.log('[make_references] skipping: onnxruntime-node not installed (run scripts/fetch_models.sh)');
    return;
  }
  const version = common.ortVersion();
  const refsDir = path.join(common.kModelsDir, 'refs');
  let made = 0, kept = 0;
  const sessions = new Map();  // model -> session, created only when a case needs remaking
  for (const c of common.kCases) {
    const modelPath = path.join(common.kModelsDir, c.model);
    if (!fs.existsSync(modelPath)) {
      console.log(`[make_references] skipping: ${modelPath} missing (run scripts/fetch_models.sh)`);
      return;
    }
    const dims = c.dims;
    const dir = path.join(refsDir, common.caseName(c.model, dims, c.input));
    const metaPath = path.join(dir, 'meta.json');
    const want = { model: c.model, model_bytes: fs.statSync(modelPath).size, ort_version: version, shape: dims,
      input: c.input === 'formula' ? kInputFormula : `${c.input} v1` };
    if (!force && fs.existsSync(metaPath)) {
      try {
        const meta = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
        const same = Object.keys(want).every((k) => JSON.stringify(meta[k]) === JSON.stringify(want[k]));
        if (same && fs.existsSync(path.join(dir, 'input.npy')) &&
            meta.outputs.every((o, i) => fs.existsSync(path.join(dir, `${i}.npy`)))) { ++kept; continue; }
      } catch (e) { /* remake */ }
    }
    // One intra-op thread: the references do not depend on how ORT splits reductions.
    if (!sessions.has(c.model))
      sessions.set(c.model, await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 }));
    const session = sessions.get(c.model);
    fs.mkdirSync(dir, { recursive: true });
    if (fs.existsSync(metaPath)) fs.unlinkSync(metaPath);  // written last: marks the case complete
    const x = c.input === 'formula' ? common.makeInput(dims) : common.makePageInput(dims);
    const inputName = session.inputNames[0];
    const t0 = process.hrtime.bigint();
    const out = await session.run({ [inputName]: new ort.Tensor('float32', x, dims) });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    writeNpy(path.join(dir, 'input.npy'), 'float32', dims, x);
    const outputs = session.outputNames.map((name, i) => {
      const t = out[name];
      writeNpy(path.join(dir, `${i}.npy`), typeOfTensor(t), t.dims, t.data);
      let lo = Infinity, hi = -Infinity;
      for (const v of t.data) { lo = Math.min(lo, Number(v)); hi = Math.max(hi, Number(v)); }
      return { name, dtype: t.type, shape: Array.from(t.dims), min: lo, max: hi };
    });
    fs.writeFileSync(metaPath, JSON.stringify({ ...want, input_name: inputName, outputs, ort_ms: ms }, null, 1));
    console.log(`[make_references] ${path.relative(common.kRoot, dir)}: ` +
      outputs.map((o) => `${o.name} [${o.shape.join(',')}] in [${o.min.toPrecision(3)}, ${o.max.toPrecision(3)}]`)
        .join(', ') + ` (${ms.toFixed(1)} ms)`);
    ++made;
    if (compareLevels) {
      const plain = await ort.InferenceSession.create(modelPath,
        { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
      const out2 = await plain.run({ [inputName]: new ort.Tensor('float32', x, dims) });
      for (const name of session.outputNames) {
        const d = maxDiff(out2[name].data, out[name].data);
        console.log(`    ORT optimized vs unoptimized, ${name}: max |diff| ${d.worst.toExponential(3)}, ` +
          `worst diff / tolerance ${d.ratio.toFixed(4)}`);
      }
      await plain.release();
    }
  }
  for (const s of sessions.values()) await s.release();
  console.log(`[make_references] ${made} made, ${kept} up to date, in ${refsDir}`);
}

main().catch((e) => {
  console.error(`[make_references] error: ${e && e.stack || e}`);
  process.exit(1);
});
