// The graph a model runs: from its input and output symbolic tensors, the calls (nodes) that lead from one
// to the other in an order that runs each after its inputs, the layers in TF.js's order (which fixes the
// order of getWeights and of saved files), and a slot per tensor for the values and gradients of a batch.
//
// The walk is TF.js's (tfjs-layers Container): depth-first from the outputs, so its post-order is a
// topological order; layers are then listed by decreasing depth, ties in order of first visit.
import type { Layer } from '../layers/layer.js';
import type { Node } from '../layers/node.js';
import { InputLayer } from '../layers/input-layer.js';
import { SymbolicTensor } from './symbolic.js';
import { describeValue } from '../describe.js';

/** One call in run order, with where its inputs and output live in the batch's slots. */
export interface Step {
  readonly node: Node;
  readonly layer: Layer;
  readonly inSlots: number[];
  readonly outSlot: number;
  /** Whether backward must compute d(input i): false when no layer with weights is upstream of it (the gradient goes nowhere). */
  readonly needDx: boolean[];
}

export class Graph {
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  /** Every layer, InputLayers included, in TF.js's `model.layers` order. */
  readonly layers: Layer[];
  /** The calls that compute something (InputLayer nodes excluded), inputs before the calls that read them. */
  readonly steps: Step[];
  /** The nodes of this graph (a shared layer may have other calls outside it). */
  readonly nodes: Set<Node>;
  readonly slotCount: number;
  readonly inputSlots: number[];
  readonly outputSlots: number[];
  /** How many reads each slot has: the steps that take it, plus one per model output it is. */
  readonly readers: number[];

  constructor(inputs: SymbolicTensor[], outputs: SymbolicTensor[], who: string) {
    const check = (list: unknown, what: string): SymbolicTensor[] => {
      const arr = Array.isArray(list) ? list : [list];
      if (arr.length === 0) throw new Error(`simdnet: ${who}: ${what} must not be empty`);
      arr.forEach((t, i) => {
        if (!(t instanceof SymbolicTensor)) {
          throw new Error(`simdnet: ${who}: ${what}[${i}] must be a symbolic tensor (from sn.input() or layer.apply()), got ${describeValue(t)}`);
        }
      });
      return arr as SymbolicTensor[];
    };
    this.inputs = check(inputs, 'inputs');
    this.outputs = check(outputs, 'outputs');
    this.inputs.forEach((t) => {
      if (!(t.sourceLayer instanceof InputLayer)) {
        throw new Error(`simdnet: ${who}: input ${t.name} is the output of ${t.sourceLayer.name} (${t.sourceLayer.className}), not of sn.input()`);
      }
    });
    if (new Set(this.inputs).size !== this.inputs.length) {
      throw new Error(`simdnet: ${who}: an input is listed twice (${this.inputs.map((t) => t.name).join(', ')})`);
    }

    // Depth-first from the outputs: post-order of nodes, first-visit order of layers.
    const postOrder: Node[] = [];
    const done = new Set<Node>();
    const firstVisit = new Map<Layer, number>();
    const given = new Set(this.inputs);
    const visit = (t: SymbolicTensor): void => {
      const node = t.node;
      if (done.has(node)) return;
      const layer = node.layer!;
      if (!firstVisit.has(layer)) firstVisit.set(layer, firstVisit.size);
      if (layer instanceof InputLayer && !given.has(t)) {
        throw new Error(
          `simdnet: ${who}: the outputs depend on input '${layer.name}', which is not among the model's inputs (${this.inputs.map((i) => i.sourceLayer.name).join(', ')})`,
        );
      }
      for (const x of node.inbound) visit(x);
      done.add(node);
      postOrder.push(node);
    };
    for (const t of this.outputs) visit(t);
    this.nodes = done;
    for (const t of this.inputs) {
      if (!done.has(t.node)) throw new Error(`simdnet: ${who}: no output depends on input '${t.sourceLayer.name}'`);
    }

    // Depths (distance from the outputs), as TF.js computes them, to order the layers.
    const nodeDepth = new Map<Node, number>();
    const layerDepth = new Map<Layer, number>();
    for (const node of [...postOrder].reverse()) {
      const layer = node.layer!;
      const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(layer) ?? 0);
      layerDepth.set(layer, depth);
      nodeDepth.set(node, depth);
      for (const x of node.inbound) nodeDepth.set(x.node, Math.max(depth + 1, nodeDepth.get(x.node) ?? 0));
    }
    this.layers = [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || firstVisit.get(a)! - firstVisit.get(b)!);
    const names = new Set<string>();
    for (const l of this.layers) {
      if (names.has(l.name)) throw new Error(`simdnet: ${who}: two layers are named '${l.name}'; layer names must be unique in a model`);
      names.add(l.name);
    }

    // Slots: one per symbolic tensor.
    const slotOf = new Map<SymbolicTensor, number>();
    const slot = (t: SymbolicTensor): number => {
      let s = slotOf.get(t);
      if (s === undefined) slotOf.set(t, (s = slotOf.size));
      return s;
    };
    this.inputSlots = this.inputs.map(slot);
    const steps: Step[] = [];
    // Whether a layer with weights computes part of a tensor: if none does (graph inputs, alone or through
    // weightless layers such as augmentation), the tensor's gradient goes nowhere and is not computed.
    const weightsUpstream = new Map<SymbolicTensor, boolean>();
    for (const node of postOrder) {
      if (node.layer instanceof InputLayer) continue;
      weightsUpstream.set(node.outbound!, node.layer!.params.length > 0 || node.inbound.some((x) => weightsUpstream.get(x) === true));
      steps.push({
        node,
        layer: node.layer!,
        inSlots: node.inbound.map(slot),
        outSlot: slot(node.outbound!),
        needDx: node.inbound.map((x) => weightsUpstream.get(x) === true),
      });
    }
    this.steps = steps;
    this.outputSlots = this.outputs.map(slot);
    this.slotCount = slotOf.size;
    this.readers = new Array(this.slotCount).fill(0);
    for (const s of steps) for (const i of s.inSlots) this.readers[i]++;
    for (const o of this.outputSlots) this.readers[o]++;
  }

  /** The layers whose calls produce the outputs (one per output, repeats possible), as TF.js's outputLayers. */
  get outputLayers(): Layer[] {
    return this.outputs.map((t) => t.sourceLayer);
  }

  get inputLayers(): InputLayer[] {
    return this.inputs.map((t) => t.sourceLayer as InputLayer);
  }

  /**
   * Keras node indices as a saved file numbers them: a layer's calls that belong to this graph, counted
   * from 0 in the order they were made (calls outside the graph are dropped, as TF.js does).
   */
  savedNodeIndex(node: Node): number {
    let k = 0;
    for (const n of node.layer!.inboundNodes) {
      if (n === node) return k;
      if (this.nodes.has(n)) k++;
    }
    return 0;
  }
}
