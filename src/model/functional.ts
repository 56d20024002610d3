// Functional models in the TF.js layers-model format (Keras's `Model`/`Functional` class): every layer
// with its `inbound_nodes`, and the model's `input_layers`/`output_layers`, to and from a graph.
//
// Keras 2 / TF.js style, which simdnet writes:
//   inbound_nodes: [ [ ["conv2d_1", 0, 0, {}], ["conv2d_2", 0, 0, {}] ], ... ]   one entry per call;
//   each input named by layer, node index (which call of that layer) and tensor index (always 0 here).
// Keras 3 style ({ args: [{ class_name: '__keras_tensor__', config: { keras_history: [layer, node, tensor] } }] })
// is read too. Anything else is refused with an Error naming the layer.
import type { Layer } from '../layers/layer.js';
import { InputLayer } from '../layers/input-layer.js';
import { AugmentationLayer } from '../layers/augmentation.js';
import { describeValue } from '../describe.js';
import type { Graph } from './graph.js';
import type { SymbolicTensor } from './symbolic.js';
import { layerToJson, layerFromJson } from './topology.js';

type Config = Record<string, unknown>;
/** [layer name, node index, tensor index]. */
type TensorRef = [string, number, number];

export function functionalTopologyOf(name: string, graph: Graph, skipAugmentation = false): unknown {
  const skipped = (l: Layer) => skipAugmentation && l instanceof AugmentationLayer;
  // A skipped layer's output is read as its input (it is the identity at inference).
  const ref = (t: SymbolicTensor): [string, number, number] => {
    while (skipped(t.sourceLayer)) t = t.node.inbound[0];
    return [t.sourceLayer.name, graph.savedNodeIndex(t.node), 0];
  };
  const layers = graph.layers.filter((l) => !skipped(l)).map((layer) => {
    const nodes = layer.inboundNodes.filter((n) => graph.nodes.has(n) && n.inbound.length > 0);
    return {
      class_name: layer.className,
      config: layerToJson(layer).config,
      name: layer.name,
      inbound_nodes: nodes.map((n) => n.inbound.map((t) => [...ref(t), {}])),
    };
  });
  return {
    // TF.js writes 'Model' (tf.keras 2.x writes 'Functional'; both load everywhere).
    class_name: 'Model',
    config: { name, layers, input_layers: graph.inputs.map(ref), output_layers: graph.outputs.map(ref) },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}

const fail = (why: string): Error => new Error(`simdnet: loadModel: ${why}`);

/** A reference [layer, node, tensor] in Keras 2 form (4 items with kwargs) or Keras 3 form. */
function tensorRef(v: unknown, where: string): TensorRef {
  let r = v;
  if (r && typeof r === 'object' && !Array.isArray(r)) {
    const c = (r as Config).config as Config | undefined;
    r = c?.keras_history;
  }
  if (!Array.isArray(r) || r.length < 3 || typeof r[0] !== 'string' || !Number.isInteger(r[1]) || !Number.isInteger(r[2])) {
    throw fail(`${where}: an input reference is ${describeValue(v)}; expected [layerName, nodeIndex, tensorIndex, {}] (Keras 2 / TF.js inbound_nodes)`);
  }
  if (r[2] !== 0) throw fail(`${where}: tensor index ${r[2]} of layer '${r[0]}': simdnet layers have one output`);
  return [r[0], r[1], r[2]];
}

/** The input references of one call, from an inbound_nodes entry in either style. */
function callInputs(entry: unknown, where: string): TensorRef[] {
  if (Array.isArray(entry)) return entry.map((r) => tensorRef(r, where));
  if (entry && typeof entry === 'object' && Array.isArray((entry as Config).args)) {
    const args = (entry as Config).args as unknown[];
    const first = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    return first.map((r) => tensorRef(r, where));
  }
  throw fail(`${where}: an inbound_nodes entry is ${describeValue(entry)}; expected a list of [layerName, nodeIndex, tensorIndex, {}]`);
}

/** Input/output lists: [[name, node, tensor], ...], or one flat [name, node, tensor] (Keras with one input). */
function refList(v: unknown, what: string): TensorRef[] {
  if (!Array.isArray(v) || v.length === 0) throw fail(`the functional config's ${what} is ${describeValue(v)}, not a list of [layerName, nodeIndex, tensorIndex]`);
  if (typeof v[0] === 'string') return [tensorRef(v, what)];
  return v.map((r) => tensorRef(r, what));
}

/**
 * Rebuilds the graph of a functional config as TF.js does (Container.fromConfig): makes every layer, then
 * applies each call once the calls it reads exist, in the file's layer order, until all are made.
 */
export function graphFromFunctional(config: Config): { name: string | null; inputs: SymbolicTensor[]; outputs: SymbolicTensor[]; layers: Layer[] } {
  const list = config.layers;
  if (!Array.isArray(list)) throw fail('the functional config has no layers list');
  const made = new Map<string, Layer>();
  const pending = new Map<Layer, TensorRef[][]>();
  const order: Layer[] = [];
  try {
    list.forEach((entry, i) => {
      const e = (entry ?? {}) as Config;
      const c = (e.config ?? {}) as Config;
      const name = (c.name ?? e.name) as string | undefined;
      let layer: Layer;
      if (e.class_name === 'InputLayer') {
        const shape = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
        if (!Array.isArray(shape)) throw fail(`input layer ${describeValue(name)} has no batch_input_shape`);
        layer = new InputLayer({ name, batchInputShape: shape });
      } else layer = layerFromJson(entry, i);
      if (made.has(layer.name)) throw fail(`two layers are named '${layer.name}'`);
      made.set(layer.name, layer);
      order.push(layer);
      const inbound = e.inbound_nodes ?? [];
      if (!Array.isArray(inbound)) throw fail(`layer '${layer.name}' has inbound_nodes ${describeValue(inbound)}, not a list`);
      pending.set(layer, layer instanceof InputLayer ? [] : inbound.map((n) => callInputs(n, `layer '${layer.name}'`)));
    });
    const output = (ref: TensorRef, where: string): SymbolicTensor | null => {
      const layer = made.get(ref[0]);
      if (!layer) throw fail(`${where} reads layer '${ref[0]}', which the config does not have`);
      return layer.inboundNodes[ref[1]]?.outbound ?? null;
    };
    let left = [...pending.values()].reduce((n, calls) => n + calls.length, 0);
    while (left > 0) {
      let progress = false;
      for (const layer of order) {
        const calls = pending.get(layer)!;
        // A layer's calls are made in their order: node k before node k+1.
        while (calls.length > 0) {
          const inputs = calls[0].map((r) => output(r, `layer '${layer.name}'`));
          if (inputs.some((t) => t === null)) break;
          const ts = inputs as SymbolicTensor[];
          layer.apply(ts.length === 1 ? ts[0] : ts);
          calls.shift();
          left--;
          progress = true;
        }
      }
      if (!progress) {
        const stuck = order.filter((l) => pending.get(l)!.length > 0).map((l) => l.name);
        throw fail(`the calls of ${stuck.join(', ')} read nodes that never exist (a cycle or a wrong node index)`);
      }
    }
    const resolve = (refs: TensorRef[], what: string): SymbolicTensor[] =>
      refs.map((r) => {
        const t = output(r, what);
        if (!t) throw fail(`${what} name node ${r[1]} of layer '${r[0]}', which does not exist`);
        return t;
      });
    const inputs = resolve(refList(config.input_layers, 'input_layers'), 'input_layers');
    const outputs = resolve(refList(config.output_layers, 'output_layers'), 'output_layers');
    return { name: typeof config.name === 'string' ? config.name : null, inputs, outputs, layers: order };
  } catch (e) {
    for (const l of order) l.dispose();
    throw e;
  }
}
