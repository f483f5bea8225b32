/**
 * The editor with large pipelines, in headless Chromium, beside a plain React Flow page showing
 * the same graph with default nodes (bench/editor/plain), measured in the same run:
 * - open: from navigation to the first frame after the nodes are painted and the page is idle
 *   again (Fluxo: the app loads, opens the .fluxo file, validates it and draws it);
 * - drag: one node dragged across 120 pointer moves; p95 of the frame intervals meanwhile;
 * - how many nodes are in the page at the normal zoom the canvas opens with.
 * Prints medians and ratios; asserts nothing (see bench/README.md). Needs `npm run build` first
 * (`npm run bench:editor` does it) and Debian's Chromium at /usr/bin/chromium.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { chromium } from '@playwright/test';
import type { PipelineDocument } from '../../shared/document';
import { parseDocument, serializeDocument } from '../../shared/document';
import { CANVAS_VIEW } from '../../renderer/editor/canvasView';

const REPO = process.env.FLUXO_REPO ?? process.cwd();
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const SIZES = [1000, 2000];
const DRAG_MOVES = 120;
const CHROMIUM = process.env.FLUXO_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The breast cancer example repeated: chains of five real blocks, five chains to a row. */
export function bigPipeline(steps: number): PipelineDocument {
  const parsed = parseDocument(readFileSync(path.join(REPO, 'resources/examples/breast-cancer-classifier.fluxo'), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.message);
  const base = parsed.document;
  const doc: PipelineDocument = { ...base, metadata: { ...base.metadata, name: `Generated ${steps}-step pipeline` }, steps: [], connections: [], notes: [] };
  for (let chain = 0; doc.steps.length < steps; chain++) {
    const dx = (chain % 5) * 1500;
    const dy = Math.floor(chain / 5) * 260;
    const id = (s: string) => `${s}-${chain}`;
    for (const s of base.steps) {
      if (doc.steps.length >= steps) break;
      doc.steps.push({ ...s, id: id(s.id), position: { x: s.position.x + dx, y: s.position.y + dy } });
    }
    const kept = new Set(doc.steps.map((s) => s.id));
    for (const c of base.connections) {
      if (kept.has(id(c.from.step)) && kept.has(id(c.to.step))) doc.connections.push({ from: { ...c.from, step: id(c.from.step) }, to: { ...c.to, step: id(c.to.step) } });
    }
  }
  return doc;
}

/** The same graph for the plain page: default nodes and edges, the same positions and viewport options. */
function plainGraph(doc: PipelineDocument) {
  return {
    nodes: doc.steps.map((s) => ({ id: s.id, position: s.position, data: { label: s.label || s.type } })),
    edges: doc.connections.map((c, i) => ({ id: `e${i}`, source: c.from.step, target: c.to.step })),
    view: { fitView: true, minZoom: CANVAS_VIEW.minZoom, maxZoom: CANVAS_VIEW.maxZoom, onlyRenderVisibleElements: CANVAS_VIEW.onlyRenderVisibleElements },
  };
}

function serveFolder(folder: string): Promise<{ url: string; close(): void }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.resolve(folder, rel);
    if (!file.startsWith(folder + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() })));
}

function startFluxo(home: string): Promise<{ url: string; child: ChildProcess }> {
  const web = path.join(REPO, 'dist/electron/web.cjs');
  if (!existsSync(web) || !existsSync(path.join(REPO, 'dist/renderer/index.html'))) throw new Error('dist/ is missing: run "npm run build" (or "npm run bench:editor", which builds first)');
  const env: NodeJS.ProcessEnv = { ...process.env, FLUXO_HOME: home };
  delete env.FLUXO_PORT;
  const child = spawn(process.execPath, [web], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /Fluxo is running at (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(out);
      if (m) resolve({ url: m[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`the browser host exited with code ${code}`)));
  });
}

/** Milliseconds from navigation to an idle frame with the nodes painted. */
async function openTime(page: Page, url: string): Promise<number> {
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(
    () => {
      const n = document.querySelector('.react-flow__node');
      return !!n && getComputedStyle(n).visibility !== 'hidden';
    },
    undefined,
    { polling: 'raf', timeout: 120_000 },
  );
  return page.evaluate(() => new Promise<number>((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0))));
}

