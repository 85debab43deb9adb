// pl_server from a client stack that is not ours: Node's @grpc/grpc-js with the protocol's .proto
// loaded by @grpc/proto-loader (as KServe/Triton JavaScript clients do). Every RPC, raw and typed
// inputs, outputs checked against y = Relu(x @ W + b) computed here, NOT_FOUND and
// INVALID_ARGUMENT with the SDK's message, then SIGTERM -> exit 0.
//   node grpc_js_test.js PL_SERVER MAKE_MODEL_PY PROTO GRPC_PEERS_DIR
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const [serverBin, makeModel, protoPath, peers] = process.argv.slice(2);
let grpc, loader;
try {
  grpc = require(path.join(peers, 'node_modules/@grpc/grpc-js'));
  loader = require(path.join(peers, 'node_modules/@grpc/proto-loader'));
} catch (e) {
  console.log(`skip: @grpc/grpc-js not installed in ${peers} (scripts/fetch_models.sh installs it)`);
  process.exit(0);
}
const failures = [];
const check = (ok, what) => { console.log((ok ? 'ok   ' : 'FAIL ') + what); if (!ok) failures.push(what); };

const W = [0, 1, 2, 3].map((i) => [0, 1, 2].map((j) => Math.fround(0.1 * (i - j))));
const B = [0, 1, 2].map((j) => Math.fround(0.5 - 0.25 * j));
const want = (rows) => rows.map((x) => [0, 1, 2].map((j) => Math.max(0, x.reduce((s, v, i) => s + v * W[i][j], 0) + B[j])));

// pl_server picks free ports itself (port 0) and writes them to --ports-file once it listens:
// no race with other tests choosing "free" ports at the same time.
async function waitForPorts(srv, file) {
  for (let i = 0; i < 3000; ++i) {
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
    if (srv.exitCode !== null) throw new Error(`pl_server exited with ${srv.exitCode} before it listened`);
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`pl_server did not write ${file} within 60 s`);
}
const call = (client, rpc, req, opts = {}) => new Promise((res) => client[rpc](req, opts, (err, r) => res({ err, r })));

(async () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'pl_grpcjs_'));
  fs.mkdirSync(path.join(repo, 'lin/1'), { recursive: true });
  execFileSync('/usr/bin/python3', [makeModel, path.join(repo, 'lin/1/model.onnx')]);
  // Room for the 64 concurrent calls below (the default queue, 4 x pool size, would refuse some).
  fs.writeFileSync(path.join(repo, 'lin/config.json'), JSON.stringify({ pool_size: 2, queue_capacity: 64 }));
  const portsFile = path.join(repo, 'ports.json');
  const srv = spawn(serverBin, ['--model-repository', repo, '--http-port', '0', '--grpc-port', '0', '--ports-file', portsFile],
                    { stdio: ['ignore', 'inherit', 'inherit'] });
  const gport = (await waitForPorts(srv, portsFile)).grpc;
  const def = loader.loadSync(protoPath, { keepCase: true, longs: Number, defaults: true });
  const Svc = grpc.loadPackageDefinition(def).inference.GRPCInferenceService;
  const client = new Svc(`127.0.0.1:${gport}`, grpc.credentials.createInsecure());
  await new Promise((res, rej) => client.waitForReady(Date.now() + 15000, (e) => (e ? rej(e) : res())));

  let { err, r } = await call(client, 'ServerLive', {});
  check(!err && r.live === true, 'ServerLive');
  ({ err, r } = await call(client, 'ServerReady', {}));
  check(!err && r.ready === true, 'ServerReady');
  ({ err, r } = await call(client, 'ModelReady', { name: 'lin' }));
  check(!err && r.ready === true, 'ModelReady lin');
  ({ err, r } = await call(client, 'ServerMetadata', {}));
  check(!err && typeof r.name === 'string' && r.name.length > 0, `ServerMetadata name '${r && r.name}'`);
  ({ err, r } = await call(client, 'ModelMetadata', { name: 'lin' }));
  check(!err && r.inputs.length === 1 && r.inputs[0].name === 'x' && r.inputs[0].datatype === 'FP32' &&
        JSON.stringify(r.inputs[0].shape) === '[-1,4]' && r.outputs[0].name === 'y', 'ModelMetadata: x FP32 [-1,4] -> y');

  const rows = [[1, 2, 3, 4], [-1, 0.5, 2, -3]];
  const flat = Float32Array.from(rows.flat());
  // Raw input bytes (little-endian float32) -> raw output bytes.
  ({ err, r } = await call(client, 'ModelInfer', {
    model_name: 'lin', id: 'raw-1', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4] }],
    raw_input_contents: [Buffer.from(flat.buffer)],
  }));
  const close = (got, exp) => got.length === exp.length && got.every((v, i) => Math.abs(v - exp[i]) < 1e-5);
  if (!err) {
    const buf = r.raw_output_contents[0];
    const y = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    check(r.id === 'raw-1' && JSON.stringify(r.outputs[0].shape) === '[2,3]' && close(Array.from(y), want(rows).flat()),
          `ModelInfer raw: y = ${Array.from(y).map((v) => v.toFixed(3))}`);
  } else check(false, `ModelInfer raw: ${err.message}`);
  // Typed contents in, typed contents out.
  ({ err, r } = await call(client, 'ModelInfer', {
    model_name: 'lin', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: Array.from(flat) } }],
  }));
  check(!err && r.outputs[0].contents && close(r.outputs[0].contents.fp32_contents, want(rows).flat()), 'ModelInfer typed contents');
  // Errors carry gRPC codes and the SDK's message.
  ({ err } = await call(client, 'ModelInfer', { model_name: 'nope', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [Buffer.alloc(16)] }));
  check(err && err.code === grpc.status.NOT_FOUND, `unknown model -> ${err && err.code} (${err && err.details})`);
  ({ err } = await call(client, 'ModelInfer', { model_name: 'lin', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 5] }], raw_input_contents: [Buffer.alloc(20)] }));
  check(err && err.code === grpc.status.INVALID_ARGUMENT && /x/.test(err.details), `wrong shape -> ${err && err.code}: ${err && err.details}`);
  ({ err } = await call(client, 'ModelInfer', { model_name: 'lin', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [Buffer.alloc(12)] }));
  check(err && err.code === grpc.status.INVALID_ARGUMENT, `raw size mismatch -> ${err && err.code}: ${err && err.details}`);
  // Concurrency from one channel (HTTP/2 multiplexing): 64 calls in flight.
  const many = await Promise.all(Array.from({ length: 64 }, (_, k) => call(client, 'ModelInfer', {
    model_name: 'lin', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }],
    raw_input_contents: [Buffer.from(Float32Array.from([k, 1, 2, 3]).buffer)],
  })));
  const okMany = many.every(({ err: e, r: rr }, k) => {
    if (e) { console.log(`  call ${k}: ${e.code} ${e.details}`); return false; }
    const b = rr.raw_output_contents[0];
    return close(Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length))), want([[k, 1, 2, 3]]).flat());
  });
  check(okMany, '64 concurrent ModelInfer on one channel, each its own answer');
  client.close();
  srv.kill('SIGTERM');
  const code = await new Promise((res) => srv.on('exit', (c) => res(c)));
  check(code === 0, `SIGTERM -> exit ${code}`);
  fs.rmSync(repo, { recursive: true, force: true });
  console.log(failures.length ? `${failures.length} failures` : 'grpc-js client: OK');
  process.exit(failures.length ? 1 : 0);
})().catch((e) => { console.log(`FAIL ${e.stack || e}`); process.exit(1); });
