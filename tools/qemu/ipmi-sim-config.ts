// ipmi_sim's configuration (ipmi_lan(5)) and emulator commands (ipmi_sim_cmd(5))
// for an external BMC that owns one VM: an RMCP+ LAN channel, one admin user,
// the "VM" serial codec QEMU's ipmi-bmc-extern connects to, and `startcmd`, the
// QEMU command ipmi_sim runs on power-on. Power-off asks QEMU over that codec
// (QEMU then shuts the guest down and exits), and ipmi_sim sends SIGTERM after
// `poweroff_wait` seconds if it has not; reset is passed to QEMU as a reset.
// Behaviour read from openipmi lanserv (bmc_chassis.c, serial_ipmi.c, bmc.c).

export interface IpmiSimConfig {
  /** The BMC's name; ipmi_sim keys its persistent state by it. */
  name: string;
  /** Where the RMCP+ channel listens; ipmi_sim 2.0.33 takes one address per LAN channel ("LAN address already set"). */
  lan: { address: string; port: number };
  /** TCP port on 127.0.0.1 for QEMU's ipmi-bmc-extern chardev. */
  vmPort: number;
  user: string;
  password: string;
  /** 32 hex digits: the system GUID RMCP+ session setup uses. */
  guid: string;
  /** The QEMU command line, run through /bin/sh. */
  startcmd: string;
  poweroffWaitS: number;
  killWaitS: number;
}

/**
 * A string in lan.conf syntax: quoted runs are concatenated and a run cannot
 * hold its own quote character, so a double quote travels inside single quotes.
 */
export function confString(s: string): string {
  if (/[\n\r\0]/.test(s)) throw new Error('lan.conf strings cannot hold line breaks or NUL');
  return s
    .split('"')
    .map((run) => `"${run}"`)
    .join(`'"'`);
}

/** POSIX shell quoting, for building `startcmd` from an argv. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

export function lanConf(c: IpmiSimConfig): string {
  if (!/^[0-9a-f]{32}$/i.test(c.guid)) throw new Error('guid must be 32 hex digits');
  // ipmi_sim reads at most 16 bytes of user name and 20 of password (config.c get_user).
  if (Buffer.byteLength(c.user) > 16 || Buffer.byteLength(c.password) > 20) throw new Error('IPMI user name > 16 or password > 20 bytes');
  return [
    `name ${confString(c.name)}`,
    'set_working_mc 0x20',
    '  startlan 1',
    `    addr ${c.lan.address} ${c.lan.port}`,
    '    priv_limit admin',
    // IPMI 1.5 sessions only with MD5; RMCP+ (what ipmitool lanplus and the agent use) negotiates its own cipher suite.
    '    allowed_auths_callback md5',
    '    allowed_auths_user md5',
    '    allowed_auths_operator md5',
    '    allowed_auths_admin md5',
    `    guid ${c.guid}`,
    '  endlan',
    `  serial 15 127.0.0.1 ${c.vmPort} codec VM`,
    `  startcmd ${confString(c.startcmd)}`,
    '  startnow true',
    `  poweroff_wait ${c.poweroffWaitS}`,
    `  kill_wait ${c.killWaitS}`,
    // User 1 is the anonymous user; leaving it out disables anonymous access.
    `  user 2 true ${confString(c.user)} ${confString(c.password)} admin 4`,
    '',
  ].join('\n');
}

/**
 * The BMC as ipmi_sim's emulator sees it: one MC at 0x20 (the BMC), with a SEL.
 * mc_add fields: IPMB address, device id, SDRs, revision, firmware major and
 * minor, device support bits (0x9f: chassis, bridge, SEL, SDR, sensor), IANA
 * manufacturer (10876, Supermicro, matching the profile's identity), product.
 */
export const BMC_EMU = ['mc_setbmc 0x20', 'mc_add 0x20 0x20 no-device-sdrs 0x01 1 0x20 0x9f 0x002a7c 0x0001', 'sel_enable 0x20 1000 0x0a', 'mc_enable 0x20', ''].join('\n');
