// InputLayer: the entry of a graph. `sn.input({ shape })` makes one and returns its output, a symbolic
// tensor; in a Sequential, `sn.layers.inputLayer({ inputShape })` only sets the input shape (as in TF.js).
// It has no parameters and its call passes the batch through.
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import { Layer, uniqueLayerName } from './layer.js';
import { Node } from './node.js';
import { SymbolicTensor } from '../model/symbolic.js';
import { describeValue } from '../describe.js';

export interface InputLayerArgs {
  name?: string;
  /** Shape of one sample (TF.js `inputShape`). */
  inputShape?: number[];
  /** The same with the batch axis first (`[null, ...]`). */
  batchInputShape?: (number | null)[];
  /** Keras 3's name for batchInputShape. */
  batchShape?: (number | null)[];
  dtype?: string;
}

export class InputLayer extends Layer {
  readonly className = 'InputLayer';

  constructor(args: InputLayerArgs) {
    if (!args || typeof args !== 'object') throw new Error(`simdnet: inputLayer expects { inputShape } or { batchInputShape }, got ${describeValue(args)}`);
    const batchShape = args.batchInputShape ?? args.batchShape;
    const shape = args.inputShape ?? batchShape?.slice(1);
    if (!Array.isArray(shape)) {
      throw new Error(`simdnet: ${args.name ?? 'inputLayer'}: needs inputShape (per sample) or batchInputShape, got ${describeValue(args.inputShape ?? batchShape)}`);
    }
    if (args.dtype !== undefined && args.dtype !== 'float32' && args.dtype !== 'int32') {
      throw new Error(`simdnet: ${args.name ?? 'inputLayer'}: dtype must be 'float32', got ${describeValue(args.dtype)}`);
    }
    super({ name: args.name ?? uniqueLayerName('input'), inputShape: shape as number[] }, 'input');
    this.build(this.declaredInputShape!);
    // Its one node: the graph's entry, with no inputs.
    const node = new Node();
    node.layer = this;
    node.outbound = new SymbolicTensor(this.outputShape!, node, this.name);
    this.inboundNodes.push(node);
  }

  /** The symbolic tensor this input stands for. */
  get output(): SymbolicTensor {
    return this.inboundNodes[0].outbound!;
  }

  protected computeOutputShape(s: number[]): number[] {
    return [...s];
  }

  override apply(): SymbolicTensor {
    throw new Error(`simdnet: ${this.name} is an InputLayer: use its output (sn.input returns it) instead of applying it`);
  }

  forward(x: Tensor, _node: Node, _arena: Arena): Tensor {
    return x;
  }

  backward(dy: Tensor, _node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    return needDx ? dy : null;
  }

  override getConfig(): Record<string, unknown> {
    return { batch_input_shape: [null, ...this.declaredInputShape!], dtype: 'float32', sparse: false, name: this.name };
  }

  protected layerConfig(): Record<string, unknown> {
    return {};
  }
}

/** `sn.input({ shape, name? })`: a graph's input, as a symbolic tensor to apply layers to (TF.js `tf.input`). */
export function input(args: { shape?: number[]; batchShape?: (number | null)[]; name?: string; dtype?: string }): SymbolicTensor {
  if (!args || typeof args !== 'object') throw new Error(`simdnet: input expects { shape }, got ${describeValue(args)}`);
  if (args.shape === undefined && args.batchShape === undefined) throw new Error('simdnet: input needs { shape } (per sample, e.g. [28, 28, 1])');
  return new InputLayer({ inputShape: args.shape, batchShape: args.batchShape, name: args.name, dtype: args.dtype }).output;
}
