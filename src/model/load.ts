// sn.loadModel: a Sequential model from TF.js layers-model artifacts (ours or TF.js's), a model.json URL
// (a string or a URL object: browsers, or http(s) in Node), a file path or file: URL (Node) or a TF.js
// IOHandler with `load()`.
import { describeValue } from '../describe.js';
import { getLoss, type LossIdentifier } from '../losses/index.js';
import { getOptimizer, sgd, adam, rmsprop } from '../optimizers/index.js';
import type { Optimizer } from '../optimizers/index.js';
import { Sequential } from './sequential.js';
import { LayersModel } from './layers-model.js';
import type { Model, MetricName } from './model.js';
import { graphFromFunctional } from './functional.js';
import { layersFromTopology } from './topology.js';
import { readArtifactsFromDir, filePathOf } from './io-node.js';
import { fetchArtifacts } from './io-browser.js';
import { concatBuffers, decodeWeights, type ModelArtifacts, type WeightSpec } from './artifacts.js';
import { dequantizeWeights } from './quantized-weights.js';

export interface LoadHandler {
  load(): Promise<ModelArtifacts> | ModelArtifacts;
}

const isNode = typeof process === 'object' && typeof process.versions === 'object' && !!process.versions.node;

/**
 * Loads a model from artifacts (`model.save()`'s result), a `{ load() }` handler, or where its model.json is:
 * - a URL, as a string or a `URL` object: fetched (browsers; http(s) in Node); a relative one in a page
 *   is taken relative to the page;
 * - in Node, a file path (a directory holding model.json, or the .json file; relative to the working
 *   directory), a `file:` URL (`pathToFileURL(...)`, spaces as %20) or TF.js's `file://path`.
 */
export async function loadModel(source: ModelArtifacts | LoadHandler | string | URL): Promise<Sequential | LayersModel> {
  if (typeof source === 'string' || (typeof URL === 'function' && source instanceof URL)) {
    const where = typeof source === 'string' ? source : source.href;
    const path = isNode ? await filePathOf(source) : null;
    if (path !== null) return modelFromArtifacts(await readArtifactsFromDir(path));
    if (where.startsWith('file:')) throw new Error(`simdnet: loadModel: ${where}: file URLs are read only in Node; in a browser, give an http(s) URL`);
    let artifacts: ModelArtifacts;
    try {
      artifacts = await fetchArtifacts(where);
    } catch (e) {
      // fetch's own errors ('fetch failed', 'Failed to parse URL') do not say which URL.
      const message = (e as Error).message ?? String(e);
      throw message.startsWith('simdnet:') ? e : new Error(`simdnet: loadModel: fetching ${where} failed: ${message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}`);
    }
    return modelFromArtifacts(artifacts);
  }
  if (source && typeof (source as LoadHandler).load === 'function') return modelFromArtifacts(await (source as LoadHandler).load());
  return modelFromArtifacts(source as ModelArtifacts);
}

