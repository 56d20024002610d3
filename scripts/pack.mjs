// Packs the npm package from a staging folder, build/package/, so that the registry gets its own README
// (docs/package/README.md: install, import, the API) while the repository's README.md stays the
// developers' page. The staged package.json is the root one less what only developers need
// (scripts, devDependencies, "private", which guards the root against a publish by mistake).
//
//   node scripts/pack.mjs                  stage, then `npm pack` into build/ (prints the tarball's path)
//   node scripts/pack.mjs --out DIR        ... into DIR
//   node scripts/pack.mjs --publish-dry-run  stage, then `npm publish --dry-run` there
// Run `npm run build` first (npm run pack does).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAGE = join(ROOT, 'build/package');

/** Writes build/package/ and returns its path. */
export function stagePackage() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  for (const f of pkg.files) {
    if (!existsSync(join(ROOT, f))) throw new Error(`pack: ${f} is missing: run \`npm run build\` first`);
  }
  rmSync(STAGE, { recursive: true, force: true });
  mkdirSync(join(STAGE, 'dist'), { recursive: true });
  for (const f of pkg.files) copyFileSync(join(ROOT, f), join(STAGE, f));
  copyFileSync(join(ROOT, 'LICENSE'), join(STAGE, 'LICENSE'));
  const { scripts, devDependencies, private: _private, ...published } = pkg;
  writeFileSync(join(STAGE, 'package.json'), JSON.stringify(published, null, 2) + '\n');
  writeReadme(pkg.files, 0);
  return STAGE;
}

/**
 * The registry README with the sizes of this build between its size markers. The packed size comes from
 * a first `npm pack` (see pack()); until then the packed figure is the gzip of the unpacked files.
 */
function writeReadme(files, packedBytes) {
  const kB = (n) => Math.round(n / 1000);
  const size = (f) => statSync(join(STAGE, f)).size;
  const readme = readFileSync(join(ROOT, 'docs/package/README.md'), 'utf8');
  const draft = readme.replace(/(<!-- size:start -->)[\s\S]*?(<!-- size:end -->)/, '$1$2');
  writeFileSync(join(STAGE, 'README.md'), draft);
  const all = readdirSync(STAGE, { recursive: true }).filter((f) => statSync(join(STAGE, f)).isFile());
  const unpacked = all.reduce((s, f) => s + size(f), 0) + 200; // + the sentence itself
  const packed = packedBytes || all.reduce((s, f) => s + gzipSync(readFileSync(join(STAGE, f))).length, 0);
  const [esm, types] = [files.find((f) => f.endsWith('.js')), files.find((f) => f.endsWith('.d.ts'))];
  // The subpath entries (simdnet/onnx, simdnet/quantize): their ES module sizes, each on top of the main bundle.
  const subpaths = files.filter((f) => f !== esm && /^dist\/[\w-]+\.js$/.test(f));
  const entries = subpaths.map((f) => `simdnet/${f.slice(5, -3)} ${kB(size(f))} kB`);
  const sentence =
    `about ${kB(packed)} kB packed, ${kB(unpacked)} kB unpacked: the minified bundle is ${kB(size(esm))} kB, once as an\n` +
    `  ES module and once as CommonJS, plus ${kB(size(types))} kB of type declarations, twice` +
    (entries.length ? `; the optional entries add\n  ${entries.join(', ')} (likewise twice)` : '');
  if (!readme.includes('<!-- size:end -->')) throw new Error('pack: docs/package/README.md has no <!-- size:start --> … <!-- size:end --> markers');
  writeFileSync(join(STAGE, 'README.md'), readme.replace(/(<!-- size:start -->)[\s\S]*?(<!-- size:end -->)/, `$1${sentence}$2`));
}

/** Stages and packs; returns the tarball's absolute path. */
export function pack(outDir = join(ROOT, 'build')) {
  const stage = stagePackage();
  mkdirSync(outDir, { recursive: true });
  const npmPack = () => JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', resolve(outDir)], { cwd: stage, encoding: 'utf8' }))[0];
  // Twice: the first tarball's size goes into the README of the second (a few bytes apart).
  const first = npmPack();
  writeReadme(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).files, first.size);
  const { filename } = npmPack();
  return join(resolve(outDir), filename);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--publish-dry-run')) {
    execFileSync('npm', ['publish', '--dry-run'], { cwd: stagePackage(), stdio: 'inherit' });
  } else {
    const i = args.indexOf('--out');
    console.log(pack(i >= 0 ? args[i + 1] : undefined));
  }
}
