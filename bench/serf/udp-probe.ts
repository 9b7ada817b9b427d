// Runs inside the bench namespace (`ip netns exec NS node --import tsx ...`):
// sends COUNT datagrams over loopback to itself, paced so no socket buffer
// overflows, and prints {"sent":N,"received":M} so the bench can check the
// drop rule drops what it claims before trusting any timing under it.

import dgram from 'node:dgram';

const COUNT = Number(process.argv[2] ?? 2000);
const BATCH = 100;
const ADDR = '127.0.0.250';

const rx = dgram.createSocket('udp4');
const tx = dgram.createSocket('udp4');
let received = 0;
rx.on('message', () => {
  received++;
});
rx.bind(0, ADDR, () => {
  const { port } = rx.address();
  void (async () => {
    for (let i = 0; i < COUNT; i++) {
      tx.send(Buffer.of(i & 0xff), port, ADDR);
      if (i % BATCH === BATCH - 1) await new Promise((r) => setTimeout(r, 5));
    }
    // Loopback delivery is immediate; the pause only lets the last batch's callbacks run.
    await new Promise((r) => setTimeout(r, 300));
    process.stdout.write(`${JSON.stringify({ sent: COUNT, received })}\n`);
    rx.close();
    tx.close();
  })();
});
