// model.summary(): the Keras table of layer, output shape and parameter count, with totals.
import type { Layer } from '../layers/layer.js';
import { describeShape } from '../layers/layer.js';
import type { Graph } from './graph.js';

export function summaryLines(modelName: string, layers: Layer[]): string[] {
  const widths = [33, 26, 12];
  const line = (cells: string[]): string => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] - 1) + ' ' : c)).join('');
  const total = widths.reduce((a, b) => a + b, 0);
  const out: string[] = [`Model: "${modelName}"`, '_'.repeat(total), line(['Layer (type)', 'Output shape', 'Param #']), '='.repeat(total)];
  let trainable = 0;
  let frozen = 0;
  layers.forEach((layer, i) => {
    for (const p of layer.params) {
      if (p.trainable && layer.trainable) trainable += p.value.size;
      else frozen += p.value.size;
    }
    out.push(line([`${layer.name} (${layer.className})`, describeShape(layer.outputShape), String(layer.countParams())]));
    out.push(i < layers.length - 1 ? '_'.repeat(total) : '='.repeat(total));
  });
  out.push(`Total params: ${(trainable + frozen).toLocaleString('en-US')}`);
  out.push(`Trainable params: ${trainable.toLocaleString('en-US')}`);
  out.push(`Non-trainable params: ${frozen.toLocaleString('en-US')}`);
  out.push('_'.repeat(total));
  return out;
}

/**
 * The Keras functional table: layer (type), output shape, parameters, and what each call is connected to
 * (`layer[node][tensor]`), one line per input; a shared layer lists the inputs of each of its calls.
 */
export function functionalSummaryLines(modelName: string, graph: Graph): string[] {
  const widths = [44, 20, 11, 30];
  const line = (cells: string[]): string => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] - 1) + ' ' : c)).join('');
  const total = widths.reduce((a, b) => a + b, 0);
  const out: string[] = [`Model: "${modelName}"`, '_'.repeat(total), line(['Layer (type)', 'Output Shape', 'Param #', 'Connected to']), '='.repeat(total)];
  let trainable = 0;
  let frozen = 0;
  graph.layers.forEach((layer, i) => {
    for (const p of layer.params) {
      if (p.trainable && layer.trainable) trainable += p.value.size;
      else frozen += p.value.size;
    }
    const links = layer.inboundNodes
      .filter((n) => graph.nodes.has(n))
      .flatMap((n) => n.inbound.map((t) => `${t.sourceLayer.name}[${graph.savedNodeIndex(t.node)}][0]`));
    out.push(line([`${layer.name} (${layer.className})`, describeShape(layer.outputShape), String(layer.countParams()), links[0] ?? '']));
    for (const link of links.slice(1)) out.push(line(['', '', '', link]));
    out.push(i < graph.layers.length - 1 ? '_'.repeat(total) : '='.repeat(total));
  });
  out.push(`Total params: ${(trainable + frozen).toLocaleString('en-US')}`);
  out.push(`Trainable params: ${trainable.toLocaleString('en-US')}`);
  out.push(`Non-trainable params: ${frozen.toLocaleString('en-US')}`);
  out.push('_'.repeat(total));
  return out;
}