/** Builds the model and copies the weights in; every check runs before a model is returned. */
export function modelFromArtifacts(a: ModelArtifacts): Sequential | LayersModel {
  if (!a || typeof a !== 'object') throw new Error(`simdnet: loadModel expects model artifacts, a URL or a handler, got ${describeValue(a)}`);
  if (a.format && a.format !== 'layers-model') {
    throw new Error(`simdnet: loadModel: format ${describeValue(a.format)} is not a layers model (graph models are not supported)`);
  }
  const specs: WeightSpec[] = a.weightSpecs ?? (a.weightsManifest ?? []).flatMap((g) => g.weights);
  const data = a.weightData === undefined ? new ArrayBuffer(0) : concatBuffers(a.weightData);
  if ((a.modelTopology as Record<string, unknown> | null)?.simdnet_quantization) {
    throw new Error("simdnet: loadModel: this model was quantized by simdnet/quantize: load it with loadQuantizedModel from 'simdnet/quantize'");
  }
  const weights = decodeWeights(...dequantizeWeights(specs, data));
  const model = modelFromTopology(a.modelTopology);
  try {
    const named = model.namedWeights();
    // By name only (TF.js and Keras name weights `<layer>/<param>`). A name that matches no layer is refused
    // rather than loaded by position: a renamed or reordered file would otherwise load into the wrong layers.
    const unknown = [...weights.keys()].filter((k) => !named.some((w) => w.spec.name === k));
    if (unknown.length > 0) {
      throw new Error(
        `simdnet: loadModel: the artifact has weights that match no layer: ${list(unknown)} (the topology's weights are ${list(named.map((w) => w.spec.name))})`,
      );
    }
    named.forEach(({ spec, tensor }) => {
      const found = weights.get(spec.name);
      if (!found) {
        throw new Error(`simdnet: loadModel: weight ${describeValue(spec.name)} of shape [${spec.shape}] is missing from the artifact (it has ${list([...weights.keys()]) || 'none'})`);
      }
      const shape = found.spec.shape;
      if (shape.length !== spec.shape.length || shape.some((d, j) => d !== spec.shape[j])) {
        throw new Error(`simdnet: loadModel: weight ${describeValue(found.spec.name)} has shape [${shape}] but ${spec.name} needs [${spec.shape}]`);
      }
      tensor.set(found.values);
    });
    restoreTrainingConfig(model, a.trainingConfig);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Compiles the model as it was saved, when the saved loss and optimizer are ones simdnet knows. */
function restoreTrainingConfig(model: Model, config: unknown): void {
  const c = config as { loss?: unknown; metrics?: unknown; optimizer_config?: { class_name?: string; config?: Record<string, number> } } | undefined;
  if (!c || typeof c.loss !== 'string') return;
  let optimizer: Optimizer;
  try {
    getLoss(c.loss);
    const oc = c.optimizer_config;
    const o = oc?.config ?? {};
    const lr = o.learningRate ?? o.learning_rate ?? o.lr;
    switch ((oc?.class_name ?? '').toLowerCase()) {
      case 'sgd':
      case 'momentum':
        optimizer = sgd({ learningRate: lr, momentum: o.momentum, nesterov: Boolean(o.useNesterov ?? o.nesterov) });
        break;
      case 'adam':
        optimizer = adam({ learningRate: lr, beta1: o.beta1 ?? o.beta_1, beta2: o.beta2 ?? o.beta_2, epsilon: o.epsilon });
        break;
      case 'rmsprop':
        optimizer = rmsprop({ learningRate: lr, rho: o.rho ?? o.decay, momentum: o.momentum, epsilon: o.epsilon });
        break;
      default:
        optimizer = getOptimizer('adam');
    }
  } catch {
    return; // an unknown loss or odd optimizer config: leave the model uncompiled, as weights are what matter
  }
  const metrics: MetricName[] = Array.isArray(c.metrics) && c.metrics.some((m) => m === 'accuracy' || m === 'acc') ? ['accuracy'] : [];
  model.compile({ optimizer, loss: c.loss as LossIdentifier, metrics }); // getLoss accepted the name above
}


/** At most 8 names, for messages. */
function list(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => (n.length > 80 ? `${n.slice(0, 80)}…` : n));
  return names.length > 8 ? `${shown.join(', ')}, … (${names.length} in all)` : shown.join(', ');
}

/** A model class name of Keras/TF.js that is a functional graph. */
const FUNCTIONAL = new Set(['Model', 'Functional']);

/** The model a topology describes, built, with fresh weights (the caller loads them). */
export function modelFromTopology(topology: unknown): Sequential | LayersModel {
  let t = topology as Record<string, unknown> | null;
  if (t && typeof t === 'object' && 'model_config' in t) t = t.model_config as Record<string, unknown>;
  if (t && typeof t === 'object' && typeof t.class_name === 'string' && FUNCTIONAL.has(t.class_name)) {
    const config = t.config as Record<string, unknown> | undefined;
    if (!config || typeof config !== 'object') throw new Error(`simdnet: loadModel: the ${t.class_name} topology has no config`);
    const g = graphFromFunctional(config);
    try {
      return new LayersModel({ inputs: g.inputs, outputs: g.outputs, name: g.name ?? undefined });
    } catch (e) {
      for (const l of g.layers) l.dispose();
      throw e;
    }
  }
  const { name, layers } = layersFromTopology(topology);
  const model = new Sequential({ name: name ?? undefined });
  try {
    for (const layer of layers) model.add(layer);
    if (!model.built) {
      throw new Error('simdnet: loadModel: the topology gives no input shape (batch_input_shape) for the first layer');
    }
  } catch (e) {
    model.dispose();
    for (const l of layers) l.dispose();
    throw e;
  }
  return model;
}