/** p95 of frame intervals (ms) while the node nearest the middle of the canvas is dragged. */
async function dragP95(page: Page): Promise<number> {
  const start = await page.evaluate(() => {
    const pane = document.querySelector('.react-flow')!.getBoundingClientRect();
    const mid = { x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 };
    let best: { x: number; y: number; d: number } | null = null;
    for (const n of document.querySelectorAll('.react-flow__node')) {
      const r = n.getBoundingClientRect();
      const c = { x: r.left + r.width / 2, y: r.top + Math.min(10, r.height / 2) };
      if (c.x < pane.left || c.x > pane.right || c.y < pane.top || c.y > pane.bottom) continue;
      const d = Math.hypot(c.x - mid.x, c.y - mid.y);
      if (!best || d < best.d) best = { ...c, d };
    }
    return best;
  });
  if (!start) throw new Error('no node is visible to drag');
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __recording: boolean };
    w.__frames = [];
    w.__recording = true;
    const loop = (t: number) => {
      w.__frames.push(t);
      if (w.__recording) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  for (let i = 1; i <= DRAG_MOVES; i++) await page.mouse.move(start.x + i * 2, start.y + i);
  await page.mouse.up();
  const frames = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __recording: boolean };
    w.__recording = false;
    return w.__frames;
  });
  const intervals = frames.slice(1).map((t, i) => t - frames[i]!);
  return percentile(intervals, 0.95);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
const median = (values: number[]) => percentile(values, 0.5);
const nodeCount = (page: Page) => page.evaluate(() => document.querySelectorAll('.react-flow__node').length);

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`editor bench: ${CHROMIUM} is missing (apt-get install chromium); nothing measured`);
    return;
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'fluxo-editor-bench-'));
  const home = path.join(work, 'home');
  const plainDir = path.join(work, 'plain');
  let fluxo: ChildProcess | null = null;
  let browser: Browser | null = null;
  let plainServer: { url: string; close(): void } | null = null;
  try {
    const built = spawnSync(process.execPath, [path.join(REPO, 'node_modules/vite/bin/vite.js'), 'build', '--config', path.join(REPO, 'bench/editor/vite.config.ts'), '--outDir', plainDir], { cwd: REPO, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('building the plain React Flow page failed');
    mkdirSync(path.join(home, 'pipelines'), { recursive: true });
    const files: Record<number, string> = {};
    for (const n of SIZES) {
      const doc = bigPipeline(n);
      files[n] = path.join(home, 'pipelines', `bench-${n}.fluxo`);
      writeFileSync(files[n]!, serializeDocument(doc));
      writeFileSync(path.join(plainDir, `graph-${n}.json`), JSON.stringify(plainGraph(doc)));
    }
    plainServer = await serveFolder(plainDir);
    const started = await startFluxo(home);
    fluxo = started.child;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const urls = (n: number) => ({
      fluxo: `${started.url}${started.url.includes('?') ? '&' : '?'}open=${encodeURIComponent(files[n]!)}`,
      plain: `${plainServer!.url}?graph=graph-${n}.json`,
    });

    console.log(`editor bench: headless Chromium, 1440x900, median of ${REPEATS} (after one warm-up each)`);
    console.log(`canvas view: minZoom ${CANVAS_VIEW.minZoom}, only visible elements rendered: ${CANVAS_VIEW.onlyRenderVisibleElements}\n`);
    const rows: string[][] = [['', 'Fluxo', 'plain React Flow', 'ratio', 'goal']];
    for (const n of SIZES) {
      const u = urls(n);
      const open = { fluxo: [] as number[], plain: [] as number[] };
      const drag = { fluxo: [] as number[], plain: [] as number[] };
      let rendered = { fluxo: 0, plain: 0 };
      await openTime(page, u.fluxo);
      await openTime(page, u.plain);
      for (let r = 0; r < REPEATS; r++) {
        for (const kind of ['plain', 'fluxo'] as const) {
          open[kind].push(await openTime(page, u[kind]));
          rendered = { ...rendered, [kind]: await nodeCount(page) };
          if (n === 1000) drag[kind].push(await dragP95(page));
        }
      }
      const o = { fluxo: median(open.fluxo), plain: median(open.plain) };
      rows.push([`open ${n.toLocaleString('en')} steps (ms)`, o.fluxo.toFixed(0), o.plain.toFixed(0), `${(o.fluxo / o.plain).toFixed(2)}x`, '≤ 1000']);
      if (n === 1000) {
        const d = { fluxo: median(drag.fluxo), plain: median(drag.plain) };
        rows.push([`drag p95 frame, ${n.toLocaleString('en')} steps (ms)`, d.fluxo.toFixed(1), d.plain.toFixed(1), `${(d.fluxo / d.plain).toFixed(2)}x`, '≤ 16.7']);
      }
      rows.push([`nodes in the page, ${n.toLocaleString('en')} steps`, String(rendered.fluxo), String(rendered.plain), '', 'visible only']);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   '));
  } finally {
    await browser?.close();
    fluxo?.kill('SIGTERM');
    plainServer?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
