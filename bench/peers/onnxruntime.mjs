// ONNX Runtime: `onnxruntime-web` (wasm, SIMD) and, in Node, `onnxruntime-node` (native CPU: the ceiling that
// shows how far wasm is from native). Inference only: both run the graph written by ../onnx.mjs.
import { buildOnnxModel } from '../onnx.mjs';

/** @param {'web'|'node'} flavour */
export function onnxPeer(flavour, { threads = 1 } = {}) {
  let ort;
  return {
    id: `ort-${flavour}`,
    label: flavour === 'web' ? 'ONNX Runtime Web (wasm)' : 'onnxruntime-node (native)',
    inferenceOnly: true,
    async init(env) {
      ort = await env.load(`onnxruntime-${flavour}`);
      if (flavour === 'web') {
        ort.env.wasm.numThreads = threads;
        if (env.ortWasmPaths) ort.env.wasm.wasmPaths = env.ortWasmPaths;
      }
      ort.env.logLevel = 'error';
      const version = ort.env.versions?.[flavour] ?? ort.env.versions?.common ?? '?';
      return { version, threads, notes: flavour === 'web' ? 'wasm execution provider, SIMD' : 'cpu execution provider' };
    },
    async build(spec, weights) {
      const bytes = buildOnnxModel(spec, weights);
      const options = flavour === 'web'
        ? { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }
        : { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
      const session = await ort.InferenceSession.create(bytes, options);
      const [h, w, c] = spec.input;
      return {
        async predict(x, n) {
          // NHWC with one channel is already NCHW: only the shape changes (see ../onnx.mjs).
          const out = await session.run({ x: new ort.Tensor('float32', x, [n, c, h, w]) });
          return out.y.data;
        },
        train() { throw new Error('ONNX Runtime runs inference only (training needs onnxruntime-training)'); },
        async dispose() { await session.release?.(); },
      };
    },
  };
}
