// bench/channels' target for the PDU channel: the test PDU (net-snmp's agent
// serving APC rPDU2 tables) over SNMPv3 authPriv, one node on two outlets.

import type { StartBenchTarget } from '../bench-target.ts';
import { PduAgent } from './agent.ts';

const USER = { name: 'bench-fence', authKey: 'bench-auth-key-81', privKey: 'bench-priv-key-18' };

export const startPduBench: StartBenchTarget = async (delayMs) => {
  const pdu = await PduAgent.start({
    profile: 'apc2',
    outlets: [
      { name: 'node1-psuA', power: 'on' },
      { name: 'node1-psuB', power: 'on' },
    ],
    delayMs,
    user: USER,
  });
  return {
    channel: 'pdu',
    label: 'pdu (APC rPDU2, SNMPv3, 2 outlets)',
    delayMs,
    opts: { host: '127.0.0.1', port: pdu.port, user: USER.name, params: { outlet: 'node1-psuA,node1-psuB' }, secrets: { 'auth-file': USER.authKey, 'priv-file': USER.privKey } },
    close: () => pdu.close(),
  };
};
