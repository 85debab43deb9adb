#!/usr/bin/env node
// Runs one model once with ONNX Runtime (onnxruntime-node from .peers/) and writes each output as
// OUT_DIR/<index>.npy, the way `pl_run --output-dir` does, so the two can be compared file by file.
// Usage: node tests/models/ort_run.js MODEL OUT_DIR NAME=FILE.npy [...]
// Exit: 0 done, 1 error, 77 onnxruntime-node not installed.
'use strict';
const fs = require('fs');
const path = require('path');
const common = require('../../scripts/peer_common');
const { readNpy, writeNpy } = require('../../scripts/npy');

async function main() {
  const [model, outDir, ...feeds] = process.argv.slice(2);
  if (!model || !outDir) {
    console.error('usage: ort_run.js MODEL OUT_DIR NAME=FILE.npy ...');
    return 1;
  }
  const ort = common.loadOrt();
  if (!ort) {
    console.log('skipping: onnxruntime-node not installed (run scripts/fetch_models.sh)');
    return 77;
  }
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const inputs = {};
  for (const f of feeds) {
    const eq = f.indexOf('=');
    const a = readNpy(f.slice(eq + 1));
    inputs[f.slice(0, eq)] = new ort.Tensor(a.type, a.data, a.dims);
  }
  const results = await session.run(inputs);
  fs.mkdirSync(outDir, { recursive: true });
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    writeNpy(path.join(outDir, `${i}.npy`), t.type, t.dims, t.data);
  });
  console.log(`ort ${common.ortVersion()}: ${session.outputNames.length} outputs written to ${outDir}`);
  return 0;
}

main().then((rc) => process.exit(rc), (e) => {
  console.error(`ort_run: ${e.message || e}`);
  process.exit(1);
});
