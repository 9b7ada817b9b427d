// HFSTS decoding, fw_status/fw_ver parsing and the fwupd-style verdicts, against
// register values published by real tools on real machines (each cited), plus a
// fast-check fuzz part: arbitrary text and numbers never throw and decode into
// fields within their bit widths.

import test from 'ava';
import fc from 'fast-check';
import { decodeHfsts, detectFamily, familyFromMajor, type Csme11Hfsts6, type Csme18Hfsts5, type FwVersion, type MeFamily } from '../../agent/probe/hfsts.ts';
import { parseDottedVersion, parseFwStatus, parseFwVer } from '../../agent/probe/hfsts-text.ts';
import { meVerdicts } from '../../agent/probe/me-verdicts.ts';

const ver = (text: string): FwVersion => {
  const v = parseDottedVersion(text);
  if (!v) throw new Error(`bad test version ${text}`);
  return v;
};

// fwupd plugins/intel-me-smbios/tests/smbios-subtype-0x18.builder.xml: the SMBIOS
// type 219 MEI1 record of a CSME 16.1.32.2473 "Consumer SKU" machine (fwupd's
// self-test asserts that version and family CSME16 for it).
const FWUPD_CSME16 = [0x90000245, 0x39850106, 0x00000020, 0x00004000, 0x00000000, 0x40200002];

test('fwupd CSME16 test data: HFSTS1..6 decode to the documented fields', (t) => {
  const d = decodeHfsts(FWUPD_CSME16, 'CSME16');
  t.is(d.layout, 'csme11');
  t.false(d.layoutAssumed);
  const h1 = d.hfsts1!;
  t.deepEqual(h1.workingState, { code: 5, name: 'Normal' });
  t.deepEqual(h1.operationState, { code: 1, name: 'M0 with UMA' });
  t.deepEqual(h1.operationMode, { code: 0, name: 'Normal' });
  t.deepEqual(h1.errorCode, { code: 0, name: 'No error' });
  t.true(h1.initComplete);
  t.false(h1.bit4);
  t.is(h1.bit4Meaning, 'SPI protection mode (1 = flash descriptor not protected)');
  t.false(h1.fptBad);
  t.false(h1.updateInProgress);
  t.is(h1.resetCount, 0);
  t.is(h1.currentPowerSource, 1);
  t.false(h1.d3SupportValid);
  t.true(h1.d0i3SupportValid);
  const h2 = d.hfsts2!;
  t.is(h2.phase, 3);
  t.is(h2.phaseName, null);
  t.is(h2.pmEvent, 9);
  t.is(h2.statusData, 0x85);
  t.is(h2.iccProgStatus, 3);
  t.true(h2.cpuReplacedValid);
  t.false(h2.invokeMebx);
  t.deepEqual(d.hfsts3!.fwSku, { code: 2, name: 'Consumer' });
  t.like(d.hfsts4, { layout: 'csme11', fwstsValid: true, bootGuardSelfTest: false });
  t.like(d.hfsts5, { layout: 'csme11', acmActive: false, valid: false });
  const h6 = d.hfsts6 as Csme11Hfsts6;
  t.is(h6.layout, 'csme11');
  t.true(h6.cpuDebugDisable);
  t.false(h6.forceBootGuardAcm);
  t.is(h6.bpmSvn, 8);
  t.is(h6.keyManifestId, 0);
  t.false(h6.bootGuardDisable);
  t.true(h6.fpfSocLock);
  t.false(h6.verifiedBoot);
  t.is(d.summary, 'Normal, M0 with UMA');
});

test('fwupd CSME16 test data: verdicts follow fwupd (no MFG check on CSME16, BootGuard on)', (t) => {
  const v = meVerdicts(decodeHfsts(FWUPD_CSME16, 'CSME16'), ver('16.1.32.2473'));
  t.is(v.manufacturingMode.result, 'unknown');
  t.regex(v.manufacturingMode.reason, /CSME16-17/);
  t.is(v.overrideStrap.result, 'pass');
  t.deepEqual(v.disabled, { disabled: false, reasons: [] });
  t.is(v.vulnerableVersion.result, 'not-listed');
  t.is(v.bootGuard.result, 'pass');
});

