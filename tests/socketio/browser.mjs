// The chat's Socket.IO page (/sio, examples/chat/sio.html) in headless Chromium, with the
// socket.io browser client that the chat serves from the npm package's dist file: a
// websocket-only, a polling-only and a polling-then-upgrade page join through the form,
// see the member count, chat, and leave (a closed tab).
//
// usage: node tests/socketio/browser.mjs http://127.0.0.1:PORT   (env CHROMIUM)

import { chromium } from 'playwright-core';
import { expect, say, run } from './lib.mjs';

const base = process.argv[2];
if (!base) { console.error('usage: node browser.mjs http://HOST:PORT'); process.exit(2); }
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];
const PAGES = {
  websocket: '/sio?transports=websocket',
  polling: '/sio?transports=polling&upgrade=false',
  upgrade: '/sio',
};

run('socket.io in chromium', 150, async () => {
  const script = await fetch(`${base}/socket.io/socket.io.min.js`);
  const body = await script.text();
  expect(script.status === 200 && body.includes('Socket.IO v4.8.1'), `client script: ${script.status} ${body.slice(0, 80)}`);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  const problems = [];
  try {
    const pages = [];
    for (const [mode, path] of Object.entries(PAGES)) {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.on('pageerror', (e) => problems.push(`${mode}: ${e}`));
      page.on('console', (m) => { if (m.type() === 'error') problems.push(`${mode}: console: ${m.text()}`); });
      await page.goto(base + path, { timeout: 10000 });
      const state = () => page.evaluate(() => ({ ...window.chat, state: document.getElementById('status').dataset.state }));
      const p = { mode, page, context, state };
      await waitFor(p, (s) => s.state === 'connected', 'connected');
      await page.fill('#nick', `${mode}-tab`);
      await page.click('#join button');
      const s = await waitFor(p, (s) => s.state === 'joined', 'joined');
      p.id = s.id;
      pages.push(p);
      expect(s.count === pages.length, `${mode}: count ${s.count}, want ${pages.length}`);
      for (const q of pages) await waitFor(q, (s) => s.count === pages.length, `count ${pages.length}`);
      const shown = await page.textContent('#count');
      expect(shown === String(pages.length), `${mode}: page shows count ${shown}`);
      say(`${mode} tab joined as ${p.id}, everyone sees ${pages.length} members`);
    }
    const [ws, poll, up] = pages;
    await waitFor(up, (s) => s.transport === 'websocket', 'the upgrade to websocket');
    expect((await ws.state()).transport === 'websocket', 'websocket tab transport');
    expect((await poll.state()).transport === 'polling', 'polling tab transport');
    say('transports: websocket, polling, polling->websocket');

    for (const p of pages) {
      await p.page.fill('#text', `hi from ${p.mode} <i>`);
      await p.page.click('#say button');
    }
    for (const p of pages) {
      const s = await waitFor(p, (s) => s.events.filter(([n]) => n === 'message').length === 3, 'three messages');
      const got = s.events.filter(([n]) => n === 'message').map(([, d]) => `${d.from.id}:${d.text}`).sort();
      const want = pages.map((q) => `${q.id}:hi from ${q.mode} <i>`).sort();
      expect(JSON.stringify(got) === JSON.stringify(want), `${p.mode}: ${JSON.stringify(got)}`);
      expect(await p.page.locator('#log i').count() === 0, `${p.mode}: message text rendered as HTML`);
    }
    say('every tab got every message (as text)');

    await ws.context.close();
    for (const p of [poll, up]) {
      const s = await waitFor(p, (s) => s.events.some(([n, d]) => n === 'left' && d.user.id === ws.id), 'left');
      expect(s.count === 2, `${p.mode}: count after leave ${s.count}`);
    }
    say('closed tab left; the others count 2');
    expect(problems.length === 0, `browser problems: ${problems.join('; ')}`);
  } finally {
    await browser.close();
  }
});

async function waitFor(p, pred, what) {
  let last;
  const end = performance.now() + 8000;
  for (;;) {
    last = await p.state();
    if (pred(last)) return last;
    if (performance.now() > end) throw new Error(`${p.mode}: timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
