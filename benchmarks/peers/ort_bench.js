#!/usr/bin/env node
// ort_bench: the ONNX Runtime side of pl_bench (onnxruntime-node@1.30.0, from scripts/fetch_models.sh),
// same flags, same input, same JSON keys:
//   node benchmarks/peers/ort_bench.js --model M.onnx --shape 1x3x640x640 [--input-name x] --threads T
//        --intra N --seconds S --warmup W [--predictors K] [--json] [--no-spin] [--opt-level all]
// T node worker_threads, each with its own InferenceSession (intraOpNumThreads N, one inter-op
// thread, sequential execution), run back to back for S seconds after W warm-up runs each.
// --predictors K (memory mode) first creates K sessions of the model in this process and runs each
// once, reporting RSS before and after: the cost of one more session. --seconds 0 skips timing.
// The input is x[i] = float((i % 255) * 0.01) (scripts/peer_common.js makeInput), as in pl_bench.
'use strict';
const path = require('path');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const common = require('../../scripts/peer_common');

function parseArgs(argv) {
  const o = { model: '', shape: '', inputName: '', threads: 1, intra: 1, seconds: 5, warmup: 3, predictors: 0,
    json: false, optLevel: 'all', spin: true };
  for (let i = 0; i < argv.length; ++i) {
    let a = argv[i];
    let v = null;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    a = a.replace(/_/g, '-');
    const val = () => (v !== null ? v : argv[++i]);
    switch (a) {
      case '--model': o.model = val(); break;
      case '--shape': o.shape = val(); break;
      case '--input-name': o.inputName = val(); break;
      case '--threads': o.threads = Number(val()); break;
      case '--intra': o.intra = Number(val()); break;
      case '--seconds': o.seconds = Number(val()); break;
      case '--warmup': o.warmup = Number(val()); break;
      case '--predictors': o.predictors = Number(val()); break;
      case '--opt-level': o.optLevel = val(); break;  // disabled | basic | extended | all
      // ORT's intra-op workers spin while waiting for work (its default); --no-spin turns that off,
      // which is kinder to a loaded machine (session.intra_op.allow_spinning = 0).
      case '--no-spin': o.spin = false; break;
      case '--json': o.json = v === null || v === 'true' || v === '1'; break;
      case '--backend': val(); break;  // accepted for symmetry with pl_bench; ORT runs its CPU provider
      default: throw new Error(`unknown argument '${argv[i]}'`);
    }
  }
  if (!o.model) throw new Error('--model is required');
  if (!o.shape) throw new Error('--shape is required');
  if (!(o.threads >= 1) || !(o.intra >= 1)) throw new Error('--threads and --intra must be >= 1');
  return o;
}

function sessionOptions(o) {
  const opts = { intraOpNumThreads: o.intra, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: o.optLevel };
  if (!o.spin) opts.extra = { session: { intra_op: { allow_spinning: '0' } } };
  return opts;
}

const nowMs = () => performance.timeOrigin + performance.now();  // comparable across worker threads
const rssMb = () => process.memoryUsage().rss / (1024 * 1024);

async function makeSession(ort, o) {
  const s = await ort.InferenceSession.create(o.modelPath, sessionOptions(o));
  const name = o.inputName || s.inputNames[0];
  if (!s.inputNames.includes(name)) throw new Error(`model has no input '${name}' (has ${s.inputNames})`);
  const dims = common.parseShape(o.shape);
  return { session: s, feeds: { [name]: new ort.Tensor('float32', common.makeInput(dims), dims) }, name };
}

// ---- worker: one session, warm-up, then run until the shared deadline ----
async function workerMain() {
  const o = workerData;
  const ort = common.loadOrt();
  const { session, feeds } = await makeSession(ort, o);
  for (let i = 0; i < o.warmup; ++i) await session.run(feeds);
  parentPort.postMessage({ ready: true });
  const go = await new Promise((resolve) => parentPort.once('message', resolve));
  const lat = [];
  const start = nowMs();
  const deadline = go.start + o.seconds * 1000;
  for (;;) {
    const t0 = nowMs();
    if (t0 >= deadline) break;
    await session.run(feeds);
    lat.push(nowMs() - t0);
  }
  parentPort.postMessage({ lat, start, end: nowMs() });
  await session.release();
}

