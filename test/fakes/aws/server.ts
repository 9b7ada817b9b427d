// A FAKE Amazon EC2 Query API endpoint (API version 2016-11-15), built from the
// published Amazon EC2 API Reference: DescribeInstances, StartInstances,
// StopInstances (Force), RebootInstances, their XML response documents
// (DescribeInstancesResponse/reservationSet/item/instancesSet/item/instanceState
// {code,name}; Start/StopInstancesResponse/instancesSet/item/currentState;
// RebootInstancesResponse/return), the instance state codes (0 pending,
// 16 running, 32 shutting-down, 48 terminated, 64 stopping, 80 stopped) and the
// documented error document <Response><Errors><Error><Code/><Message/></Error>
// </Errors><RequestID/></Response> with the codes of "Error codes for the Amazon
// EC2 API" (docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html):
// AuthFailure, SignatureDoesNotMatch, RequestLimitExceeded, IncorrectInstanceState,
// InvalidInstanceID.NotFound, InvalidAction. Every request's SigV4 signature is
// recomputed by verify.ts (independent of the client). Strict: POST to / only
// (else 404/405), form-encoded body, Version=2016-11-15.

import { randomUUID } from 'node:crypto';
import { ApiServer, type FakeReply, type FakeRequest } from '../api-server.ts';
import { PowerMachine } from '../power-machine.ts';
import { verifySigV4, type Keys } from './verify.ts';

export interface FakeEc2Options extends Keys {
  instance: string;
  initial: 'on' | 'off';
  delayMs?: number;
  terminated?: boolean;
}

const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const STATE = { on: [16, 'running'], off: [80, 'stopped'], starting: [0, 'pending'], stopping: [64, 'stopping'] } as const;

const xml = (status: number, body: string): FakeReply => ({ status, raw: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`, headers: { 'Content-Type': 'text/xml;charset=UTF-8' } });
export const ec2ErrorReply = (status: number, code: string, message: string): FakeReply =>
  xml(status, `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`);

export class FakeEc2 {
  readonly machine: PowerMachine;
  readonly server: ApiServer;
  /** Answer the next N authenticated calls with RequestLimitExceeded (HTTP 503, as EC2 throttles). */
  throttle = 0;
  /** Actions accepted, with their parameters, for assertions ("StopInstances Force=true"). */
  readonly actions: string[] = [];

  constructor(private readonly o: FakeEc2Options) {
    this.machine = new PowerMachine(o.initial, o.delayMs ?? 0);
    this.server = new ApiServer((r) => this.handle(r));
  }

  start(): Promise<number> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private handle(r: FakeRequest): FakeReply {
    if (r.path !== '/') return ec2ErrorReply(404, 'InvalidAction', 'The action or operation requested is invalid.');
    if (r.method !== 'POST') return { ...ec2ErrorReply(405, 'InvalidAction', 'This fake takes POST only.'), headers: { Allow: 'POST', 'Content-Type': 'text/xml' } };
    const auth = verifySigV4(r, this.o);
    if (!auth.ok) return ec2ErrorReply(auth.status, auth.code, auth.message);
    if (!String(r.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return ec2ErrorReply(400, 'MalformedQueryString', 'The body must be form-encoded.');
    const form = new URLSearchParams(r.body.toString('utf8'));
    if (form.get('Version') !== '2016-11-15') return ec2ErrorReply(400, 'InvalidParameterValue', 'Version must be 2016-11-15 here.');
    if (this.throttle > 0) {
      this.throttle--;
      return ec2ErrorReply(503, 'RequestLimitExceeded', 'Request limit exceeded.');
    }
    const id = form.get('InstanceId.1');
    if (id !== this.o.instance) return ec2ErrorReply(400, 'InvalidInstanceID.NotFound', `The instance ID '${id ?? ''}' does not exist`);
    const action = form.get('Action') ?? '';
    const cur = this.current();
    switch (action) {
      case 'DescribeInstances':
        return xml(200, `<DescribeInstancesResponse xmlns="${XMLNS}"><requestId>${randomUUID()}</requestId><reservationSet><item><reservationId>r-0123456789abcdef0</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet><item><instanceId>${id}</instanceId><imageId>ami-0abcdef1234567890</imageId><instanceState><code>${cur[0]}</code><name>${cur[1]}</name></instanceState><instanceType>t3.micro</instanceType></item></instancesSet></item></reservationSet></DescribeInstancesResponse>`);
      case 'StartInstances':
      case 'StopInstances': {
        if (this.o.terminated || cur[1] === 'stopping' || (action === 'StopInstances' && cur[1] === 'pending')) return ec2ErrorReply(400, 'IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be ${action === 'StartInstances' ? 'started' : 'stopped'}.`);
        const force = form.get('Force') === 'true';
        this.actions.push(action === 'StopInstances' ? `StopInstances Force=${force}` : 'StartInstances');
        if (action === 'StartInstances') this.machine.on();
        else this.machine.off();
        const now = this.current();
        return xml(200, `<${action}Response xmlns="${XMLNS}"><requestId>${randomUUID()}</requestId><instancesSet><item><instanceId>${id}</instanceId><currentState><code>${now[0]}</code><name>${now[1]}</name></currentState><previousState><code>${cur[0]}</code><name>${cur[1]}</name></previousState></item></instancesSet></${action}Response>`);
      }
      case 'RebootInstances':
        if (this.o.terminated) return ec2ErrorReply(400, 'IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be rebooted.`);
        this.actions.push('RebootInstances');
        this.machine.reset();
        return xml(200, `<RebootInstancesResponse xmlns="${XMLNS}"><requestId>${randomUUID()}</requestId><return>true</return></RebootInstancesResponse>`);
      default:
        return ec2ErrorReply(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  private current(): readonly [number, string] {
    return this.o.terminated ? [48, 'terminated'] : STATE[this.machine.state()];
  }
}
