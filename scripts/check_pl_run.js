#!/usr/bin/env node
// Checks that the pl_run command-line tool reproduces ONNX Runtime's outputs on the real models:
// for every reference case (scripts/make_references.js) it runs
//   pl_run --model M.onnx --input x=<case>/input.npy --output-dir <tmp>
// and compares <tmp>/<i>.npy with <case>/<i>.npy: |ours - ref| <= 1e-4 + 1e-3 * |ref|.
// Usage: node scripts/check_pl_run.js --pl-run build/tools/pl_run [--backend onednn,cpu_ref]
// Exit: 0 all match, 1 a mismatch or error, 77 no references (offline: ctest reports it skipped).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const common = require('./peer_common');
const { readNpy } = require('./npy');

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

function main() {
  const plRun = arg('--pl-run', path.join(common.kRoot, 'build', 'tools', 'pl_run'));
  const backend = arg('--backend', '');
  if (!fs.existsSync(plRun)) { console.error(`check_pl_run: ${plRun} not found`); return 1; }
  const refsDir = path.join(common.kModelsDir, 'refs');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pl_run_check_'));
  let checked = 0, failed = 0;
  try {
    for (const c of common.kCases) {
      const dir = path.join(refsDir, common.caseName(c.model, c.dims, c.input));
      if (!fs.existsSync(path.join(dir, 'meta.json'))) continue;
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
      const outDir = path.join(tmp, path.basename(dir));
      const args = ['--model', path.join(common.kModelsDir, c.model), '--input',
        `${meta.input_name}=${path.join(dir, 'input.npy')}`, '--output-dir', outDir];
      if (backend) args.push('--backend', backend);
      try {
        execFileSync(plRun, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        console.log(`FAIL ${path.basename(dir)}: pl_run exited ${e.status}: ${String(e.stderr).trim()}`);
        ++failed; ++checked;
        continue;
      }
      let ok = true;
      const notes = [];
      meta.outputs.forEach((o, i) => {
        const ref = readNpy(path.join(dir, `${i}.npy`));
        const ours = readNpy(path.join(outDir, `${i}.npy`));
        if (ours.dims.join('x') !== ref.dims.join('x')) {
          ok = false;
          notes.push(`${o.name}: shape [${ours.dims}] vs ORT [${ref.dims}]`);
          return;
        }
        let maxAbs = 0, worst = 0, bad = 0;
        for (let k = 0; k < ref.data.length; ++k) {
          const d = Math.abs(ours.data[k] - ref.data[k]);
          const r = Number.isNaN(d) ? Infinity : d / (1e-4 + 1e-3 * Math.abs(ref.data[k]));
          maxAbs = Math.max(maxAbs, Number.isNaN(d) ? Infinity : d);
          worst = Math.max(worst, r);
          if (r > 1) ++bad;
        }
        if (bad) ok = false;
        notes.push(`${o.name} [${ref.dims}]: max |diff| ${maxAbs.toExponential(2)}, worst diff/tol ` +
          `${worst.toFixed(3)}, ${bad} beyond tolerance`);
      });
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${path.basename(dir)}: ${notes.join('; ')}`);
      ++checked;
      if (!ok) ++failed;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (!checked) {
    console.log('check_pl_run: skipped: no references (run scripts/fetch_models.sh && node scripts/make_references.js)');
    return 77;
  }
  console.log(`check_pl_run: ${checked - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = main();