// zamaudio/intelmetool issue #12 (Dell E6410, 8086:3b64, ME 6): "ME Status : 0x245",
// "ME Status 2 : 0x69000000" printed as Normal / M0 with UMA / Normal / No Error /
// Progress Phase: Host Communication, Firmware Init Complete: YES.
test('intelmetool #12 (ME 6, 5 Series): a healthy legacy ME', (t) => {
  const d = decodeHfsts([0x245, 0x69000000], familyFromMajor(6));
  t.is(d.family, 'ME');
  t.is(d.layout, 'legacy');
  t.is(d.hfsts1!.workingState.name, 'Normal');
  t.is(d.hfsts1!.operationState.name, 'M0 with UMA');
  t.is(d.hfsts1!.operationMode.name, 'Normal');
  t.is(d.hfsts1!.errorCode.name, 'No error');
  t.true(d.hfsts1!.initComplete);
  t.false(d.hfsts1!.fptBad);
  t.is(d.hfsts1!.resetCount, null);
  t.is(d.hfsts2!.phase, 6);
  t.is(d.hfsts2!.phaseName, 'Host Communication');
  t.is(d.hfsts2!.pmEvent, 9);
  t.is(d.hfsts3, null);
  t.is(d.hfsts4, null);
  const v = meVerdicts(d, null);
  t.is(v.manufacturingMode.result, 'pass');
  t.is(v.disabled.disabled, false);
  t.is(v.vulnerableVersion.result, 'unknown');
});

// corna/me_cleaner issue #170 (Gigabyte H87, 8086:8c3a, ME 9 after me_cleaner):
// "ME Status : 0x1e020191", "ME Status 2 : 0x124d2142"; intelmetool printed
// Manufacturing Mode YES, Initializing, Bring up, Debug, No Error, BUP Phase,
// Progress Phase State 0x4d, Firmware Init Complete NO.
test('me_cleaner #170 (ME 9 after me_cleaner): debug mode, manufacturing mode set', (t) => {
  const d = decodeHfsts([0x1e020191, 0x124d2142], 'ME');
  const h1 = d.hfsts1!;
  t.is(h1.workingState.name, 'Initializing');
  t.true(h1.bit4);
  t.is(h1.bit4Meaning, 'manufacturing mode');
  t.is(h1.operationState.name, 'Bring-up');
  t.is(h1.operationMode.name, 'Debug');
  t.is(h1.errorCode.code, 0);
  t.false(h1.initComplete);
  t.is(d.hfsts2!.phaseName, 'BUP');
  t.is(d.hfsts2!.statusData, 0x4d);
  t.is(d.hfsts2!.pmEvent, 2);
  const v = meVerdicts(d, null);
  t.is(v.manufacturingMode.result, 'fail');
  t.is(v.overrideStrap.result, 'pass');
  t.false(v.disabled.disabled);
  t.is(d.summary, 'Initializing, Bring-up, mode Debug');
});

// zamaudio/intelmetool issue #30 (ThinkPad X220, 8086:1c3a, me_cleaner):
// "ME Status : 0x20191", "ME Status 2 : 0x100a0000", BUP Phase, Clean Moff->Mx wake.
test('intelmetool #30 (ME 7 after me_cleaner): BUP phase, PM event 0', (t) => {
  const d = decodeHfsts([0x20191, 0x100a0000], 'ME');
  t.is(d.hfsts1!.operationMode.name, 'Debug');
  t.is(d.hfsts2!.phaseName, 'BUP');
  t.is(d.hfsts2!.pmEvent, 0);
  t.is(d.hfsts2!.statusData, 0x0a);
});

// system76/firmware-open docs/intel-me.md: coreboot logs Current Working State 4,
// Operation State 1, Operation Mode 3, Error Code 2 when the ME is disabled over
// HECI, and 5/1/0/0 when enabled. The registers below are those fields composed.
const S76_DISABLED = 4 | (1 << 6) | (2 << 12) | (3 << 16);
const S76_ENABLED = 5 | (1 << 6);

test('System76 HECI-disabled tuple: disabled, with all three reasons', (t) => {
  t.is(S76_DISABLED, 0x00032044);
  const d = decodeHfsts([S76_DISABLED], 'CSME11');
  t.is(d.hfsts1!.workingState.name, 'Disabled');
  t.is(d.hfsts1!.operationMode.name, 'Soft Temporary Disable');
  t.is(d.hfsts1!.errorCode.name, 'Disabled');
  const v = meVerdicts(d, ver('15.0.22.1622'));
  t.deepEqual(v.disabled, {
    disabled: true,
    reasons: ['working state Disabled (HAP or soft-disable)', 'operation mode Soft Temporary Disable', 'error code Disabled'],
  });
  // fwupd Mei.Version: a disabled ME is "not-enabled" before any version check (15.0.22 would be vulnerable).
  t.is(v.vulnerableVersion.result, 'not-enabled');
});

