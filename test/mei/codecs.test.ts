// PTHI, MKHI and operational-state codecs against byte vectors from the public
// sources (amt-me.md sections 1a-1c and 8; rpc-go pkg/pthi, MeshCentral amt-mei.js,
// intel/lms MEIClient). Byte strings are written out by hand from those layouts.
import test from 'ava';
import { decodeAmtFeatures } from '../../agent/mei/amt-features.ts';
import { MEI_GUID, guidToUuidLe, uuidLeToGuid } from '../../agent/mei/guid.ts';
import { decodeFwCapsRule, decodeFwVersion, decodeMkhiReply, encodeGetRule, encodeMkhiRequest } from '../../agent/mei/mkhi.ts';
import { OPSTATE_GET_REQUEST, decodeOperationalState, decodeSetOperationalStateReply, encodeSetOperationalState } from '../../agent/mei/opstate.ts';
import { PTHI_CMD, decodePthiReply, encodePthiRequest, pthiRequestCode, pthiResponseCode } from '../../agent/mei/pthi.ts';
import {
  decodeCertHashEntry,
  decodeCodeVersions,
  decodeDnsSuffix,
  decodeHashHandles,
  decodeLanSettings,
  decodeLocalSystemAccount,
  decodeRemoteAccess,
  decodeUuid,
} from '../../agent/mei/pthi-replies.ts';
import { inspect } from 'node:util';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('GUIDs: uuid_le bytes of amt-me.md 1a, both ways', (t) => {
  const vectors: [string, string][] = [
    [MEI_GUID.PTHI, '28 00 F8 12 B7 B4 2D 4B AC A8 46 E0 FF 65 81 4C'],
    [MEI_GUID.LME, 'DB A4 33 67 76 04 7B 4E B3 AF BC FC 29 BE E7 A7'],
    [MEI_GUID.WATCHDOG, '6F 9A B7 05 28 46 7F 4D 89 9D A9 15 14 CB 32 AB'],
  ];
  for (const [text, bytes] of vectors) {
    t.is(toHex(guidToUuidLe(text) as Uint8Array), toHex(hex(bytes)));
    t.is(uuidLeToGuid(hex(bytes)), text);
  }
  t.is(guidToUuidLe(MEI_GUID.PTHI.toUpperCase())?.[0], 0x28);
  t.is(guidToUuidLe('not-a-guid'), null);
  t.is(uuidLeToGuid(new Uint8Array(15)), null);
});

test('PTHI GetControlMode request is 01 01 00 00 6B 00 00 04 00 00 00 00 (amt-me.md 8)', (t) => {
  t.is(toHex(encodePthiRequest(pthiRequestCode(PTHI_CMD.GET_CONTROL_MODE))), '010100006b00000400000000');
  t.is(pthiResponseCode(pthiRequestCode(0x6b)), 0x0480006b);
  t.is(pthiResponseCode(0x01000001), 0x01800001);
  // Unprovision carries u32 mode 0: length 4.
  t.is(toHex(encodePthiRequest(pthiRequestCode(PTHI_CMD.UNPROVISION), new Uint8Array(4))), '010100001000000404000000' + '00000000');
});

