/** The remote work queue (leases, re-issue, reloads) and the checks on what browsers post. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseHello, parseResult, type RemoteTask } from '../../devices/remote/messages.js';
import { WorkQueue } from '../../devices/remote/queue.js';

const model = { key: 'conv:1x8x16x16', url: '/s/t/blob/m', inputs: [{ name: 'input', shape: [1, 8, 16, 16], url: '/s/t/blob/i' }] };
const cold: RemoteTask = { kind: 'cold', model };
const samples: RemoteTask = { kind: 'samples', count: 3, model };

describe('work queue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands a task to a waiting client and resolves with its result', async () => {
    const q = new WorkQueue<RemoteTask, number[]>(10_000);
    const waiting = q.take('a', 5_000);
    const done = q.enqueue(samples);
    const item = await waiting;
    expect(item).toMatchObject({ task: samples, attempt: 1 });
    expect(q.complete(item!.id, [1, 2, 3])).toBe('accepted');
    await expect(done).resolves.toEqual([1, 2, 3]);
    expect(q.complete(item!.id, [4, 5, 6])).toBe('unknown'); // the first result wins
    q.close();
  });

  it('answers an empty poll after the wait', async () => {
    const q = new WorkQueue<RemoteTask, number[]>(10_000);
    const poll = q.take('a', 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(poll).resolves.toBeUndefined();
    q.close();
  });

  it('re-issues a task whose lease ran out, and still takes a late answer to it', async () => {
    const q = new WorkQueue<RemoteTask, number[]>(2_000);
    const done = q.enqueue(samples);
    const first = await q.take('a', 0);
    expect(await q.take('b', 0)).toBeUndefined(); // leased to a
    await vi.advanceTimersByTimeAsync(2_500);
    const again = await q.take('b', 0);
    expect(again).toMatchObject({ id: first!.id, attempt: 2 });
    expect(q.complete(first!.id, [7, 8, 9])).toBe('accepted');
    await expect(done).resolves.toEqual([7, 8, 9]);
    q.close();
  });

  it('re-issues at once what a client held when it starts over, in the order it was issued', async () => {
    const q = new WorkQueue<RemoteTask, number[]>(60_000);
    void q.enqueue(cold);
    void q.enqueue(samples);
    const a = await q.take('a', 0);
    expect(q.releaseClient('a')).toBe(1);
    expect(await q.take('a', 0)).toMatchObject({ id: a!.id, task: cold, attempt: 2 });
    expect(await q.take('a', 0)).toMatchObject({ task: samples, attempt: 1 });
    q.close();
  });

  it('gives a task back when its poll was abandoned, and fails tasks on request', async () => {
    const q = new WorkQueue<RemoteTask, number[]>(60_000);
    const done = q.enqueue(cold);
    const item = await q.take('a', 0);
    q.giveBack(item!.id);
    const back = await q.take('b', 0);
    expect(back!.id).toBe(item!.id);
    q.rejectAll(new Error('device disposed'));
    await expect(done).rejects.toThrow('device disposed');
    expect(q.size).toBe(0);
    q.close();
  });
});

describe('messages from browsers', () => {
  const pending = (id: string) => (id === 'c' ? cold : id === 's' ? samples : undefined);

  it('accepts exactly the result a task asked for', () => {
    expect(parseResult({ item: 's', client: 'a', samples: [1, 2.5, 0] }, pending)).toEqual({ ok: true, value: { item: 's', client: 'a', result: [1, 2.5, 0] } });
    expect(parseResult({ item: 'c', client: 'a', setupMs: 3, coldMs: 4 }, pending)).toEqual({ ok: true, value: { item: 'c', client: 'a', result: { setupMs: 3, coldMs: 4 } } });
    expect(parseResult({ item: 'c', client: 'a', error: 'no WebGPU' }, pending)).toEqual({ ok: true, value: { item: 'c', client: 'a', error: 'no WebGPU' } });
  });

  it.each([
    [[1, 2], 'samples must be an array of exactly 3 finite numbers in [0, 3600000] ms'],
    [[1, 2, -1], 'samples must be an array of exactly 3 finite numbers in [0, 3600000] ms'],
    [[1, 2, 'x'], 'samples must be an array of exactly 3 finite numbers in [0, 3600000] ms'],
    ['1,2,3', 'samples must be an array of exactly 3 finite numbers in [0, 3600000] ms'],
    [[1, 2, 1e300], 'samples must be an array of exactly 3 finite numbers in [0, 3600000] ms'],
  ])('refuses samples %j', (s, why) => {
    expect(parseResult({ item: 's', client: 'a', samples: s }, pending)).toEqual({ ok: false, why });
  });

  it('refuses malformed results and says which field is wrong', () => {
    expect(parseResult('hi', pending)).toEqual({ ok: false, why: 'a result must be a JSON object' });
    expect(parseResult({ item: 3, client: 'a' }, pending)).toEqual({ ok: false, why: 'item must be the id of the task' });
    expect(parseResult({ item: 'c', client: 'a', coldMs: 1 }, pending)).toEqual({ ok: false, why: 'a cold result needs setupMs and coldMs, finite numbers in [0, 3600000] ms' });
    expect(parseResult({ item: 'zz', client: 'a', samples: [] }, pending)).toMatchObject({ ok: false, unknown: true });
  });

  it('checks a hello', () => {
    const hello = { userAgent: 'UA', browserVersion: 'Chromium 1', cores: 8, ep: 'wasm', ortVersion: '1.30.0', numThreads: 1, crossOriginIsolated: true, tickMs: 0.005 };
    expect(parseHello(hello)).toEqual({ ok: true, value: hello });
    expect(parseHello({ ...hello, ep: 'webgpu' })).toEqual({ ok: false, why: 'ep webgpu needs the adapter' });
    expect(parseHello({ ...hello, clientId: '../x' })).toEqual({ ok: false, why: 'clientId must be a short token' });
    expect(parseHello({ ...hello, cores: 'many' })).toEqual({ ok: false, why: 'cores must be an integer ≥ 0' });
  });
});
