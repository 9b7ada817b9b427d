// `agent vault list`: the records a node holds (its own and its peers'), never
// a secret. `agent vault open`: the one place a sealed credential is shown, to
// an operator holding the org's recovery key, on stdout only.

import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Parsed } from './args.ts';
import type { Command } from './command.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import type { Io } from './io.ts';
import { CONFIG_CAP, ConfigError, parseConfig } from '../daemon/config.ts';
import { readPublicKey } from '../identity/keys.ts';
import { loadRecoveryKey, NODE_FILES, ORG_FILES } from '../identity/store.ts';
import { openRecord } from '../vault/open.ts';
import { MAX_RECORD } from '../vault/record.ts';
import { recordFileName, scanVault, VAULT_DIR, type ScannedRecord } from '../vault/store.ts';

const USAGE = [
  'agent vault list (--state DIR [--org DIR | --identity DIR] | --config FILE) [--json]',
  'agent vault open --org DIR --node NAME [--id ID] (--state DIR | --record FILE)',
].join('\n       ');

function str(args: Parsed, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** state.dir and node.identityDir of an agent config, as `agent run --config` reads them. */
function fromConfig(file: string): { state: string; identity: string | null } {
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UsageError(`agent vault list: --config ${file} is not a regular file`);
    if (st.size > CONFIG_CAP) throw new UsageError(`agent vault list: --config ${file} is larger than ${CONFIG_CAP} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`agent vault list: --config ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  try {
    const c = parseConfig(text, file);
    if (c.state.dir === null) throw new UsageError(`agent vault list: ${file} has no state.dir, so this node keeps no vault`);
    return { state: c.state.dir, identity: c.node.identityDir };
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`agent vault list: ${e.message}`);
    throw e;
  }
}

function orgKey(args: Parsed, io: Io, configIdentity: string | null): KeyObject | null | 'failed' {
  const org = str(args, 'org');
  const identity = str(args, 'identity') ?? configIdentity ?? undefined;
  if (org !== undefined && identity !== undefined) throw new UsageError('agent vault list: give --org or --identity, not both');
  const path = org !== undefined ? join(org, ORG_FILES.publicKey) : identity !== undefined ? join(identity, NODE_FILES.orgPublicKey) : null;
  if (path === null) return null;
  const k = readPublicKey(path);
  if (!k.ok) {
    io.err(`agent vault: ${k.error.message}\n`);
    return 'failed';
  }
  return k.value;
}

function renderTable(rows: readonly ScannedRecord[]): string {
  const head = ['NODE', 'ID', 'KIND', 'SEQ', 'CREATED', 'VERIFIED', 'META'];
  const body = rows.map((r) => {
    const e = r.entry;
    const verified = r.verified === null ? 'unchecked' : r.verified ? 'yes' : `NO (${r.error?.code ?? '?'})`;
    if (!e) return ['?', r.file, '?', '?', '?', verified, r.error?.message ?? ''];
    const meta = Object.entries(e.meta)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return [e.node, e.id, e.kind, String(e.seq), new Date(e.created * 1000).toISOString(), verified, meta];
  });
  const table = [head, ...body];
  const widths = head.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  return table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

function list(args: Parsed, io: Io): ExitCode {
  const config = str(args, 'config');
  if ((config === undefined) === (str(args, 'state') === undefined)) throw new UsageError('agent vault list: give --state DIR or --config FILE (the agent config with state.dir)');
  if (config !== undefined && (str(args, 'org') !== undefined || str(args, 'identity') !== undefined)) {
    throw new UsageError('agent vault list: --config names the identity; no --org or --identity with it');
  }
  const fromConf = config !== undefined ? fromConfig(config) : null;
  const state = fromConf?.state ?? (str(args, 'state') as string);
  const key = orgKey(args, io, fromConf?.identity ?? null);
  if (key === 'failed') return EXIT.FAILED;
  const s = scanVault(state, key);
  if (!s.ok) {
    io.err(`agent vault list: ${s.error.message}\n`);
    return EXIT.FAILED;
  }
  if (args.flags.has('json')) {
    const records = s.value.map((r) => ({ file: r.file, ...(r.entry ?? {}), verified: r.verified, error: r.error }));
    io.out(`${JSON.stringify({ schema: 'fortros.oob.vault/v1', dir: join(state, VAULT_DIR), records }, null, 2)}\n`);
  } else if (s.value.length === 0) io.out(`no vault records in ${join(state, VAULT_DIR)}\n`);
  else io.out(renderTable(s.value));
  if (key === null) io.err('agent vault list: no --org or --identity given, so signatures were not checked\n');
  return s.value.some((r) => r.verified === false || r.entry === null) ? EXIT.FAILED : EXIT.OK;
}

function readRecord(path: string): Uint8Array | string {
  try {
    const st = statSync(path);
    if (!st.isFile()) return `${path}: not a regular file`;
    if (st.size > MAX_RECORD) return `${path}: ${st.size} bytes, a record is at most ${MAX_RECORD}`;
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    return `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}

/** Text when the secret is UTF-8 without control characters (every password the agent makes is); else base64, marked so, so a line stays one record. */
function printable(secret: Uint8Array): string {
  let text: string | null = null;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(secret);
  } catch {
    // not UTF-8
  }
  return text !== null && !/[\x00-\x1f\x7f]/.test(text) && !text.startsWith('base64:') ? text : `base64:${Buffer.from(secret).toString('base64')}`;
}

async function open(args: Parsed, io: Io): Promise<ExitCode> {
  const orgDir = str(args, 'org');
  const node = str(args, 'node');
  const id = str(args, 'id');
  const state = str(args, 'state');
  const recordFile = str(args, 'record');
  if (orgDir === undefined || node === undefined) throw new UsageError('agent vault open: --org DIR and --node NAME are required');
  if ((state === undefined) === (recordFile === undefined)) throw new UsageError('agent vault open: give exactly one of --state DIR and --record FILE');
  const orgPub = readPublicKey(join(orgDir, ORG_FILES.publicKey));
  if (!orgPub.ok) {
    io.err(`agent vault open: ${orgPub.error.message}\n`);
    return EXIT.FAILED;
  }
  const recovery = loadRecoveryKey(orgDir);
  if (!recovery.ok) {
    io.err(`agent vault open: ${recovery.error.message} (the org recovery key, from \`agent org init\`)\n`);
    return EXIT.FAILED;
  }

  const sources: { name: string; bytes: Uint8Array | string }[] = [];
  if (recordFile !== undefined) sources.push({ name: recordFile, bytes: readRecord(recordFile) });
  else {
    const s = scanVault(state as string, orgPub.value);
    if (!s.ok) {
      io.err(`agent vault open: ${s.error.message}\n`);
      return EXIT.FAILED;
    }
    const dir = join(state as string, VAULT_DIR);
    const files = id !== undefined ? [recordFileName(node, id)] : s.value.filter((r) => r.file.startsWith(`${node}@`)).map((r) => r.file);
    for (const f of files) sources.push({ name: join(dir, f), bytes: readRecord(join(dir, f)) });
  }
  if (sources.length === 0) {
    io.err(`agent vault open: no records of node ${node} in ${join(state as string, VAULT_DIR)}\n`);
    return EXIT.FAILED;
  }

  const single = id !== undefined || recordFile !== undefined;
  let failed = false;
  for (const src of sources) {
    if (typeof src.bytes === 'string') {
      io.err(`agent vault open: ${src.bytes}\n`);
      failed = true;
      continue;
    }
    const r = await openRecord(src.bytes, orgPub.value, recovery.value);
    if (!r.ok) {
      io.err(`agent vault open: ${src.name}: ${r.error.code}: ${r.error.message}\n`);
      failed = true;
      continue;
    }
    const e = r.value.entry;
    if (e.node !== node || (id !== undefined && e.id !== id)) {
      io.err(`agent vault open: ${src.name} is the record of ${e.node}/${e.id}, not of ${node}${id !== undefined ? `/${id}` : ''}\n`);
      r.value.secret.fill(0);
      failed = true;
      continue;
    }
    io.out(single ? `${printable(r.value.secret)}\n` : `${e.id}\t${printable(r.value.secret)}\n`);
    r.value.secret.fill(0);
  }
  recovery.value.secretKey.fill(0);
  return failed ? EXIT.FAILED : EXIT.OK;
}

export const vaultCommand: Command = {
  name: 'vault',
  usage: USAGE,
  details: [
    'list: every record under DIR/vault (this node\'s and those gossip brought), with whether its signature',
    'chain verifies against the org key (org.pub of --org, or the copy in an identity directory). No secrets.',
    'open: verifies a record, then decrypts it with DIR/recovery.key of the org and prints the secret on',
    'stdout (one line with --id or --record; "ID<TAB>SECRET" per record of the node otherwise).',
    'Exit 1 when a record does not verify, does not open or is missing.',
  ].join('\n'),
  flags: [
    { name: 'state', kind: 'string', value: 'DIR', help: "the agent's state.dir (records are in DIR/vault)" },
    { name: 'config', kind: 'string', value: 'FILE', help: "list: the agent's config; its state.dir and node.identityDir" },
    { name: 'org', kind: 'string', value: 'DIR', help: 'the org directory (org.pub; recovery.key for open)' },
    { name: 'identity', kind: 'string', value: 'DIR', help: "list: a node's identity directory, whose org.pub checks the records" },
    { name: 'node', kind: 'string', value: 'NAME', help: 'open: whose records' },
    { name: 'id', kind: 'string', value: 'ID', help: 'open: one record (e.g. amt-admin, bmc-user:fortros-oob)' },
    { name: 'record', kind: 'string', value: 'FILE', help: 'open: a record file instead of a state directory' },
    { name: 'json', kind: 'boolean', help: 'list: print JSON' },
  ],
  maxPositionals: 1,
  async run(args, { io }) {
    const sub = args.positionals[0];
    if (sub === 'list') return list(args, io);
    if (sub === 'open') return open(args, io);
    throw new UsageError("agent vault: the subcommands are 'list' and 'open'");
  },
};
