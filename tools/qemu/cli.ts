// The harness from a shell:
//
//   npx tsx tools/qemu/cli.ts boot PROFILE [--kernel K [--initrd I] [--append A] | --uefi EFI] [--timeout S] [--keep]
//   npx tsx tools/qemu/cli.ts fleet PROFILE N [same options]
//   npx tsx tools/qemu/cli.ts profiles
//
// Streams the serial console(s) to stdout (a fleet's lines prefixed with the
// VM's name) and exits when every guest has powered off: 0, or 1 on timeout or
// failure, 2 on a usage error. Without --kernel/--uefi it boots the image
// (`make image`). Ctrl-C stops everything it started.

import { parseArgs } from 'node:util';
import { imageKernel, type BootRequest } from './boot.ts';
import { startFleet } from './fleet.ts';
import { loadProfile, profileNames } from './profile.ts';
import type { Vm } from './vm.ts';
import { TIMED_OUT, within } from './within.ts';

const USAGE = `usage:
  cli.ts boot PROFILE [--kernel K [--initrd I] [--append A] | --uefi EFI] [--timeout S] [--keep]
  cli.ts fleet PROFILE N [--kernel K [--initrd I] [--append A] | --uefi EFI] [--timeout S] [--keep]
  cli.ts profiles
profiles: ${profileNames().join(', ')}
`;

class Usage extends Error {}

function bootFrom(v: { kernel?: string; initrd?: string; append?: string; uefi?: string }): BootRequest {
  if (v.uefi !== undefined) {
    if (v.kernel !== undefined || v.initrd !== undefined || v.append !== undefined) throw new Usage('--uefi boots a UKI: it takes no --kernel, --initrd or --append');
    return { kind: 'uefi', efi: v.uefi };
  }
  if (v.kernel === undefined) {
    if (v.initrd !== undefined) throw new Usage('--initrd needs --kernel');
    return imageKernel(v.append ?? '');
  }
  const req: BootRequest = { kind: 'kernel', kernel: v.kernel, append: v.append ?? '' };
  if (v.initrd !== undefined) req.initrd = v.initrd;
  return req;
}

/** Copies a VM's console to stdout, prefixing whole lines when several VMs share it. */
function stream(vm: Vm, prefix: string | null): void {
  let partial = '';
  vm.serial.subscribe((chunk) => {
    if (prefix === null) {
      process.stdout.write(Buffer.from(chunk, 'latin1'));
      return;
    }
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) process.stdout.write(`[${prefix}] ${Buffer.from(l, 'latin1').toString('utf8')}\n`);
  });
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kernel: { type: 'string' },
      initrd: { type: 'string' },
      append: { type: 'string' },
      uefi: { type: 'string' },
      timeout: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command, profileName, countText] = positionals;
  if (command === 'profiles' && positionals.length === 1) {
    for (const name of profileNames()) process.stdout.write(`${name}\t${loadProfile(name).description}\n`);
    return 0;
  }
  if ((command !== 'boot' && command !== 'fleet') || profileName === undefined) throw new Usage('expected boot, fleet or profiles');
  const count = command === 'fleet' ? Number(countText) : 1;
  if (command === 'fleet' && (positionals.length !== 3 || !Number.isInteger(count) || count < 1)) throw new Usage('fleet needs PROFILE and a count N >= 1');
  if (command === 'boot' && positionals.length !== 2) throw new Usage('boot takes one PROFILE');
  const timeoutS = values.timeout === undefined ? 600 : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new Usage('--timeout needs seconds > 0');

  const profile = loadProfile(profileName);
  const fleet = await startFleet(profile, count, { boot: bootFrom(values), ...(values.keep ? { keep: true } : {}) });
  try {
    if (fleet.network) process.stderr.write(`qemu: network namespace ${fleet.network.ns} (ip netns exec ${fleet.network.ns} ...)\n`);
    else if (profile.nics.length > 0) process.stderr.write(`qemu: NICs not networked: ${fleet.networkSkipped}\n`);
    for (const vm of fleet.vms) {
      process.stderr.write(`qemu: ${vm.name} in ${vm.dir}\n`);
      if (vm.bmc) process.stderr.write(`qemu: ${vm.name} BMC: RMCP+ ${vm.bmc.host}:${vm.bmc.port}, user ${vm.bmc.user}, password in ${vm.bmc.passwordFile}\n`);
      stream(vm, count > 1 ? vm.name : null);
    }
    const all = Promise.all(fleet.vms.map((vm) => vm.waitForExit(timeoutS * 1000)));
    const r = await within(all, timeoutS * 1000);
    if (r === TIMED_OUT) {
      process.stderr.write(`qemu: still running after ${timeoutS} s; stopping\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    process.stderr.write(`qemu: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await fleet.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const usage = err instanceof Usage || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    process.stderr.write(`qemu: ${(err as Error).message}\n${usage ? USAGE : ''}`);
    process.exitCode = usage ? 2 : 1;
  },
);
