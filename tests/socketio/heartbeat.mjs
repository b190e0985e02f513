// Engine.IO heartbeat: the chat (started with CHAT_PING_INTERVAL_MS=300 and
// CHAT_PING_TIMEOUT_MS=1000) pings every session; one that never answers `3` is gone after
// about interval + timeout, one that answers lives on, and socket.io-client sessions on
// both transports stay connected across many pings.
//
// usage: node tests/socketio/heartbeat.mjs http://127.0.0.1:PORT

import { SioMember, expect, say, run } from './lib.mjs';

const base = process.argv[2];
if (!base) { console.error('usage: node heartbeat.mjs http://HOST:PORT'); process.exit(2); }
const url = (q) => `${base}/socket.io/?EIO=4&transport=polling${q}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function open() {
  const text = await (await fetch(url(''))).text();
  const o = JSON.parse(text.slice(1));
  expect(o.pingInterval === 300 && o.pingTimeout === 1000, `open packet ${text}`);
  return o.sid;
}

run('engine.io heartbeat', 60, async () => {
  // Silent: takes the ping, never answers.
  const silent = await open();
  const t0 = performance.now();
  const ping = await (await fetch(url(`&sid=${silent}`))).text();
  expect(ping === '2', `first poll: ${ping}`);
  say(`silent session pinged after ${(performance.now() - t0).toFixed(0)} ms`);
  await sleep(2000); // > the 1000 ms timeout, with room for a loaded machine
  const r = await fetch(url(`&sid=${silent}`));
  const body = await r.text();
  expect(r.status === 400 && JSON.parse(body).code === 1, `silent session after the timeout: ${r.status} ${body}`);
  say('silent session gone after interval + timeout (400, code 1)');

  // Answering: pong every ping for 2 s.
  const live = await open();
  let pings = 0;
  const end = performance.now() + 2000;
  while (performance.now() < end) {
    const got = await (await fetch(url(`&sid=${live}`))).text();
    if (got.split('\x1e').includes('2')) {
      pings += 1;
      const p = await fetch(url(`&sid=${live}`), { method: 'POST', body: '3' });
      expect(p.status === 200, `pong POST: ${p.status}`);
    }
  }
  expect(pings >= 4, `only ${pings} pings in 2 s`);
  say(`answering session alive after ${pings} pings`);

  // The official client answers by itself, on either transport.
  const members = [new SioMember(base, 'websocket'), new SioMember(base, 'polling')];
  for (const m of members) await m.connect();
  await sleep(2000);
  for (const m of members) {
    expect(m.socket.connected && !m.events.some(([n]) => n === 'disconnect'), `${m.mode}: ${JSON.stringify(m.events)}`);
    m.close();
  }
  say('socket.io-client websocket and polling sessions connected across ~6 pings');
});
