// End-to-end browser test for the chat demo (examples/chat.rs + examples/chat/index.html).
//
// usage: node tests/browser/chat.mjs http://127.0.0.1:PORT
//
// The server must be running and freshly started (no other clients in the
// room). Three headless Chromium pages join: two as "alice", one with a
// hostile nickname; every page must see the same roster, every message with
// the right sender, the hostile nickname as literal text, and a prompt
// "left" update when one page closes. Exits 0 on success, 1 on failure,
// 2 on usage / environment errors. Protocol: tests/browser/chat_protocol.md.

import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-quic', '--disable-component-update',
  '--disable-sync',
];
const HOSTILE = '<img src=x onerror=alert(1)>';
const T_ACTION = 10_000;  // any single click / fill / navigation step
const T_WAIT = 8_000;     // waiting for the server's broadcast to show up
const T_LEAVE = 3_000;    // "promptly": a closed tab must vanish from the roster within this
const T_GLOBAL = 90_000;  // whole run

const t0 = performance.now();
const secs = () => ((performance.now() - t0) / 1000).toFixed(2).padStart(6);
const say = (msg) => console.log(`[${secs()}s] ${msg}`);

class Fail extends Error {}
const fail = (msg) => { throw new Fail(msg); };
const expect = (cond, msg) => { if (!cond) fail(msg); };