test('System76 enabled tuple: not disabled', (t) => {
  const v = meVerdicts(decodeHfsts([S76_ENABLED], 'CSME11'), null);
  t.deepEqual(v.disabled, { disabled: false, reasons: [] });
  t.is(v.manufacturingMode.result, 'pass');
});

test('error code 2 alone, or soft temporary disable alone, counts as disabled', (t) => {
  t.deepEqual(meVerdicts(decodeHfsts([0x5 | (2 << 12)], 'CSME11'), null).disabled.reasons, ['error code Disabled']);
  t.deepEqual(meVerdicts(decodeHfsts([0x5 | (3 << 16)], 'CSME11'), null).disabled.reasons, ['operation mode Soft Temporary Disable']);
});

test('override strap: operation mode 4 fails, per fwupd Mei.OverrideStrap', (t) => {
  const d = decodeHfsts([0x00040245], 'CSME11');
  t.is(d.hfsts1!.operationMode.name, 'Security Override via Jumper');
  t.is(meVerdicts(d, null).overrideStrap.result, 'fail');
  t.is(meVerdicts(decodeHfsts([0x00050245], 'CSME11'), null).overrideStrap.result, 'pass');
});

test('bit 4 by generation: MFG mode on CSME11, SPI protection on CSME18, no verdict for unknown family', (t) => {
  const reg = 0x90000255;
  t.is(meVerdicts(decodeHfsts([reg], 'CSME11'), null).manufacturingMode.result, 'fail');
  t.is(meVerdicts(decodeHfsts([reg], 'CSME16'), null).manufacturingMode.result, 'unknown');
  const csme18 = meVerdicts(decodeHfsts([reg], 'CSME18'), null).manufacturingMode;
  t.is(csme18.result, 'fail');
  t.regex(csme18.reason, /SPI protection/);
  const unknown = decodeHfsts([reg], null);
  t.true(unknown.layoutAssumed);
  t.is(unknown.hfsts1!.bit4Meaning, 'unknown for this family');
  t.is(meVerdicts(unknown, null).manufacturingMode.result, 'unknown');
});

test('CSME18: enhanced debug mode fails manufacturing mode; HFSTS5 valid means BootGuard on', (t) => {
  const d = decodeHfsts([0x00070245, 0, 0x30, 0x4, 0x00000103, 0x40200000], 'CSME18');
  t.deepEqual(d.hfsts1!.operationMode, { code: 7, name: 'Enhanced Debug' });
  t.is(meVerdicts(d, null).manufacturingMode.result, 'fail');
  const h5 = d.hfsts5 as Csme18Hfsts5;
  t.true(h5.acmActive);
  t.true(h5.valid);
  t.true(h5.acmDone);
  t.deepEqual(h5.errorStatus, { code: 0, name: 'Success' });
  t.like(d.hfsts4, { layout: 'csme18', flashLogExists: true });
  t.like(d.hfsts6, { layout: 'csme18', manufacturingLock: true, fpfSocConfigLock: true });
  t.deepEqual(d.hfsts3!.fwSku, { code: 3, name: 'Corporate' });
  t.is(meVerdicts(d, null).bootGuard.result, 'pass');
  t.is(meVerdicts(decodeHfsts([0x245, 0, 0, 0, 0x1, 0], 'CSME18'), null).bootGuard.result, 'fail');
});

test('CSME11 BootGuard disable bit in HFSTS6 fails the BootGuard check', (t) => {
  const d = decodeHfsts([0x245, 0, 0x30, 0, 0, 1 << 28], 'CSME11');
  t.is(meVerdicts(d, null).bootGuard.result, 'fail');
});

test('vulnerable-version table (fwupd, Intel download 28632)', (t) => {
  const healthy = (fam: MeFamily) => decodeHfsts([0x245], fam);
  const check = (v: string) => meVerdicts(healthy(familyFromMajor(ver(v).major)!), ver(v)).vulnerableVersion.result;
  t.is(check('11.8.91.3300'), 'vulnerable');
  t.is(check('11.8.92.4222'), 'patched');
  t.is(check('12.0.89.1000'), 'vulnerable');
  t.is(check('13.50.20.1000'), 'patched');
  t.is(check('15.40.19.1000'), 'vulnerable');
  t.is(check('3.1.91.1000'), 'vulnerable');
  t.is(check('4.0.45.1000'), 'patched');
  t.is(check('16.1.30.2307'), 'not-listed');
  t.is(check('18.0.5.2028'), 'not-listed');
});

