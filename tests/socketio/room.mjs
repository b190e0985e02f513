// The chat room with the official socket.io-client in Node: a websocket-only, a
// polling-only and a polling-then-upgrade session (plus one plain /ws member, the same
// room) join, see each other arrive with the right member count, chat, and leave.
//
// usage: node tests/socketio/room.mjs http://127.0.0.1:PORT   (a freshly started chat;
// the base may be a proxy in front of it)

import { SioMember, PlainMember, expect, until, say, run } from './lib.mjs';

const base = process.argv[2];
if (!base) { console.error('usage: node room.mjs http://HOST:PORT'); process.exit(2); }

run('socket.io room', 60, async () => {
  const members = [];
  let expected = 0;
  for (const mode of ['websocket', 'polling', 'upgrade']) {
    const m = new SioMember(base, mode);
    await m.connect();
    const welcome = await m.join(`${mode}-user`);
    expected += 1;
    expect(welcome.count === expected && welcome.users.length === expected,
      `${mode}: welcome count ${welcome.count}, users ${JSON.stringify(welcome.users)}, want ${expected}`);
    expect(welcome.users.some((u) => u.id === m.id && u.nick === m.nick), `${mode}: not in its own roster`);
    for (const earlier of members) {
      await until(() => earlier.all('joined').some((j) => j.user.id === m.id), `${earlier.mode} sees ${mode} join`);
      const joined = earlier.all('joined').find((j) => j.user.id === m.id);
      expect(joined.count === expected && joined.user.nick === m.nick, `${earlier.mode}: bad joined ${JSON.stringify(joined)}`);
    }
    members.push(m);
    say(`${mode} joined as id ${m.id} (transport ${m.transport}), count ${welcome.count}`);
  }
  const upgrading = members[2];
  await until(() => upgrading.upgraded && upgrading.transport === 'websocket', 'the polling session upgrading to websocket');
  expect(upgrading.firstTransport === 'polling', `upgrade session started on ${upgrading.firstTransport}`);
  expect(members[0].firstTransport === 'websocket' && members[0].transport === 'websocket', `websocket-only on ${members[0].transport}`);
  expect(members[1].transport === 'polling' && !members[1].upgraded, `polling-only on ${members[1].transport}`);
  say('transports: websocket, polling, polling->websocket (upgraded)');

  const plain = new PlainMember(base);
  await plain.join('plain-user');
  expected += 1;
  expect(plain.last('welcome').users.length === expected, 'plain member sees the Socket.IO members');
  for (const m of members) await until(() => m.all('joined').some((j) => j.user.id === plain.id && j.count === expected), `${m.mode} sees the plain member`);

  // Every member says something unicode-bearing; everyone gets every line, sender included.
  const everyone = [...members, plain];
  for (const m of everyone) m.send(`hello from ${m.nick ?? 'plain-user'} ✓ <b>`);
  for (const m of everyone) {
    await until(() => m.all('message').length >= everyone.length, `${m.mode ?? 'plain'} gets all messages`);
    const got = m.all('message').map((x) => `${x.from.id}:${x.text}`).sort();
    const want = everyone.map((s) => `${s.id}:hello from ${s.nick ?? 'plain-user'} ✓ <b>`).sort();
    expect(JSON.stringify(got) === JSON.stringify(want), `${m.mode ?? 'plain'} got ${JSON.stringify(got)}`);
  }
  // Same order everywhere: the room broadcasts under one lock.
  const order = (m) => m.all('message').map((x) => x.from.id).join(',');
  for (const m of everyone) expect(order(m) === order(members[0]), 'broadcast order differs between members');
  say(`${everyone.length} members each got ${everyone.length} messages in one order`);

  // Bad event arguments get an error ack, and the session stays usable.
  const refused = await members[1].socket.timeout(5000).emitWithAck('say', '');
  expect(refused.ok === false && /1 to 1000/.test(refused.error), `empty say not refused: ${JSON.stringify(refused)}`);
  const unknown = await members[0].socket.timeout(5000).emitWithAck('dance', 1);
  expect(unknown.ok === false && unknown.error === 'unknown event', `unknown event: ${JSON.stringify(unknown)}`);

  // Leave one by one; the rest see `left` with the count going down.
  const leaving = [plain, ...members];
  while (leaving.length > 1) {
    const gone = leaving.shift();
    gone.close();
    expected -= 1;
    for (const m of leaving) {
      await until(() => m.all('left').some((l) => l.user.id === gone.id), `${m.mode} sees ${gone.mode ?? 'plain'} leave`);
      const left = m.all('left').find((l) => l.user.id === gone.id);
      expect(left.count === expected && left.users.length === expected && !left.users.some((u) => u.id === gone.id),
        `${m.mode}: bad left ${JSON.stringify(left)}`);
    }
    say(`${gone.mode ?? 'plain'} left, count ${expected}`);
  }
  leaving[0].close();
});
