// What the suite needs from a browser: libraries loaded from bench/node_modules (served by scripts/serve.mjs
// under /bench/) and simdnet from /dist/, cold starts in fresh iframes, and a description of the browser.
// TF.js and ConvNetJS ship classic scripts (globals); ONNX Runtime Web an ES module.
const NM = new URL('./node_modules/', import.meta.url).href;

function classicScript(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement('script');
    el.src = src;
    el.onload = resolve;
    el.onerror = () => reject(new Error(`cannot load ${src} (are the peers installed? npm ci --prefix bench)`));
    document.head.append(el);
  });
}

let tfLoading = null;

export function browserEnv() {
  return {
    name: 'browser',
    simdnetVersion: 'dist',
    async load(name) {
      if (name === 'simdnet') return import(new URL('../dist/simdnet.js', import.meta.url).href);
      if (name === 'tfjs') {
        tfLoading ??= (async () => {
          await classicScript(`${NM}@tensorflow/tfjs/dist/tf.min.js`);
          await classicScript(`${NM}@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js`);
          const tf = globalThis.tf;
          tf.wasm.setWasmPaths(`${NM}@tensorflow/tfjs-backend-wasm/dist/`);
          // Single thread, as every other library here (and as TF.js must in Node).
          tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
          return tf;
        })();
        return tfLoading;
      }
      if (name === 'onnxruntime-web') {
        const ort = await import(`${NM}onnxruntime-web/dist/ort.wasm.min.mjs`);
        ort.env.wasm.wasmPaths = `${NM}onnxruntime-web/dist/`;
        return ort;
      }
      if (name === 'convnetjs') {
        if (!globalThis.convnetjs) await classicScript(`${NM}convnetjs/build/convnet.js`);
        return globalThis.convnetjs;
      }
      throw new Error(`${name} does not run in a browser`);
    },
    /** One short sample of the wasm SIMD peak on simdnet's running build (assembly/peak.ts). */
    async peakSample() {
      const sn = await import(new URL('../dist/simdnet.js', import.meta.url).href);
      return sn.ops.measurePeakGflops(3, 30);
    },
    /** Cold start in a fresh iframe (a new realm: modules and libraries are instantiated again). */
    coldStart(peerId, modelId) {
      return new Promise((resolve, reject) => {
        const frame = document.createElement('iframe');
        frame.style.display = 'none';
        const timer = setTimeout(() => done({ error: 'cold start timed out (60 s)' }), 60_000);
        const onMessage = (ev) => { if (ev.source === frame.contentWindow && ev.data?.coldStart) done(ev.data); };
        function done(r) {
          clearTimeout(timer);
          window.removeEventListener('message', onMessage);
          frame.remove();
          if (r.error) reject(new Error(r.error)); else resolve(r.ms);
        }
        window.addEventListener('message', onMessage);
        frame.src = new URL(`./cold.html?lib=${encodeURIComponent(peerId)}&model=${encodeURIComponent(modelId)}`, import.meta.url).href;
        document.body.append(frame);
      });
    },
    describe() {
      const brand = navigator.userAgentData?.brands?.find((b) => /Chrom/.test(b.brand));
      const chrome = navigator.userAgent.match(/Chrom(e|ium)\/([\d.]+)/)?.[2];
      return {
        runtime: `${brand?.brand ?? 'browser'} ${chrome ?? brand?.version ?? ''} (${navigator.userAgent})`,
        cpu: 'not visible to pages',
        cores: navigator.hardwareConcurrency,
        platform: navigator.platform,
        crossOriginIsolated: globalThis.crossOriginIsolated === true,
      };
    },
  };
}