test('families from the fw_ver major (fwupd table) and SPS markers (hw-me-regs.h)', (t) => {
  t.is(familyFromMajor(0), null);
  t.is(familyFromMajor(3), 'TXE');
  t.is(familyFromMajor(5), 'TXE');
  t.is(familyFromMajor(6), 'ME');
  t.is(familyFromMajor(10), 'ME');
  t.is(familyFromMajor(11), 'CSME11');
  t.is(familyFromMajor(15), 'CSME11');
  t.is(familyFromMajor(16), 'CSME16');
  t.is(familyFromMajor(17), 'CSME16');
  t.is(familyFromMajor(18), 'CSME18');
  t.is(familyFromMajor(21), 'CSME18');
  t.is(detectFamily(ver('4.1.4.339'), [0x000f0245]), 'SPS');
  t.is(detectFamily(ver('4.1.4.339'), [0x00000245, 0, 0x60]), 'SPS');
  t.is(detectFamily(ver('4.1.4.339'), [0x00000245, 0, 0x30]), 'TXE');
  t.is(detectFamily(null, [0x245]), null);
  const sps = decodeHfsts([0x000f0245, 0, 0x60], 'SPS');
  t.is(sps.hfsts1!.operationMode.name, 'SPS');
  t.deepEqual(sps.hfsts3!.fwSku, { code: 6, name: 'SPS' });
  t.is(meVerdicts(sps, null).overrideStrap.result, 'unknown');
});

test('parseFwStatus: the kernel format, one %08X per line', (t) => {
  t.deepEqual(parseFwStatus('90000245\n39850106\n00000020\n00004000\n00000000\n40200002\n'), { ok: true, value: FWUPD_CSME16 });
  t.deepEqual(parseFwStatus('90000245'), { ok: true, value: [0x90000245] });
  t.deepEqual(parseFwStatus('1e020191\n124d2142\n'), { ok: true, value: [0x1e020191, 0x124d2142] });
});

test('parseFwStatus rejects garbage, too many lines and empty text as MALFORMED', (t) => {
  for (const bad of ['', '\n', 'ZZZZZZZZ', '90000245\n\n39850106', '0x90000245', '123456789', '1\n2\n3\n4\n5\n6\n7']) {
    const r = parseFwStatus(bad);
    t.false(r.ok, JSON.stringify(bad));
    if (!r.ok) t.is(r.error.code, 'MALFORMED');
  }
});

test('parseFwVer: real fw_ver values (fwupd issues #7159 and #4927) and three blocks', (t) => {
  // fwupd issue #7159: `cat /sys/class/mei/mei0/fw_ver` -> 0:18.0.5.2028 (Lenovo 83AC).
  const r = parseFwVer('0:18.0.5.2028\n');
  t.deepEqual(r, { ok: true, value: [{ platform: 0, major: 18, minor: 0, hotfix: 5, build: 2028, text: '18.0.5.2028' }] });
  // fwupd issue #4927: 0:16.0.15.1810 on a 12th-generation Intel machine.
  const three = parseFwVer('0:16.0.15.1810\n0:16.0.15.1810\n0:16.0.15.1810\n');
  t.true(three.ok);
  if (three.ok) {
    t.is(three.value.length, 3);
    t.is(familyFromMajor(three.value[0]!.major), 'CSME16');
  }
});

test('parseFwVer rejects malformed text, out-of-range fields and a fourth block', (t) => {
  for (const bad of ['', '16.1.30.2307', '0:16.1.30', '0:256.1.1.1', '256:16.1.1.1', '0:16.70000.1.1', 'x:16.1.1.1', '0:16.1.30.2307\n0:1.2.3.4\n0:1.2.3.4\n0:1.2.3.4', '0:-1.1.1.1']) {
    const r = parseFwVer(bad);
    t.false(r.ok, JSON.stringify(bad));
    if (!r.ok) t.is(r.error.code, 'MALFORMED');
  }
});

test('parseDottedVersion: SMBIOS "not present" all-ones version is null', (t) => {
  t.is(parseDottedVersion('255.255.255.65535'), null);
  t.is(parseDottedVersion('16.1.32.2473')?.text, '16.1.32.2473');
  t.is(parseDottedVersion('16.1.32'), null);
});

// --- fuzz ---------------------------------------------------------------------------

const FAMILIES: (MeFamily | null)[] = ['TXE', 'ME', 'CSME11', 'CSME16', 'CSME18', 'SPS', null];
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const inRange = (n: number | null, max: number): boolean => n === null || (Number.isInteger(n) && n >= 0 && n <= max);

