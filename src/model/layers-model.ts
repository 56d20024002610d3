// LayersModel (sn.model): a model over any graph of layer calls, from its input and output symbolic
// tensors, as TF.js's `tf.model({ inputs, outputs })`. Training, weights and files come from the shared
// engine (model.ts); this adds the graph, TF.js's shape getters, the functional summary and topology.
import type { Layer } from '../layers/layer.js';
import { Graph } from './graph.js';
import { Model } from './model.js';
import type { SymbolicTensor } from './symbolic.js';
import { functionalTopologyOf } from './functional.js';
import { functionalSummaryLines } from './summary.js';
import { describeValue } from '../describe.js';

export interface LayersModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

export class LayersModel extends Model {
  private readonly graph: Graph;

  constructor(args: LayersModelArgs) {
    if (!args || typeof args !== 'object') throw new Error(`simdnet: model expects { inputs, outputs, name? }, got ${describeValue(args)}`);
    super(args.name, 'model');
    this.graph = new Graph(
      (Array.isArray(args.inputs) ? args.inputs : [args.inputs]) as SymbolicTensor[],
      (Array.isArray(args.outputs) ? args.outputs : [args.outputs]) as SymbolicTensor[],
      `model '${this.name}'`,
    );
  }

  /** Every layer, InputLayers included, in TF.js's order. */
  get layers(): Layer[] {
    return this.graph.layers;
  }

  /** `[null, ...]` of the input, or one per input (TF.js `inputs[i].shape`). */
  get inputShape(): (number | null)[] | (number | null)[][] {
    const s = this.graph.inputs.map((t) => t.shape);
    return s.length === 1 ? s[0] : s;
  }

  /** `[null, ...]` of the output, or one per output, as TF.js's `outputShape`. */
  get outputShape(): (number | null)[] | (number | null)[][] {
    const s = this.graph.outputs.map((t) => t.shape);
    return s.length === 1 ? s[0] : s;
  }

  protected graphFor(what: string): Graph {
    this.checkAlive(what);
    return this.graph;
  }

  protected topology(graph: Graph, skipAugmentation: boolean): unknown {
    return functionalTopologyOf(this.name, graph, skipAugmentation);
  }

  protected summaryTable(graph: Graph): string[] {
    return functionalSummaryLines(this.name, graph);
  }
}

/** `sn.model({ inputs, outputs, name? })`: a model over the graph between them (TF.js `tf.model`). */
export function model(args: LayersModelArgs): LayersModel {
  return new LayersModel(args);
}