test('PTHI reply: command, length (status included) and status are all checked', (t) => {
  const code = pthiRequestCode(0x6b);
  // header(16) + u32 control mode 1; length = 4 (status) + 4.
  const good = hex('0101 0000 6b008004 08000000 00000000 01000000');
  const r = decodePthiReply(good, code);
  t.true(r.ok);
  if (r.ok) t.is(toHex(r.value.body), '01000000');
  const wrongCmd = hex('0101 0000 6c008004 08000000 00000000 01000000');
  const e1 = decodePthiReply(wrongCmd, code);
  t.false(e1.ok);
  if (!e1.ok) t.is(e1.error.code, 'PROTOCOL');
  const wrongLen = hex('0101 0000 6b008004 04000000 00000000 01000000');
  const e2 = decodePthiReply(wrongLen, code);
  if (!e2.ok) t.regex(e2.error.message, /header length 4/);
  else t.fail('wrong length accepted');
  const notResponse = hex('0101 0000 6b000004 08000000 00000000 01000000');
  t.false(decodePthiReply(notResponse, code).ok);
  const status3 = hex('0101 0000 10008004 08000000 03000000 00000000');
  const e3 = decodePthiReply(status3, pthiRequestCode(0x10));
  t.deepEqual(e3.ok ? null : { code: e3.error.code, status: e3.error.status }, { code: 'STATUS', status: 3 });
  if (!e3.ok) t.regex(e3.error.message, /INVALID_AMT_MODE/);
  t.false(decodePthiReply(hex('0101 0000 6b008004'), code).ok);
  t.false(decodePthiReply(hex('0201 0000 6b008004 08000000 00000000 01000000'), code).ok, 'header version 2');
});

test('GetCodeVersions: BIOS string, entries by description', (t) => {
  const bios = Buffer.alloc(65);
  bios.write('BIOS-1');
  const entry = (d: string, v: string): Buffer => {
    const b = Buffer.alloc(44);
    b.writeUInt16LE(d.length, 0);
    b.write(d, 2);
    b.writeUInt16LE(v.length, 22);
    b.write(v, 24);
    return b;
  };
  const count = Buffer.alloc(4);
  count.writeUInt32LE(3);
  const body = Buffer.concat([bios, count, entry('AMT', '16.1.25'), entry('Build Number', '2124'), entry('Sku', '16392')]);
  const r = decodeCodeVersions(body);
  t.deepEqual(r.ok ? r.value : null, {
    biosVersion: 'BIOS-1',
    versions: [
      { description: 'AMT', version: '16.1.25' },
      { description: 'Build Number', version: '2124' },
      { description: 'Sku', version: '16392' },
    ],
  });
  t.false(decodeCodeVersions(body.subarray(0, body.length - 1)).ok, 'truncated last entry');
  count.writeUInt32LE(51);
  t.false(decodeCodeVersions(Buffer.concat([bios, count])).ok, 'more than 50 entries');
  const long = Buffer.concat([bios, Buffer.from([1, 0, 0, 0]), entry('AMT', '1')]);
  long.writeUInt16LE(21, 69);
  t.false(decodeCodeVersions(long).ok, 'string length over 20');
});

test('SKU features: 16392 is "AMT Pro Corporate"; version-gated legacy bits', (t) => {
  t.deepEqual(decodeAmtFeatures('16.1.25', '16392'), { ok: true, features: 'AMT Pro Corporate' });
  t.deepEqual(decodeAmtFeatures('11.8.50', '16400'), { ok: true, features: 'Intel Standard Manageability Corporate' });
  t.deepEqual(decodeAmtFeatures('5.0.1', String(0x02 | 0x04 | 0x08 | 0x8000)), { ok: true, features: 'iQST ASF AMT Pro L3 Mgt Upgrade' });
  t.deepEqual(decodeAmtFeatures('9.0.1', String(0x02 | 0x04 | 0x08 | 0x8000)), { ok: true, features: 'AMT Pro' });
  t.false(decodeAmtFeatures('16', '16392').ok);
  t.false(decodeAmtFeatures('16.1', '0x10').ok);
  t.false(decodeAmtFeatures('4.2.0', '8').ok);
});

test('GetUUID: first three groups little-endian; the placeholders are refused', (t) => {
  const r = decodeUuid(hex('78563412 bc9a f0de 0123 456789abcdef'));
  t.deepEqual(r, { ok: true, value: '12345678-9abc-def0-0123-456789abcdef' });
  for (const s of ['00'.repeat(16), 'ff'.repeat(16), '00020003 0004 0005 0006 000700080009']) {
    const e = decodeUuid(hex(s));
    t.false(e.ok, s);
    if (!e.ok) t.regex(e.error.message, /placeholder/);
  }
  t.false(decodeUuid(new Uint8Array(15)).ok);
});

