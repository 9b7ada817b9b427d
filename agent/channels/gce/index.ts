// The Google Compute Engine channel: --project, --zone, --instance, and a
// bearer token (--token-file) or a service-account key (--credentials-file).

import { cerr, cok, type ChannelModule, type ChannelOptions } from '../types.ts';
import { apiTarget } from '../http/api.ts';
import { Tokens } from './auth.ts';
import { GceDriver } from './driver.ts';

const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PROJECT = /^(?:[a-z][-a-z0-9.:]{0,98}[a-z0-9])$/;

export const gceChannel: ChannelModule = {
  name: 'gce',
  defaultPort: () => 443,
  open(opts: ChannelOptions) {
    const p = opts.params ?? {};
    const project = p.project ?? '';
    const zone = p.zone ?? '';
    const instance = p.instance ?? '';
    if (!PROJECT.test(project)) return cerr('CONFIG', 'gce: --project must be a project id');
    if (!NAME.test(zone)) return cerr('CONFIG', 'gce: --zone must be a zone name such as europe-west1-b');
    if (!NAME.test(instance)) return cerr('CONFIG', 'gce: --instance must be an instance name (lower case, digits, -)');
    const token = opts.secrets?.['token-file'];
    const keyPath = p['credentials-file'];
    if ((token === undefined) === (keyPath === undefined)) return cerr('CONFIG', 'gce: give exactly one of --token-file and --credentials-file');
    // It goes in a header: anything but printable ASCII would be refused by the HTTP stack mid-call.
    if (token !== undefined && !/^[\x21-\x7e]{1,4096}$/.test(token)) return cerr('CONFIG', 'gce: the token file must hold a token of printable ASCII');
    const target = apiTarget(opts, 'https://compute.googleapis.com');
    if (!target.ok) return target;
    const endpoint = p.endpoint !== undefined ? new URL(p.endpoint) : null;
    const tokens = new Tokens(token !== undefined ? { kind: 'static', token } : { kind: 'key', path: keyPath ?? '', endpoint, target: target.value });
    return cok(new GceDriver({ target: target.value, project, zone, instance }, tokens));
  },
};