function percentile(sorted, q) {
  if (!sorted.length) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  o.modelPath = common.resolveModel(o.model);
  const ort = common.loadOrt();
  if (!ort) throw new Error('onnxruntime-node not installed (run scripts/fetch_models.sh)');
  const rssStart = rssMb();

  // First session (loads the model; also the memory baseline), run once.
  const tLoad = nowMs();
  const first = await makeSession(ort, o);
  const loadMs = nowMs() - tLoad;
  const tFirst = nowMs();
  await first.session.run(first.feeds);
  const firstRunMs = nowMs() - tFirst;
  const rssOne = rssMb();

  // Memory mode: K sessions in this process, each run once.
  const extra = [];
  let rssK = rssOne, cloneMs = 0;
  if (o.predictors > 1) {
    const t0 = nowMs();
    for (let k = 1; k < o.predictors; ++k) {
      const s = await makeSession(ort, o);
      await s.session.run(s.feeds);
      extra.push(s);
    }
    cloneMs = (nowMs() - t0) / (o.predictors - 1);
    rssK = rssMb();
  }

  // Timed phase: T worker threads, one session each.
  let all = [], wallS = 0;
  if (o.seconds > 0) {
    const workers = [];
    const exited = [];
    for (let t = 0; t < o.threads; ++t) {
      const w = new Worker(__filename, { workerData: { ...o } });
      // Listen for 'exit' from the start: a worker that exits before a late listener is attached
      // would leave main awaiting forever, and node then quits silently with nothing printed.
      exited.push(new Promise((r) => w.once('exit', r)));
      workers.push(w);
    }
    const errors = [];
    const msgs = workers.map((w) => {
      const queue = [];
      let waiter = null;
      w.on('message', (m) => { if (waiter) { const f = waiter; waiter = null; f(m); } else queue.push(m); });
      w.on('error', (e) => { errors.push(e); if (waiter) { const f = waiter; waiter = null; f({ error: e }); } });
      return () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => { waiter = r; }));
    });
    const readies = await Promise.all(msgs.map((next) => next()));
    if (errors.length || readies.some((m) => m.error)) throw errors[0] || readies.find((m) => m.error).error;
    const start = nowMs() + 5;  // every worker starts timing at the same instant
    workers.forEach((w) => w.postMessage({ start }));
    const results = await Promise.all(msgs.map((next) => next()));
    if (errors.length || results.some((m) => m.error)) throw errors[0] || results.find((m) => m.error).error;
    await Promise.all(exited);
    const t0 = Math.min(...results.map((r) => r.start));
    const t1 = Math.max(...results.map((r) => r.end));
    wallS = (t1 - t0) / 1000;
    all = results.flatMap((r) => r.lat);
  }
  all.sort((a, b) => a - b);
  const mean = all.length ? all.reduce((a, b) => a + b, 0) / all.length : 0;
  const perCloneMb = o.predictors > 1 ? (rssK - rssOne) / (o.predictors - 1) : 0;
  const out = {
    runtime: 'onnxruntime-node', version: common.ortVersion(), model: o.model, shape: o.shape,
    input_name: first.name, backend: o.spin ? 'ort-cpu' : 'ort-cpu-nospin', threads: o.threads, intra: o.intra, seconds: wallS,
    warmup: o.warmup, runs: all.length, qps: wallS > 0 ? all.length / wallS : 0, mean_ms: mean,
    p50_ms: percentile(all, 0.5), p90_ms: percentile(all, 0.9), p99_ms: percentile(all, 0.99),
    min_ms: all.length ? all[0] : 0, max_ms: all.length ? all[all.length - 1] : 0, load_ms: loadMs,
    first_run_ms: firstRunMs, rss_start_mb: rssStart, rss_one_mb: rssOne, predictors: Math.max(1, o.predictors),
    rss_predictors_mb: rssK, per_clone_mb: perCloneMb, clone_ms: cloneMs, rss_mb: rssMb(),
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  if (o.json) {
    console.log(JSON.stringify(out));
  } else {
    console.log(`model ${o.model}  shape ${o.shape}  ORT ${out.version}  threads ${o.threads}  intra ${o.intra}`);
    console.log(`load ${loadMs.toFixed(1)} ms, first run ${firstRunMs.toFixed(2)} ms`);
    if (o.seconds > 0) {
      console.log(`${all.length} runs in ${wallS.toFixed(2)} s: ${out.qps.toFixed(2)} qps; latency ms: mean ` +
        `${mean.toFixed(3)} p50 ${out.p50_ms.toFixed(3)} p90 ${out.p90_ms.toFixed(3)} p99 ${out.p99_ms.toFixed(3)}`);
    }
    if (o.predictors > 1) {
      console.log(`RSS with 1 session ${rssOne.toFixed(1)} MB, with ${o.predictors}: ${rssK.toFixed(1)} MB -> ` +
        `${perCloneMb.toFixed(2)} MB per extra session (${cloneMs.toFixed(1)} ms per session)`);
    }
    console.log(`RSS now ${out.rss_mb.toFixed(1)} MB, peak ${out.peak_rss_mb.toFixed(1)} MB`);
  }
  for (const s of extra) await s.session.release();
  await first.session.release();
}

if (isMainThread) {
  let finished = false;
  process.on('exit', (code) => {
    // A promise nobody resolves empties node's event loop and it exits 0 having printed nothing.
    if (!finished && code === 0) {
      console.error('ort_bench: error: exited before finishing');
      process.exitCode = 1;
    }
  });
  main().then(() => { finished = true; }, (e) => {
    finished = true;
    console.error(`ort_bench: error: ${e && e.message || e}`);
    process.exit(1);
  });
} else {
  workerMain().catch((e) => { throw e; });
}
