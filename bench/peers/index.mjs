// The libraries compared, in table order. `node: true` marks peers that exist only in Node.
import { convnetjsPeer } from './convnetjs.mjs';
import { onnxPeer } from './onnxruntime.mjs';
import { simdnetPeer } from './simdnet.mjs';
import { tfjsPeer } from './tfjs.mjs';

export const PEER_IDS = ['simdnet', 'tfjs-wasm', 'tfjs-cpu', 'ort-web', 'convnetjs', 'ort-node'];

export function makePeer(id, options = {}) {
  switch (id) {
    case 'simdnet': return simdnetPeer(options.simdnet);
    case 'tfjs-wasm': return tfjsPeer('wasm');
    case 'tfjs-cpu': return tfjsPeer('cpu');
    case 'ort-web': return onnxPeer('web');
    case 'ort-node': return onnxPeer('node');
    case 'convnetjs': return convnetjsPeer();
    default: throw new Error(`bench: unknown library ${id} (known: ${PEER_IDS.join(', ')})`);
  }
}

/** Peers for an environment: the browser has no onnxruntime-node. */
export function peersFor(envName, options = {}) {
  return PEER_IDS.filter((id) => !(envName === 'browser' && id === 'ort-node')).map((id) => makePeer(id, options));
}
