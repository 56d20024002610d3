// loadModel in Node takes where a model is in every form people write it: a directory or model.json path
// (absolute or relative to the working directory), a file: URL string (spaces as %20 or as typed), a URL
// object, TF.js's 'file://path'; a failure names the file and says why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as sn from '../../src/index.js';

let root: string;
let dir: string; // a saved model in a folder whose name has spaces and a '#'
let expected: Float32Array;
let x: sn.Tensor;

beforeAll(async () => {
  await sn.ready();
  sn.setSeed(4);
  root = await mkdtemp(join(tmpdir(), 'simdnet load paths '));
  dir = join(root, 'my model #1');
  const model = sn.sequential([sn.layers.dense({ units: 3, activation: 'tanh', inputShape: [2] })]);
  x = sn.tensor([0.5, -1, 2, 0.25], [2, 2]);
  const p = model.predict(x);
  expected = p.dataSync();
  p.dispose();
  await sn.saveToDir(model, dir);
  model.dispose();
});

afterAll(async () => {
  x?.dispose();
  if (root) await rm(root, { recursive: true, force: true });
});

async function expectSameModel(source: Parameters<typeof sn.loadModel>[0]) {
  const m = await sn.loadModel(source);
  const p = m.predict(x);
  expect(Array.from(p.dataSync())).toEqual(Array.from(expected));
  p.dispose();
  m.dispose();
}

describe('loadModel sources in Node', () => {
  it('a directory path, and the path of its model.json', async () => {
    await expectSameModel(dir);
    await expectSameModel(join(dir, 'model.json'));
  });

  it('a path relative to the working directory', async () => {
    await expectSameModel(relative(process.cwd(), dir));
  });

  it('a file: URL string with %20 escapes, and one with the spaces as typed', async () => {
    const href = pathToFileURL(join(dir, 'model.json')).href;
    expect(href).toContain('%20');
    await expectSameModel(href);
    await expectSameModel(`file://${dir}`);
  });

  it('a URL object for the directory or the file', async () => {
    await expectSameModel(pathToFileURL(dir));
    await expectSameModel(new URL(pathToFileURL(join(dir, 'model.json')).href));
  });

  it("TF.js's file://relative/path", async () => {
    await expectSameModel(`file://${relative(process.cwd(), dir)}`);
  });
});

describe('loadModel failures name the file and the reason', () => {
  it('a folder without model.json', async () => {
    await expect(sn.loadModel(root)).rejects.toThrow(`cannot read ${join(root, 'model.json')}: no such file or directory`);
  });

  it('a model.json that is not JSON', async () => {
    const bad = join(root, 'bad.json');
    await writeFile(bad, '{ "modelTopology": ');
    await expect(sn.loadModel(bad)).rejects.toThrow(`${bad} is not valid JSON`);
  });

  it('a weights file that is missing', async () => {
    const other = join(root, 'no weights');
    const m = sn.sequential([sn.layers.dense({ units: 1, inputShape: [1] })]);
    await sn.saveToDir(m, other);
    m.dispose();
    const { readdir } = await import('node:fs/promises');
    for (const f of await readdir(other)) if (f.endsWith('.bin')) await rm(join(other, f));
    await expect(sn.loadModel(other)).rejects.toThrow(
      new RegExp(`cannot read the weights file ${join(other, 'weights').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\.bin \\(listed in .*model\\.json\\): no such file or directory`),
    );
  });

  it('a file URL for another host', async () => {
    await expect(sn.loadModel('file://server/share/model.json')).rejects.toThrow();
  });
});

describe('loadModel over http in Node', () => {
  it('a server that is not there: the error names the URL', async () => {
    const { createServer } = await import('node:net');
    // A port that was free a moment ago: nothing listens there now.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}/model.json`;
    await expect(sn.loadModel(url)).rejects.toThrow(`simdnet: loadModel: fetching ${url} failed`);
  });
});
