// An idle plain WebSocket member (it joins, then sends nothing) for SECONDS seconds,
// typically through a proxy with a short read timeout. `open`: it must still be connected
// at the end (keepalive pings crossed the proxy) and still chat; `cut`: the proxy must
// have closed it, and no sooner than MIN_CUT seconds.
//
// usage: node tests/socketio/idle.mjs http://PROXY:PORT open|cut SECONDS [MIN_CUT]

import { PlainMember, expect, until, say, run } from './lib.mjs';

const [base, want, seconds, minCut] = process.argv.slice(2);
if (!base || !['open', 'cut'].includes(want) || !(seconds > 0)) {
  console.error('usage: node idle.mjs http://HOST:PORT open|cut SECONDS [MIN_CUT]');
  process.exit(2);
}

run(`idle websocket (${want})`, Number(seconds) + 30, async () => {
  const m = new PlainMember(base);
  let pings = 0;
  m.ws.on('ping', () => { pings += 1; });
  await m.join('idle');
  const t0 = performance.now();
  let cutAt = null;
  m.ws.on('close', () => { cutAt = (performance.now() - t0) / 1000; });
  await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
  if (want === 'open') {
    expect(cutAt === null, `closed after ${cutAt?.toFixed(1)} s (${JSON.stringify(m.closed)}), ${pings} pings seen`);
    m.send('still here');
    await until(() => m.all('message').some((x) => x.text === 'still here'), 'a message after the idle time');
    say(`connected after ${seconds} s idle, ${pings} keepalive pings received, chat works`);
    m.close();
  } else {
    expect(cutAt !== null, `still connected after ${seconds} s (${pings} pings seen)`);
    expect(cutAt >= Number(minCut || 0), `cut after ${cutAt.toFixed(1)} s, before ${minCut} s`);
    say(`cut by the proxy after ${cutAt.toFixed(1)} s idle (close ${m.closed.code}), ${pings} pings seen`);
  }
});
