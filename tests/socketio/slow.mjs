// Slow consumer: a plain /ws member joins and stops reading (its socket paused); a writer
// floods the room. The stalled member's outbox (CHAT_QUEUE_BYTES, bytes) overflows: the
// room drops it (the others see `left`) and, once it reads again, it finds its WebSocket
// closed with 1008 "slow consumer". The writer and a Socket.IO observer get every message
// all along, and the stalled member's queue never held more than the bound.
//
// usage: node tests/socketio/slow.mjs http://127.0.0.1:PORT   (chat started with a small
// CHAT_QUEUE_BYTES, e.g. 65536)

import { SioMember, PlainMember, expect, until, say, run } from './lib.mjs';

const base = process.argv[2];
if (!base) { console.error('usage: node slow.mjs http://HOST:PORT'); process.exit(2); }
const MAX = 50000;    // ~55 MB: a bound on the flood if the member is never dropped
const AFTER = 2000;   // messages sent after the drop, to show the others keep going
const TEXT = 'x'.repeat(990);

run('slow consumer', 90, async () => {
  const stalled = new PlainMember(base);
  await stalled.join('stalled');
  const writer = new PlainMember(base);
  await writer.join('writer');
  const observer = new SioMember(base, 'websocket');
  await observer.connect();
  await observer.join('observer');
  await until(() => stalled.all('joined').length >= 2, 'stalled member sees the others');
  stalled.ws._socket.pause();  // stops reading: the kernel buffers fill, then its outbox
  say('stalled member paused; flooding');

  let sent = 0;
  while (sent < MAX && !(stalled.resumed && sent >= stalled.resumed + AFTER)) {
    // At most 20 messages (~22 KB) ahead of the slowest reading member, well under the
    // queue bound: the reading members keep up, only the stalled one falls behind.
    const slowest = Math.min(writer.count('message'), observer.count('message'));
    if (sent - slowest < 20) { writer.send(`${sent} ${TEXT}`); sent += 1; }
    else await new Promise((r) => setImmediate(r));
    if (observer.all('left').some((l) => l.user.id === stalled.id) && !stalled.resumed) {
      stalled.resumed = sent;
      say(`room dropped the stalled member after ${sent} messages; it resumes reading`);
      stalled.ws._socket.resume();
    }
  }
  const TOTAL = sent;
  await until(() => writer.all('message').length === TOTAL, 'writer gets every message', 30000);
  await until(() => observer.all('message').length === TOTAL, `observer gets every message (has ${observer.all('message').length}, stalled has ${stalled.all('message').length})`, 30000);
  const inOrder = (m) => m.all('message').every((x, i) => x.text.startsWith(`${i} `));
  expect(inOrder(writer) && inOrder(observer), 'messages lost or reordered for a reading member');
  say(`writer and observer each got all ${TOTAL} messages in order`);

  expect(stalled.resumed, 'the stalled member was never dropped');
  await until(() => stalled.closed, 'the stalled member sees its close', 15000);
  expect(stalled.closed.code === 1008 && stalled.closed.reason === 'slow consumer',
    `stalled member closed with ${JSON.stringify(stalled.closed)}, want 1008 "slow consumer"`);
  const got = stalled.all('message').length;
  expect(got < stalled.resumed, `stalled member got ${got} of ${stalled.resumed} sent before the drop`);
  say(`stalled member: ${got} messages, then close ${stalled.closed.code} "${stalled.closed.reason}"`);
  const left = observer.all('left').find((l) => l.user.id === stalled.id);
  expect(left.count === 2, `left count ${left.count}`);
  writer.close();
  observer.close();
});
