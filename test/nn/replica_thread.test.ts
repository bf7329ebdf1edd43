// The learner thread's hand-over (src/nn/replica_thread.ts): requests and answers through shared
// slots, messages posted for a request, and a thread whose work throws: the caller is told (and
// then does the work itself, as the learner does), and the thread is not given more.
import { afterAll, expect, jest, test } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplicaThread, replicaChannel } from '../../src/nn/replica_thread.js';

const threads: ReplicaThread[] = [];
afterAll(() => threads.forEach((t) => t.stop()));

async function started(): Promise<ReplicaThread> {
  const thread = new ReplicaThread(new URL('./replica_worker.js', import.meta.url), replicaChannel(2), {});
  threads.push(thread);
  for (let waited = 0; !thread.ready; waited += 10) {
    if (waited > 20000) throw new Error('the thread did not start in 20 s');
    await sleep(10);
  }
  return thread;
}

function request(thread: ReplicaThread, value: number): boolean {
  thread.slots[0] = value;
  thread.start();
  return thread.finish();
}

test('answers each request in the slots, including after it slept between requests', async () => {
  const thread = await started();
  expect(request(thread, 21)).toBe(true);
  expect(thread.slots[1]).toBe(42);
  await sleep(50); // longer than the thread polls: it blocks, and must be woken
  // the caller here does nothing while it waits, so each wait counts as slow and the next
  // requests (1, 2, 4, ... of them, at most 64) are left to the caller: take() says so
  let skipped = 0;
  while (!thread.take()) skipped += 1;
  expect(skipped).toBeLessThanOrEqual(64);
  expect(request(thread, 5)).toBe(true);
  expect(thread.slots[1]).toBe(10);
  expect(thread.completed).toBe(2);
  expect(() => thread.finish()).toThrow('finish() without start()');
});

test('a message posted before a request is what the request receives', async () => {
  const thread = await started();
  thread.post([1, 2, 3.5]);
  expect(request(thread, 7)).toBe(true);
  expect(thread.slots[1]).toBe(6.5);
});

test('a request whose work throws comes back false; the thread is then not ready and takes no more', async () => {
  const thread = await started();
  expect(request(thread, 3)).toBe(true);
  expect(thread.failure).toBeNull();
  const written: string[] = [];
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((text) => (written.push(String(text)), true));
  try {
    expect(request(thread, -1)).toBe(false);
  } finally {
    stderr.mockRestore();
  }
  expect(thread.failure).toBe('asked to fail');
  // said once, with the reason
  expect(written).toEqual([
    'WARN: a learner thread failed (asked to fail); the calling thread does its work from now on: the same results, more slowly\n',
  ]);
  expect(thread.ready).toBe(false);
  expect(thread.take()).toBe(false);
  expect(thread.completed).toBe(1);
});

test('finish() before any start() is refused', async () => {
  const thread = await started();
  expect(() => thread.finish()).toThrow('finish() without start()');
});

test('a request that receives without a message posted fails, as a throw does', async () => {
  const thread = await started();
  expect(request(thread, 7)).toBe(false);
  expect(thread.failure).toBe('receive(): no message was posted before this request');
  expect(thread.ready).toBe(false);
});

test('a thread whose module fails to load is never ready, and is never given a request', async () => {
  const thread = new ReplicaThread(new URL('./replica_worker_broken.js', import.meta.url), replicaChannel(2), {});
  threads.push(thread);
  // the worker's 'error' event marks it failed; until then it is not ready either
  for (let waited = 0; !thread.failed; waited += 10) {
    if (waited > 20000) throw new Error('the failure was not reported in 20 s');
    await sleep(10);
  }
  expect(thread.failure).toBe('this learner thread module is broken');
  expect(thread.ready).toBe(false);
  expect(thread.take()).toBe(false);
});

/** Busy-waits ms milliseconds (the caller doing its own share of a step). */
function work(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** How many take() calls say false before one says true. */
function skipped(thread: ReplicaThread): number {
  let n = 0;
  while (!thread.take()) n += 1;
  return n;
}

test('after a request the caller waited for longer than its own share took, it skips 1, 2, 4 ... requests; a quick one resets that', async () => {
  const thread = await started();
  const slow = () => {
    // the thread sleeps 80 ms, longer than the caller polls before it blocks; the caller's own share takes no time
    thread.slots[0] = 9;
    thread.start();
    expect(thread.finish()).toBe(true);
    expect(thread.slots[1]).toBe(18);
  };
  const quick = () => {
    thread.slots[0] = 4;
    thread.start();
    work(300); // the caller's share outlasts the thread's answer
    expect(thread.finish()).toBe(true);
    expect(thread.slots[1]).toBe(8);
  };
  quick();
  expect(skipped(thread)).toBe(0);
  slow();
  expect(skipped(thread)).toBe(1);
  slow();
  expect(skipped(thread)).toBe(2);
  slow();
  expect(skipped(thread)).toBe(4);
  quick();
  expect(skipped(thread)).toBe(0);
  slow();
  expect(skipped(thread)).toBe(1);
  expect(thread.completed).toBe(6);
});
