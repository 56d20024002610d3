// The calls a model makes, in run order, with a slot per value: what the quantized program and calibration
// walk, for a Sequential model (a chain) and a functional one (sn.model: branches, merges) alike. Read
// from the model's public symbolic tensors (inputs, outputs), depth-first from the output as the model's
// own graph is, so each call runs after its inputs. Slot 0 is the model input; a Sequential model's layer
// i writes slot i + 1 (the numbering of the saved activation parameters).
import type { Layer, Sequential, LayersModel, SymbolicTensor } from '../index.js';

/** One call: its layer, the slots it reads and writes, and their per-sample shapes. */
export interface Call {
  readonly layer: Layer;
  readonly inSlots: number[];
  readonly outSlot: number;
  readonly inShapes: number[][];
  readonly outShape: number[];
}

export interface Wiring {
  readonly calls: Call[];
  /** Slots in all: the model input, then one per call. */
  readonly slots: number;
  readonly outputSlot: number;
  /** Per slot, the calls that read it (plus one for the model output). */
  readonly readers: number[];
  readonly inputShape: number[];
  readonly outputShape: number[];
}

export function wiringOf(model: Sequential | LayersModel, who: string): Wiring {
  const inputs = model.inputs;
  const outputs = model.outputs;
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new Error(`simdnet ${who}: ${model.name} has ${inputs.length} inputs and ${outputs.length} outputs; quantize takes models with one of each`);
  }
  const slotOf = new Map<SymbolicTensor, number>([[inputs[0], 0]]);
  const calls: Call[] = [];
  const visit = (t: SymbolicTensor): number => {
    const known = slotOf.get(t);
    if (known !== undefined) return known;
    const node = t.node;
    if (node.inbound.length === 0) throw new Error(`simdnet ${who}: ${model.name}'s output depends on ${t.name}, which is not its input`);
    const inSlots = node.inbound.map(visit);
    const outSlot = slotOf.size;
    slotOf.set(t, outSlot);
    calls.push({ layer: node.layer!, inSlots, outSlot, inShapes: node.inbound.map((x) => x.sampleShape), outShape: t.sampleShape });
    return outSlot;
  };
  const outputSlot = visit(outputs[0]);
  const readers = new Array<number>(slotOf.size).fill(0);
  for (const c of calls) for (const s of c.inSlots) readers[s]++;
  readers[outputSlot]++;
  return { calls, slots: slotOf.size, outputSlot, readers, inputShape: inputs[0].sampleShape, outputShape: outputs[0].sampleShape };
}