test('DNS suffix, remote access, LAN settings, hash handles', (t) => {
  t.deepEqual(decodeDnsSuffix(hex('0b00 6578616d706c652e636f6d')), { ok: true, value: 'example.com' });
  t.false(decodeDnsSuffix(hex('0c00 6578616d706c652e636f6d')).ok, 'length past the end');
  const ras = decodeRemoteAccess(hex('02000000 01000000 03000000 0300 6d7073'));
  t.deepEqual(ras.ok ? ras.value : null, { networkStatus: 2, remoteStatus: 1, remoteTrigger: 3, mpsHostname: 'mps' });
  // enabled, 192.168.1.37 (0xC0A80125 little-endian), dhcp, mode 2, link up, MAC.
  const lan = decodeLanSettings(hex('01000000 2501a8c0 01000000 02 01 a4bb6d0102ab'));
  t.deepEqual(lan.ok ? lan.value : null, { enabled: true, ipv4: '192.168.1.37', dhcpEnabled: true, dhcpMode: 2, linkUp: true, mac: 'a4:bb:6d:01:02:ab' });
  t.deepEqual(decodeHashHandles(hex('02000000 01000000 07000000')), { ok: true, value: [1, 7] });
  t.false(decodeHashHandles(hex('22000000')).ok, '34 handles is over the 33 maximum');
  t.false(decodeHashHandles(hex('02000000 01000000')).ok, 'truncated');
});

function certBody(alg: number, hash: Uint8Array, name: string): Uint8Array {
  const b = Buffer.alloc(8 + 64 + 1 + 2 + name.length);
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(0, 4);
  Buffer.from(hash).copy(b, 8);
  b.writeUInt8(alg, 72);
  b.writeUInt16LE(name.length, 73);
  b.write(name, 75);
  return b;
}

test('cert hash algorithm 3: reported as SHA384 (48 bytes) and flagged; a SHA512 reading is still visible', (t) => {
  const h48 = Uint8Array.from({ length: 48 }, (_, i) => i + 1);
  const r = decodeCertHashEntry(certBody(3, h48, 'Root A'));
  if (!r.ok) return t.fail(r.error.message);
  t.is(r.value.algorithmName, 'SHA384');
  t.is(r.value.hash.length, 96);
  t.is(r.value.hash, toHex(h48));
  t.deepEqual(r.value.ambiguous, { chosen: 'SHA384', alternative: 'SHA512', bytes48to63NonZero: false });
  t.true(r.value.isDefault);
  t.false(r.value.isActive);
  // What MeshCentral would have read as SHA512: 64 bytes, the tail non-zero.
  const h64 = Uint8Array.from({ length: 64 }, (_, i) => 0x80 | i);
  const r2 = decodeCertHashEntry(certBody(3, h64, 'Root B'));
  t.true(r2.ok && r2.value.ambiguous?.bytes48to63NonZero === true);
  const r5 = decodeCertHashEntry(certBody(5, h64, 'Root C'));
  t.true(r5.ok && r5.value.algorithmName === 'SHA512' && r5.value.hash.length === 128 && r5.value.ambiguous === undefined);
  const r2b = decodeCertHashEntry(certBody(2, h64, 'Root D'));
  t.true(r2b.ok && r2b.value.hash.length === 64);
  const r9 = decodeCertHashEntry(certBody(9, h64, 'X'));
  t.true(r9.ok && r9.value.algorithmName === 'unknown');
  t.false(decodeCertHashEntry(certBody(2, h64, 'Name').subarray(0, 78)).ok, 'name cut short');
});

