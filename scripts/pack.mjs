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
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  copyFileSync(join(ROOT, 'docs/package/README.md'), join(STAGE, 'README.md'));
  const { scripts, devDependencies, private: _private, ...published } = pkg;
  writeFileSync(join(STAGE, 'package.json'), JSON.stringify(published, null, 2) + '\n');
  return STAGE;
}

/** Stages and packs; returns the tarball's absolute path. */
export function pack(outDir = join(ROOT, 'build')) {
  const stage = stagePackage();
  mkdirSync(outDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', resolve(outDir)], { cwd: stage, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(out);
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
