// ort_run.js runs an ONNX model with ONNX Runtime (onnxruntime-node, CPU)
// on a batch of float32 inputs, for the parity tests in ../parity_test.go.
//
//   node ort_run.js MODEL.onnx INPUT.f32 OUTPUT.f32 N D1 D2 ...
//
// INPUT.f32 holds N·D1·D2·… little-endian float32s, fed to the graph input
// "input" of shape [N, D1, D2, …] in batches of at most 1000; OUTPUT.f32
// receives the output "probabilities", all batches in order. A JSON line on
// standard output gives the session's input and output names, the output's
// dims and the seconds spent in run().
//
// onnxruntime-node is looked up in ./node_modules, where .ci/run installs it:
//   npm install --prefix onnx/testdata --ignore-scripts --no-save onnxruntime-node@1.30.0
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inputPath, outputPath, ...dimArgs] = process.argv.slice(2);
  if (!outputPath || dimArgs.length < 2) {
    throw new Error('usage: node ort_run.js MODEL.onnx INPUT.f32 OUTPUT.f32 N D1 D2 ...');
  }
  const dims = dimArgs.map(Number);
  const n = dims[0];
  const row = dims.slice(1).reduce((a, b) => a * b, 1);
  const buf = fs.readFileSync(inputPath);
  if (buf.length !== 4 * n * row) {
    throw new Error(`${inputPath}: ${buf.length} bytes, want ${4 * n * row} for dims ${dims}`);
  }
  const input = new Float32Array(buf.buffer, buf.byteOffset, n * row);
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
  const out = fs.openSync(outputPath, 'w');
  let outDims = null;
  let seconds = 0;
  const batch = 1000;
  for (let lo = 0; lo < n; lo += batch) {
    const hi = Math.min(lo + batch, n);
    const x = new ort.Tensor('float32', input.subarray(lo * row, hi * row), [hi - lo, ...dims.slice(1)]);
    const t0 = process.hrtime.bigint();
    const result = await session.run({ input: x });
    seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    const y = result.probabilities;
    if (!y) {
      throw new Error(`the model has no output "probabilities" (outputs: ${session.outputNames})`);
    }
    outDims = y.dims;
    fs.writeSync(out, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
  }
  fs.closeSync(out);
  console.log(JSON.stringify({
    inputNames: session.inputNames, outputNames: session.outputNames,
    outputDims: outDims, seconds: seconds,
  }));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