test('local system account: user reported, password only through revealPassword()', (t) => {
  const body = Buffer.alloc(68);
  body.write('$$OsAdmin', 0);
  body.write('Secret-LSA-Pass-123', 33);
  const r = decodeLocalSystemAccount(body);
  if (!r.ok) return t.fail(r.error.message);
  t.is(r.value.user, '$$OsAdmin');
  t.is(r.value.revealPassword(), 'Secret-LSA-Pass-123');
  t.false(JSON.stringify(r.value).includes('Secret-LSA'));
  t.false(inspect(r.value, { depth: 5, showHidden: true }).includes('Secret-LSA'));
  t.false(`${Object.values(r.value).join(',')}`.includes('Secret-LSA'));
  t.false(decodeLocalSystemAccount(body.subarray(0, 60)).ok);
  t.false(decodeLocalSystemAccount(Buffer.alloc(68)).ok, 'no user name');
});

test('MKHI: header, GET_FW_VERSION blocks, GET_RULE capability bits', (t) => {
  t.is(toHex(encodeMkhiRequest(0xff, 0x02)), 'ff020000');
  t.is(toHex(encodeGetRule(32)), '0302000020000000');
  // Reply: ff 82 00 00, block {minor 1, major 16, platform 0, build 2124, hotfix 25}.
  const fw = decodeMkhiReply(hex('ff820000 0100 10 00 4c08 1900'), 0xff, 0x02);
  if (!fw.ok) return t.fail(fw.error.message);
  const v = decodeFwVersion(fw.value);
  t.is(v.ok ? v.value.code.text : '', '16.1.25.2124');
  t.false(decodeFwVersion(hex('0100 10 00 4c08 19')).ok, '7 bytes');
  t.false(decodeFwVersion(new Uint8Array(32)).ok, '4 blocks');
  const notResp = decodeMkhiReply(hex('ff020000'), 0xff, 0x02);
  t.true(!notResp.ok && notResp.error.code === 'PROTOCOL');
  const failed = decodeMkhiReply(hex('03820089'), 0x03, 0x02);
  t.true(!failed.ok && failed.error.code === 'STATUS' && failed.error.status === 0x89 && /NOT_SUPPORTED/.test(failed.error.message));
  // Rule 0 answered with AMT (b2) + KVM (b18) + bit 16.
  const bits = (1 << 2) | (1 << 18) | (1 << 16);
  const body = Buffer.alloc(9);
  body.writeUInt32LE(0, 0);
  body.writeUInt8(4, 4);
  body.writeUInt32LE(bits, 5);
  const rule = decodeFwCapsRule(body, 0);
  t.deepEqual(rule.ok ? [rule.value.amt, rule.value.kvm, rule.value.hap, rule.value.names] : null, [true, true, true, ['AMT', 'HAP', 'KVM']]);
  t.false(decodeFwCapsRule(body, 32).ok, 'rule id not echoed');
  body.writeUInt8(2, 4);
  t.false(decodeFwCapsRule(body, 0).ok, 'data length 2');
});

test('operational state: flags need the new-interface bit; set reply status', (t) => {
  t.is(toHex(OPSTATE_GET_REQUEST), '05025110');
  t.is(toHex(encodeSetOperationalState(true)), '0503531001');
  const s = decodeOperationalState(Uint8Array.of(0x83));
  t.deepEqual(s.ok ? s.value : null, { raw: 0x83, transitionAllowed: true, newInterface: true, amtEnabled: true, tlsOnLocalPorts: false });
  const tls = decodeOperationalState(Uint8Array.of(0xc1));
  t.true(tls.ok && tls.value.amtEnabled === false && tls.value.tlsOnLocalPorts === true);
  const old = decodeOperationalState(Uint8Array.of(0x43));
  t.true(old.ok && old.value.amtEnabled === null && old.value.tlsOnLocalPorts === null);
  t.false(decodeOperationalState(Uint8Array.of(0x83, 0)).ok);
  t.false(decodeOperationalState(new Uint8Array(0)).ok);
  t.true(decodeSetOperationalStateReply(hex('05035310 00000000')).ok);
  const bad = decodeSetOperationalStateReply(hex('05035310 24000000'));
  t.true(!bad.ok && bad.error.code === 'STATUS' && bad.error.status === 36);
  t.true(!decodeSetOperationalStateReply(hex('04035310 00000000')).ok);
});
