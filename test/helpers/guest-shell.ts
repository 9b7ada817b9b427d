// The image's debug shell (fortros.debug=shell) as a test drives it: a command
// typed on the serial console, its output between markers the shell itself
// computes (so the echo of the typed line cannot match), and its exit code.

import type { Vm } from '../../tools/qemu/vm.ts';

export async function guest(vm: Vm, tag: string, cmd: string, timeoutMs = 60_000): Promise<{ out: string; rc: number }> {
  const mark = vm.serial.mark();
  vm.sendSerial(`echo "${tag}-BEGIN-$((6*7))"; ${cmd}; echo "${tag}-END-$((6*7)) rc=$?"\n`);
  const m = await vm.waitForSerial(new RegExp(`${tag}-BEGIN-42\\r?\\n([\\s\\S]*?)${tag}-END-42 rc=(\\d+)`), timeoutMs, mark);
  return { out: (m[1] ?? '').replace(/\r/g, ''), rc: Number(m[2]) };
}

/** A typed result's value, or the test fails on its message. */
export const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
