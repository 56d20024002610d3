// Loading from a URL (browsers, or http(s) in Node): fetch model.json, then its weight files relative to it.
import { checkManifest, concatBuffers, type ModelArtifacts, type ModelJson } from './artifacts.js';

export async function fetchArtifacts(url: string): Promise<ModelArtifacts> {
  const res = await fetchOrExplain(url, url);
  if (!res.ok) throw new Error(`simdnet: loadModel: fetching ${url} failed: HTTP ${res.status}`);
  let json: ModelJson;
  try {
    json = (await res.json()) as ModelJson;
  } catch (e) {
    throw new Error(`simdnet: loadModel: ${url} is not valid JSON: ${(e as Error).message}`);
  }
  checkManifest(json, url);
  const base = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
  const parts: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const wurl = new URL(p, base).href;
      const r = await fetchOrExplain(wurl, url);
      if (!r.ok) throw new Error(`simdnet: loadModel: fetching weights ${wurl} failed: HTTP ${r.status}`);
      parts.push(await r.arrayBuffer());
    }
  }
  return { ...json, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: concatBuffers(parts) };
}

/** fetch, with a network or URL failure turned into an Error that names the model and the URL. */
async function fetchOrExplain(url: string, model: string): Promise<Response> {
  const shown = (u: string): string => (u.length > 200 ? `${u.slice(0, 200)}…` : u);
  try {
    return await fetch(url);
  } catch (e) {
    const why = (e as Error).message.slice(0, 200);
    const of = model === url ? '' : ` (weights of ${shown(model)})`;
    throw new Error(`simdnet: loadModel: fetching ${shown(url)}${of} failed: ${why}`);
  }
}
