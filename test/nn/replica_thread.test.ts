// The learner thread's hand-over (src/nn/replica_thread.ts): requests and answers through shared
// slots, messages posted for a request, and a thread whose work throws: the caller is told (and
// then does the work itself, as the learner does), and the thread is not given more.
import { afterAll, expect, test } from '@jest/globals';
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
  expect(request(thread, -1)).toBe(false);
  expect(thread.ready).toBe(false);
  expect(thread.take()).toBe(false);
  expect(thread.completed).toBe(1);
});