const base = process.argv[2];
if (!base || !/^https?:\/\/[^/]+\/?$/.test(base)) {
  console.error('usage: node tests/browser/chat.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
const pageUrl = base.replace(/\/?$/, '/');

// Hard stop so a hung server or browser can never wedge CI.
const watchdog = setTimeout(() => {
  console.error(`FAIL: global timeout (${T_GLOBAL / 1000}s) exceeded`);
  process.exit(1);
}, T_GLOBAL);

const problems = [];  // dialogs, uncaught page errors, console errors: any entry fails the run
const clients = [];   // { name, nick, page, id, open }

async function step(name, fn) {
  say(`- ${name}`);
  const s = performance.now();
  let r;
  try {
    r = await fn();
  } catch (e) {
    if (e instanceof Fail) throw new Fail(`step "${name}": ${e.message}`);
    throw new Fail(`step "${name}": unexpected error: ${(e && e.stack) || e}`);
  }
  say(`  ok (${Math.round(performance.now() - s)} ms)`);
  checkProblems();
  return r;
}

function checkProblems() {
  if (problems.length) {
    const shown = problems.slice(0, 10).join('\n    ');
    const more = problems.length > 10 ? `\n    ... and ${problems.length - 10} more` : '';
    fail(`browser reported problems:\n    ${shown}${more}`);
  }
}

// Everything the test looks at on one page, in plain data.
function snapshot() {
  const who = (el) => el && {
    id: el.getAttribute('data-id'),
    nick: el.querySelector('.nick')?.textContent,
  };
  return {
    state: document.getElementById('status')?.dataset.state,
    status: document.getElementById('status')?.textContent,
    me: who(document.querySelector('#me .who')),
    count: document.getElementById('count')?.textContent,
    users: [...document.querySelectorAll('#users li')].map((li) => ({
      id: li.getAttribute('data-id'),
      nick: li.querySelector('.nick')?.textContent,
      nickElementChildren: li.querySelector('.nick')?.childElementCount,
      me: li.classList.contains('me'),
      text: li.textContent,
    })),
    log: [...document.querySelectorAll('#log li')].map((li) => ({
      kind: li.getAttribute('data-kind'),
      mine: li.classList.contains('mine'),
      userId: li.getAttribute('data-user-id'),
      fromId: li.getAttribute('data-from-id'),
      nick: li.querySelector('.nick')?.textContent,
      text: li.querySelector('.text')?.textContent,
      line: li.textContent,
    })),
    imgs: document.querySelectorAll('img').length,
    extensions: document.documentElement.dataset.wsExtensions,
  };
}

const snap = (c) => c.page.evaluate(snapshot);

// Poll the page's state until pred(snapshot) is true; on timeout fail with the last state.
async function waitState(c, what, pred, timeout = T_WAIT) {
  const end = performance.now() + timeout;
  let last;
  for (;;) {
    last = await snap(c);
    if (pred(last)) return last;
    if (performance.now() > end) {
      fail(`${c.name}: timed out after ${Math.round(timeout)} ms waiting for ${what}\n  last page state: ` +
           JSON.stringify({ ...last, log: last.log.map((l) => l.line) }, null, 1).replace(/\n/g, '\n  '));
    }
    checkProblems();
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function openClient(ctx, name, nick) {
  const page = await ctx.newPage();
  const c = { name, nick, page, id: null, open: true, joined: false };
  page.on('dialog', async (d) => {
    problems.push(`${name}: JavaScript dialog (${d.type()}) opened: ${JSON.stringify(d.message())} -- HTML injection?`);
    await d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => problems.push(`${name}: uncaught page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${name}: console error: ${m.text()}`);
  });
  const resp = await page.goto(pageUrl, { waitUntil: 'load', timeout: T_ACTION });
  expect(resp && resp.status() === 200, `${name}: GET / returned ${resp && resp.status()}`);
  await waitState(c, 'the join form', (s) => s.state === 'idle' && s.count === '0');
  expect(await page.isVisible('#nick') && await page.isVisible('#join'), `${name}: #nick/#join not visible`);
  expect(!(await page.isVisible('#room')), `${name}: #room visible before joining`);
  clients.push(c);
  return c;
}

async function join(c) {
  await c.page.fill('#nick', c.nick);
  await c.page.click('#join');
  const s = await waitState(c, 'the welcome (#status[data-state=joined])',
    (s) => s.state === 'joined' && s.me && s.me.id);
  c.id = s.me.id;
  c.joined = true;
  checkProblems();
  expect(s.imgs === 0, `${c.name}: page contains ${s.imgs} <img> element(s) after joining -- HTML injection`);
  expect(s.me.nick === c.nick, `${c.name}: #me shows nick ${JSON.stringify(s.me.nick)}, expected ${JSON.stringify(c.nick)}`);
  expect(await c.page.isVisible('#room') && await c.page.isEnabled('#text') && await c.page.isEnabled('#send'),
    `${c.name}: chat room / #text / #send not usable after joining`);
  say(`  ${c.name} joined as ${JSON.stringify(c.nick)} with id ${c.id}`);
}

// Every open page shows exactly the roster `members` (by id and nick).
async function checkRoster(members) {
  const want = members.map((m) => m.id).sort().join(',');
  for (const c of clients.filter((x) => x.open && x.joined)) {
    const s = await waitState(c, `roster [${want}] and #count ${members.length}`,
      (s) => s.count === String(members.length) && s.users.length === members.length &&
             s.users.map((u) => u.id).sort().join(',') === want);
    for (const m of members) {
      const u = s.users.find((x) => x.id === m.id);
      expect(u.nick === m.nick, `${c.name}: user #${m.id} shown as ${JSON.stringify(u.nick)}, expected ${JSON.stringify(m.nick)}`);
      expect(u.nickElementChildren === 0, `${c.name}: nickname of #${m.id} contains HTML elements`);
      expect(u.me === (m.id === c.id), `${c.name}: user #${m.id} has wrong "me" marking`);
    }
    const texts = s.users.map((u) => u.text);
    expect(new Set(texts).size === texts.length, `${c.name}: two roster entries render identically: ${JSON.stringify(texts)}`);
    expect(s.imgs === 0, `${c.name}: page contains ${s.imgs} <img> element(s) -- HTML injection`);
  }
}

async function main() {
  say(`chat browser test against ${pageUrl}`);

  await step('GET / serves the page', async () => {
    let r;
    try {
      r = await fetch(pageUrl, { signal: AbortSignal.timeout(T_ACTION) });
    } catch (e) {
      fail(`cannot reach the chat server at ${pageUrl} (${(e.cause && e.cause.code) || e.message}); is it running?`);
    }
    const body = await r.text();
    expect(r.status === 200, `GET / returned HTTP ${r.status}`);
    expect(/^text\/html/i.test(r.headers.get('content-type') || ''), `GET / content-type is ${r.headers.get('content-type')}`);
    expect(body.includes('id="nick"') && body.includes('/ws'), 'GET / did not return the chat page');
  });

  const userDataDir = await mkdtemp(path.join(tmpdir(), 'wsmachine-chat-'));
  let ctx;
  try {
    ctx = await step('launch chromium', () => chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000,
    }));
    ctx.setDefaultTimeout(T_ACTION);
    ctx.setDefaultNavigationTimeout(T_ACTION);

    const [a, b, c] = await step('open three pages', () => Promise.all([
      openClient(ctx, 'page A', 'alice'),
      openClient(ctx, 'page B', 'alice'),
      openClient(ctx, 'page C', HOSTILE),
    ]));
    clients.sort((x, y) => x.name.localeCompare(y.name));

    await step('A joins as "alice" (room must start empty)', async () => {
      await join(a);
      const others = (await snap(a)).users.filter((u) => u.id !== a.id);
      expect(others.length === 0, `the room is not empty, already online: ${JSON.stringify(others.map((u) => ({ id: u.id, nick: u.nick })))}; ` +
        'run the test against a server with no other clients');
      await checkRoster([a]);
    });
    await step('B joins as "alice" too', async () => {
      await join(b);
      expect(b.id !== a.id, `both alices got id ${a.id}`);
      await checkRoster([a, b]);
    });
    await step(`C joins as ${JSON.stringify(HOSTILE)}`, async () => {
      await join(c);
      expect(new Set([a.id, b.id, c.id]).size === 3, `ids not distinct: ${a.id}, ${b.id}, ${c.id}`);
      await checkRoster([a, b, c]);
    });

    await step('every page shows count 3 and the same roster', () => checkRoster([a, b, c]));

    // CHAT_EXPECT_EXTENSIONS: what WebSocket.extensions must report (scripts/chat-browser
    // sets it to permessage-deflate when the chat is built with the deflate feature).
    const wantExtensions = process.env.CHAT_EXPECT_EXTENSIONS;
    if (wantExtensions !== undefined) {
      await step(`every page negotiated ${JSON.stringify(wantExtensions)}`, async () => {
        for (const p of [a, b, c]) {
          const got = (await snap(p)).extensions;
          if (!(got || '').startsWith(wantExtensions) || (wantExtensions === '' && got !== '')) {
            fail(`WebSocket.extensions is ${JSON.stringify(got)}`);
          }
        }
      });
    }

    await step('join lines were logged (with literal nicknames)', async () => {
      const expectJoins = [[a, [b, c]], [b, [c]]];
      for (const [viewer, joiners] of expectJoins) {
        for (const j of joiners) {
          await waitState(viewer, `a join line for ${j.name} (#${j.id})`,
            (s) => s.log.some((l) => l.kind === 'joined' && l.userId === j.id && l.nick === j.nick));
        }
      }
      const sc = await snap(c);
      expect(sc.log.some((l) => l.kind === 'system' && l.nick === HOSTILE), 'C: no welcome line with its own literal nick');
    });

    await step('hostile nickname is rendered literally everywhere', async () => {
      for (const v of clients) {
        const r = await v.page.evaluate((hostile) => {
          const nicks = [...document.querySelectorAll('#users .nick, #log .nick, #me .nick')]
            .filter((n) => n.textContent === hostile);
          return {
            literal: nicks.length,
            withChildren: nicks.filter((n) => n.childElementCount > 0).length,
            imgsInUsers: document.querySelectorAll('#users img').length,
            imgsInLog: document.querySelectorAll('#log img').length,
            imgs: document.querySelectorAll('img').length,
            escaped: document.getElementById('users').innerHTML.includes('&lt;img src=x onerror=alert(1)&gt;'),
          };
        }, HOSTILE);
        expect(r.literal >= 2, `${v.name}: hostile nick not found as literal text in roster and log (${r.literal} hits)`);
        expect(r.withChildren === 0, `${v.name}: hostile nick produced child elements`);
        expect(r.imgsInUsers === 0 && r.imgsInLog === 0 && r.imgs === 0,
          `${v.name}: <img> elements present (users ${r.imgsInUsers}, log ${r.imgsInLog}, page ${r.imgs})`);
        expect(r.escaped, `${v.name}: roster markup does not contain the escaped nick`);
      }
    });

    const sent = [];
    const sendAndSee = async (from, text) => {
      await from.page.fill('#text', text);
      await from.page.press('#text', 'Enter');
      sent.push({ from, text });
      for (const v of clients.filter((x) => x.open && x.joined)) {
        await waitState(v, `message ${JSON.stringify(text)} from ${from.name} (#${from.id})`,
          (s) => s.log.some((l) => l.kind === 'message' && l.fromId === from.id && l.text === text));
      }
      const s = await snap(from);
      expect((await from.page.inputValue('#text')) === '', `${from.name}: #text not cleared after sending`);
      return s;
    };

    await step('messages: each page sends one, every page sees all with the right nickname', async () => {
      await sendAndSee(a, 'hello from the first alice');
      await sendAndSee(c, '<b>bold?</b> & <img src=y onerror=alert(2)> "quoted" \'single\'');
      await sendAndSee(b, 'hi from the second alice \u2713 \u00fcn\u00efc\u00f6d\u00e9 \u{1F600}');
      for (const v of clients) {
        const msgs = (await snap(v)).log.filter((l) => l.kind === 'message');
        expect(msgs.length === sent.length, `${v.name}: expected ${sent.length} message lines, found ${msgs.length}`);
        sent.forEach((m, i) => {
          const got = msgs[i];
          expect(got.fromId === m.from.id && got.nick === m.from.nick && got.text === m.text,
            `${v.name}: message ${i + 1} is ${JSON.stringify(got)}, expected ${m.from.name} ` +
            `(#${m.from.id}, ${JSON.stringify(m.from.nick)}): ${JSON.stringify(m.text)}`);
          expect(got.mine === (m.from === v), `${v.name}: message ${i + 1} has wrong "mine" marking`);
        });
        const imgs = await v.page.evaluate(() => document.querySelectorAll('img').length);
        expect(imgs === 0, `${v.name}: <img> element appeared after messages -- HTML injection`);
      }
    });

    await step(`close page B; A and C update within ${T_LEAVE} ms`, async () => {
      const s = performance.now();
      await b.page.close();
      b.open = false;
      for (const v of [a, c]) {
        await waitState(v, `count 2 and a leave line for B (#${b.id})`,
          (st) => st.count === '2' && !st.users.some((u) => u.id === b.id) &&
                  st.log.some((l) => l.kind === 'left' && l.userId === b.id && l.nick === 'alice'),
          Math.max(0, T_LEAVE - (performance.now() - s)));
      }
      say(`  leave seen on both pages after ${Math.round(performance.now() - s)} ms`);
      await checkRoster([a, c]);
    });

    await step('room still works after the leave', () => sendAndSee(c, 'still here'));

    checkProblems();
  } finally {
    if (ctx) await ctx.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  }
}

try {
  await main();
  say(`PASS: chat browser test (${((performance.now() - t0) / 1000).toFixed(2)} s)`);
  clearTimeout(watchdog);
  process.exit(0);
} catch (e) {
  if (e instanceof Fail) {
    console.error(`[${secs()}s] FAIL: ${e.message}`);
  } else {
    console.error(`[${secs()}s] FAIL (unexpected error): ${e && e.stack || e}`);
  }
  process.exit(1);
}
