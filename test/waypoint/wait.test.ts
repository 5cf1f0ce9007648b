/**
 * Waiting for a waypoint to be programmed (src/kube/waypoints.ts waitProgrammed) over a scripted
 * client and clock: what it returns, the timeout message, Ctrl-C. The real API server is in
 * waypoint.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { WaypointTimeoutError, gatewayRef, waitProgrammed } from '../../src/kube/waypoints.js';
import type { KubeClient } from '../../src/kube/types.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import { waypointGateway } from '../../src/render/waypoint.js';

/** A Gateway whose Programmed condition has `status`. */
function withProgrammed(status: string, reason = 'Pending', message = 'Waiting for controller'): K8sObject {
  return { ...waypointGateway({ name: 'waypoint', namespace: 'default' }), status: { conditions: [{ type: 'Programmed', status, reason, message }] } };
}

/** A client whose `get` answers the scripted objects in turn (the last one repeats), counting calls. */
function scripted(answers: (K8sObject | undefined)[]): { client: KubeClient; gets: () => number } {
  let n = 0;
  const client = { get: async () => answers[Math.min(n++, answers.length - 1)] } as unknown as KubeClient;
  return { client, gets: () => n };
}

const ref = gatewayRef('default', 'waypoint');

describe('waitProgrammed', () => {
  it('returns the Gateway once Programmed is True, reading it again meanwhile', async () => {
    const { client, gets } = scripted([withProgrammed('Unknown'), withProgrammed('False', 'Invalid', 'x'), withProgrammed('True', 'Programmed', 'ok')]);
    const gw = await waitProgrammed(client, ref, { timeoutMs: 60_000, pollMs: 1 });
    expect(gw.status).toMatchObject({ conditions: [{ status: 'True' }] });
    expect(gets()).toBe(3);
  });

  it('times out naming the waypoint and its Programmed condition as it stands', async () => {
    let t = 0;
    const { client } = scripted([withProgrammed('Unknown')]);
    const err = await waitProgrammed(client, ref, { timeoutMs: 1500, pollMs: 1, now: () => (t += 500) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaypointTimeoutError);
    expect((err as Error).message).toMatch(/^timed out after 1\.5s waiting for waypoint default\/waypoint to be programmed: Programmed is Unknown \(Pending: Waiting for controller\); /);
  });

  it('says when the Gateway is gone, or has no Programmed condition', async () => {
    let t = 0;
    const gone = await waitProgrammed(scripted([undefined]).client, ref, { timeoutMs: 1, pollMs: 1, now: () => (t += 1) }).catch((e: Error) => e.message);
    expect(gone).toContain('to be programmed: the Gateway does not exist;');
    const bare = await waitProgrammed(scripted([waypointGateway({ name: 'waypoint', namespace: 'default' })]).client, ref, { timeoutMs: 1, pollMs: 1, now: () => (t += 1) })
      .catch((e: Error) => e.message);
    expect(bare).toContain('to be programmed: it has no Programmed condition;');
  });

  it('stops at Ctrl-C with InterruptedError (exit 130)', async () => {
    const ac = new AbortController();
    const waiting = waitProgrammed(scripted([withProgrammed('Unknown')]).client, ref, { timeoutMs: 600_000, pollMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError);
  });
});
