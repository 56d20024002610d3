// The browser bench page: runs bench/harness.mjs with browser-env.mjs and shows the same report as Node.
// State for tests: <html data-state="idle|running|done|error">, window.simdnetBench = { result, error }.
import { runSuite } from './harness.mjs';
import { browserEnv } from './browser-env.mjs';
import { MODELS } from './models.mjs';
import { peersFor } from './peers/index.mjs';
import { METHOD, toMarkdown } from './report.mjs';

const $ = (id) => document.getElementById(id);
const q = new URLSearchParams(location.search);
const bench = (window.simdnetBench = { result: null, error: null });
const setState = (s) => { document.documentElement.dataset.state = s; };
setState('idle');

function log(line) {
  $('log').textContent += `${line}\n`;
  $('log').scrollTop = $('log').scrollHeight;
}

const escapeHtml = (s) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
const inline = (s) => escapeHtml(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`(.+?)`/g, '<code>$1</code>');

/** Just enough markdown for the report: paragraphs, bold, code spans and pipe tables. */
function markdownToHtml(md) {
  const out = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('|')) {
      const rows = [];
      while (i < lines.length && lines[i].startsWith('|')) rows.push(lines[i++]);
      i--;
      const cells = (r) => r.slice(1, -1).split(/(?<!\\)\|/).map((c) => inline(c.trim().replace(/\\\|/g, '|')));
      const [head, , ...body] = rows;
      out.push(`<table><thead><tr>${cells(head).map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${cells(r).map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    } else if (lines[i].trim()) {
      out.push(`<p>${inline(lines[i])}</p>`);
    }
  }
  return out.join('\n');
}

async function measurePeak(env) {
  const sn = await env.load('simdnet');
  const info = await sn.ready();
  if (typeof sn.ops?.measurePeakGflops !== 'function') return { error: 'sn.ops.measurePeakGflops is not available' };
  const p = await sn.ops.measurePeakGflops();
  const gflops = typeof p === 'number' ? p : p?.gflops;
  return Number.isFinite(gflops) ? { gflops, source: `sn.ops.measurePeakGflops(), ${info.build} build, 1 thread` } : { error: 'no peak figure' };
}

async function run(quick) {
  $('run').disabled = $('quick').disabled = true;
  $('log').textContent = '';
  $('report').innerHTML = '';
  setState('running');
  try {
    const env = browserEnv();
    env.peak = () => measurePeak(env);
    if (q.get('cold') === '0') delete env.coldStart;
    const libs = q.get('libs')?.split(',');
    const models = q.get('models') ? MODELS.filter((m) => q.get('models').split(',').includes(m.id)) : MODELS;
    const peers = peersFor('browser').filter((p) => !libs || libs.includes(p.id));
    log(`simdnet benchmark${quick ? ' (quick)' : ''} in ${navigator.userAgent}`);
    const result = await runSuite({ env, peers, quick, log, models, skipTraining: quick ? ['tfjs-cpu'] : [] });
    const md = toMarkdown(result, { command: `${location.pathname}${location.search}` });
    $('report').innerHTML = markdownToHtml(`${md}\n${METHOD.replace(/\n/g, ' ')}`);
    const a = $('download');
    a.href = URL.createObjectURL(new Blob([JSON.stringify(result, null, 2)], { type: 'application/json' }));
    a.hidden = false;
    bench.result = result;
    setState('done');
  } catch (e) {
    bench.error = String(e?.stack ?? e);
    log(`error: ${bench.error}`);
    setState('error');
  } finally {
    $('run').disabled = $('quick').disabled = false;
  }
}

$('run').onclick = () => run(false);
$('quick').onclick = () => run(true);
if (q.get('quick') === '1') run(true);
else if (q.get('run') === '1') run(false);
