// Bad input to every Socket.IO endpoint of the chat: each gets the status and JSON error
// that Socket.IO servers use, the broken session (only it) ends, and the room keeps
// running (a socket.io-client session joins and chats at the end).
//
// usage: node tests/socketio/bad_input.mjs http://127.0.0.1:PORT

import WebSocket from 'ws';
import { SioMember, expect, until, say, run } from './lib.mjs';

const base = process.argv[2];
if (!base) { console.error('usage: node bad_input.mjs http://HOST:PORT'); process.exit(2); }
const url = (q) => `${base}/socket.io/?${q}`;
const MAX_PAYLOAD = 16384;

async function call(method, q, body) {
  const r = await fetch(url(q), { method, body });
  return { status: r.status, text: await r.text() };
}

async function expectError(what, r, status, code) {
  expect(r.status === status, `${what}: status ${r.status}, want ${status} (${r.text})`);
  if (code !== undefined) {
    const j = JSON.parse(r.text);
    expect(j.code === code && typeof j.message === 'string', `${what}: body ${r.text}, want code ${code}`);
  }
  say(`${what}: ${r.status} ${r.text}`);
}

// A fresh polling session: its sid, after the open packet.
async function open() {
  const r = await call('GET', 'EIO=4&transport=polling');
  expect(r.status === 200 && r.text[0] === '0', `open: ${r.status} ${r.text}`);
  const o = JSON.parse(r.text.slice(1));
  expect(o.sid && o.upgrades[0] === 'websocket' && o.maxPayload === MAX_PAYLOAD && o.pingInterval > 0 && o.pingTimeout > 0,
    `open packet ${r.text}`);
  return o.sid;
}

async function gone(what, sid) {
  await expectError(`${what}: the session is gone`, await call('GET', `EIO=4&transport=polling&sid=${sid}`), 400, 1);
}

function wsClose(q, send, sendOnOpen) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url(q).replace(/^http/, 'ws'));
    const got = [];
    ws.on('open', () => { if (sendOnOpen) ws.send(sendOnOpen); });
    ws.on('message', (d) => { got.push(d.toString()); if (got.length === 1 && send) ws.send(send); });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, text: body }));
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), got }));
    ws.on('error', () => {});
  });
}

run('socket.io bad input', 60, async () => {
  await expectError('EIO=3', await call('GET', 'EIO=3&transport=polling'), 400, 5);
  await expectError('no EIO', await call('GET', 'transport=polling'), 400, 5);
  await expectError('unknown transport', await call('GET', 'EIO=4&transport=carrier-pigeon'), 400, 0);
  await expectError('PUT', await call('PUT', 'EIO=4&transport=polling', 'x'), 400, 2);
  await expectError('POST without sid', await call('POST', 'EIO=4&transport=polling', '40'), 400, 2);
  await expectError('GET unknown sid', await call('GET', 'EIO=4&transport=polling&sid=nope'), 400, 1);
  await expectError('POST unknown sid', await call('POST', 'EIO=4&transport=polling&sid=nope', '40'), 400, 1);
  await expectError('websocket unknown sid', await wsClose('EIO=4&transport=websocket&sid=nope'), 400, 1);

  for (const [what, body] of [
    ['unknown Engine.IO packet type', '9'],
    ['empty packet', ''],
    ['ping with data', '2x'],
    ['binary Socket.IO packet', '45-["a",{"_placeholder":true,"num":0}]'],
    ['event before CONNECT', '42["join","x"]'],
    ['CONNECT with bad auth', '40[1]'],
    ['event that is not JSON', '40\x1e42["say",'],
    ['event without a name', '40\x1e42[]'],
    ['invalid UTF-8', Buffer.from([0x34, 0x32, 0xff])],
  ]) {
    const sid = await open();
    await expectError(`POST ${what}`, await call('POST', `EIO=4&transport=polling&sid=${sid}`, body), 400, 3);
    await gone(what, sid);
  }

  {
    const sid = await open();
    const r = await call('POST', `EIO=4&transport=polling&sid=${sid}`, '4' + 'x'.repeat(MAX_PAYLOAD));
    await expectError('POST over maxPayload', r, 413, 3);
    await gone('oversize body', sid);
  }
  {
    // Far over: the answer still arrives whole (the server reads the rest before closing).
    const sid = await open();
    const r = await call('POST', `EIO=4&transport=polling&sid=${sid}`, '4' + 'x'.repeat(512 * 1024));
    await expectError('POST of 512 KiB', r, 413, 3);
  }
  {
    const sid = await open();
    const first = call('GET', `EIO=4&transport=polling&sid=${sid}`);
    await new Promise((r) => setTimeout(r, 200));
    await expectError('second concurrent poll', await call('GET', `EIO=4&transport=polling&sid=${sid}`), 400, 3);
    const r = await first;
    expect(r.status === 200 && r.text === '1', `the first poll ends with a close packet: ${r.status} ${r.text}`);
    say('first poll answered with "1" (close)');
    await gone('overlapping poll', sid);
  }
  {
    const r = await wsClose('EIO=4&transport=websocket', 'not a packet');
    expect(r.code === 1008 && r.reason === 'parse error' && r.got[0][0] === '0', `websocket garbage: ${JSON.stringify(r)}`);
    say(`websocket transport, garbage packet: close ${r.code} "${r.reason}"`);
  }
  {
    // An upgrade probe that is not `2probe`: the probe closes, the polling session lives on.
    const sid = await open();
    const r = await wsClose(`EIO=4&transport=websocket&sid=${sid}`, null, 'hello');
    expect(r.code === 1008 && r.reason === 'bad upgrade', `bad probe: ${JSON.stringify(r)}`);
    say(`upgrade with a bad probe: close ${r.code} "${r.reason}"`);
    const post = await call('POST', `EIO=4&transport=polling&sid=${sid}`, '40');
    const poll = await call('GET', `EIO=4&transport=polling&sid=${sid}`);
    expect(post.status === 200 && poll.status === 200 && poll.text.startsWith('40{"sid"'), `session after a bad probe: ${post.status} ${poll.status} ${poll.text}`);
    say('the polling session still answers after the failed probe');
    await expectError('PUT on a live session', await call('PUT', `EIO=4&transport=polling&sid=${sid}`, 'x'), 400, 2);
  }
  // The room still works.
  const m = new SioMember(base, 'upgrade');
  await m.connect();
  const w = await m.join('survivor');
  m.send('still here');
  await until(() => m.all('message').some((x) => x.text === 'still here'), 'a message after all that');
  say(`room alive: ${w.count} member(s), message delivered`);
  m.close();
});