test('fuzz: parseFwStatus never throws; ok results are 1..6 u32 values', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('0', 'f', 'F', '9', '\n', ' ', 'x', ':') })), (s) => {
      const r = parseFwStatus(s);
      if (!r.ok) return r.error.code === 'MALFORMED';
      return r.value.length >= 1 && r.value.length <= 6 && r.value.every((v) => inRange(v, 0xffffffff));
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('fuzz: parseFwStatus reads back what the kernel would print', (t) => {
  fc.assert(
    fc.property(fc.array(u32, { minLength: 1, maxLength: 6 }), (regs) => {
      const text = regs.map((v) => v.toString(16).toUpperCase().padStart(8, '0')).join('\n') + '\n';
      const r = parseFwStatus(text);
      return r.ok && r.value.length === regs.length && r.value.every((v, i) => v === regs[i]);
    }),
  );
  t.pass();
});

test('fuzz: parseFwVer never throws; ok results stay within the MKHI field widths', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('0', '1', '9', '.', ':', '\n', '6') })), (s) => {
      const r = parseFwVer(s);
      if (!r.ok) return r.error.code === 'MALFORMED';
      return (
        r.value.length >= 1 &&
        r.value.length <= 3 &&
        r.value.every((v) => inRange(v.platform, 0xff) && inRange(v.major, 0xff) && inRange(v.minor, 0xffff) && inRange(v.hotfix, 0xffff) && inRange(v.build, 0xffff) && v.text === `${v.major}.${v.minor}.${v.hotfix}.${v.build}`)
      );
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('fuzz: decodeHfsts and meVerdicts never throw; every field within its bit width', (t) => {
  const anyNumber = fc.oneof(u32, fc.double(), fc.integer());
  fc.assert(
    fc.property(fc.array(fc.oneof(u32, u32, anyNumber), { maxLength: 9 }), fc.constantFrom(...FAMILIES), fc.option(fc.record({ major: fc.integer({ min: 0, max: 255 }), minor: fc.integer({ min: 0, max: 0xffff }), hotfix: fc.integer({ min: 0, max: 0xffff }) })), (regs, family, v) => {
      const d = decodeHfsts(regs, family);
      const version: FwVersion | null = v ? { platform: 0, ...v, build: 1, text: `${v.major}.${v.minor}.${v.hotfix}.1` } : null;
      const verdicts = meVerdicts(d, version);
      const h1 = d.hfsts1;
      if ((regs.length > 0) !== (h1 !== null)) return false;
      if (h1) {
        if (!inRange(h1.raw, 0xffffffff) || !inRange(h1.workingState.code, 15) || !inRange(h1.operationState.code, 7)) return false;
        if (!inRange(h1.errorCode.code, 15) || !inRange(h1.operationMode.code, 15) || !inRange(h1.resetCount, 15) || !inRange(h1.currentPowerSource, 3)) return false;
        if (typeof h1.workingState.name !== 'string' || d.summary === null) return false;
      }
      const h2 = d.hfsts2;
      if (h2 && (!inRange(h2.phase, 15) || !inRange(h2.pmEvent, 15) || !inRange(h2.statusData, 255) || !inRange(h2.iccProgStatus, 3))) return false;
      if (d.hfsts3?.fwSku && !inRange(d.hfsts3.fwSku.code, 7)) return false;
      if (d.hfsts5?.layout === 'csme11' && (!inRange(d.hfsts5.errorStatusCode, 31) || !inRange(d.hfsts5.timeoutCount, 127))) return false;
      if (d.hfsts5?.layout === 'csme18' && (!inRange(d.hfsts5.errorStatus.code, 31) || !inRange(d.hfsts5.bootGuardProfile, 7))) return false;
      if (d.hfsts6?.layout === 'csme11' && ![d.hfsts6.acmSvn, d.hfsts6.kmSvn, d.hfsts6.bpmSvn, d.hfsts6.keyManifestId, d.hfsts6.errorEnforcePolicy.code].every((n) => inRange(n, 15))) return false;
      const checks = [verdicts.manufacturingMode, verdicts.overrideStrap, verdicts.bootGuard];
      if (!checks.every((c) => ['pass', 'fail', 'unknown'].includes(c.result) && c.reason.length > 0)) return false;
      if (verdicts.disabled.disabled === null ? h1 !== null : verdicts.disabled.disabled !== verdicts.disabled.reasons.length > 0) return false;
      return ['vulnerable', 'patched', 'not-listed', 'not-enabled', 'unknown'].includes(verdicts.vulnerableVersion.result);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
