/**
 * Farm scaling on loopback: throughput of N workers (in-process FarmWorker instances, one BullMQ
 * Worker and one mock device each, all in this process) on one queue, against a coordinator
 * (FarmDevice: prefetch, then collect every result). The mock device is given a fixed *sleep* per
 * entry (--delay-ms), which is what makes scaling measurable on a 2-core machine: the workers wait,
 * they do not compute. Printed:
 *   - per N: wall time for --jobs entries, throughput, ideal (N / delay), efficiency = throughput / ideal;
 *   - queue overhead per job = (wall time with 1 worker − jobs × delay) / jobs;
 *   - with no delay: one worker's round trip per job, and Redis memory (INFO memory, used_memory) for
 *     --memory-jobs jobs queued, then kept as completed (what stays until a coordinator collects them),
 *     then after the coordinator has collected and removed them.
 * Starts its own redis-server (Debian's) on a free port. Asserts nothing.
 *
 *   node --import tsx bench/scale-out.ts [--delay-ms 100] [--jobs 160] [--workers 1,2,4,8,16] [--memory-jobs 10000]
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { MockDevice } from '../devices/mock/index.js';
import type { ModelUnderTest, TimingProtocol } from '../devices/types.js';
import { opModel } from '../export/model.js';
import { instance } from '../src/core/ops.js';
import { FarmDevice } from '../src/farm/farm-device.js';
import { deviceQueueName } from '../src/farm/registry.js';
import { FarmWorker } from '../src/farm/worker.js';

const { values } = parseArgs({
  options: {
    'delay-ms': { type: 'string', default: '100' },
    jobs: { type: 'string', default: '160' },
    workers: { type: 'string', default: '1,2,4,8,16' },
    'memory-jobs': { type: 'string', default: '10000' },
  },
});
const delayMs = Number(values['delay-ms']);
const jobs = Number(values.jobs);
const counts = values.workers.split(',').map(Number);
const memoryJobs = Number(values['memory-jobs']);
const PROTOCOL: TimingProtocol = { warmup: 1, minRepeats: 5, maxRepeats: 5, maxTimeMs: 1000, targetCI: 0.5 };

/** `n` distinct tiny one-op models (1x1 convs, cout 1..100 × input height): distinct hashes, so distinct jobs. */
function models(n: number, offset = 0): ModelUnderTest[] {
  return Array.from({ length: n }, (_, j) => {
    const i = offset + j;
    return opModel(instance({ kind: 'conv', cout: 1 + (i % 100), k: 1, stride: 1, groups: 1, dilation: 1, act: 'none' }, [1, 1, 1 + Math.floor(i / 100), 2]), { seed: 0 });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const port = await freePort();
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
const admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null, retryStrategy: () => 50 });
admin.on('error', () => undefined); // refused until redis-server listens
await admin.ping();
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);

/** One run: `workers` workers of a fresh fingerprint (the mock seed), the coordinator collects `list`. */
async function run(workers: number, list: ModelUnderTest[], delay: number, seed: number): Promise<{ ms: number; farm: FarmDevice; pool: FarmWorker[] }> {
  const pool = await Promise.all(
    Array.from({ length: workers }, () =>
      FarmWorker.start({ redis: url, deviceName: 'mock', requested: { seed }, createDevice: () => new MockDevice({ seed, delayMs: delay }), lockMs: 60_000 }),
    ),
  );
  const farm = await FarmDevice.open({ redis: url, device: 'mock', options: { seed }, waitMs: 10_000 });
  const t0 = performance.now();
  await farm.prefetch(list, PROTOCOL);
  await Promise.all(list.map((m) => farm.time(m, PROTOCOL)));
  return { ms: performance.now() - t0, farm, pool };
}

async function close(r: { farm: FarmDevice; pool: FarmWorker[] }): Promise<void> {
  await r.farm.forget();
  await r.farm.dispose();
  await Promise.all(r.pool.map((w) => w.close()));
}

console.log(`scale-out on loopback: redis-server ${url}, ${os.cpus().length} cores, loadavg ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`${jobs} jobs per run, mock device sleeping ${delayMs} ms per entry; workers are in-process FarmWorker instances\n`);
// Warm-up (JIT, BullMQ's Lua scripts, lazily loaded modules), so the first measured run does not pay for it.
await close(await run(1, models(20, 50_000), 0, 99));
console.log('| workers | wall s | jobs/s | ideal jobs/s (N / delay) | of ideal | speed-up over 1 worker | of linear (speed-up / N) |');
console.log('|---|---|---|---|---|---|---|');
let oneWorkerMs = 0;
for (const [i, n] of counts.entries()) {
  const r = await run(n, models(jobs), delayMs, 100 + i);
  if (n === 1) oneWorkerMs = r.ms;
  const throughput = jobs / (r.ms / 1000);
  const ideal = n * (1000 / delayMs);
  const speedup = oneWorkerMs ? oneWorkerMs / r.ms : NaN;
  console.log(
    `| ${n} | ${(r.ms / 1000).toFixed(2)} | ${throughput.toFixed(2)} | ${ideal.toFixed(2)} | ${(throughput / ideal).toFixed(3)} | ${speedup.toFixed(2)} | ${(speedup / n).toFixed(3)} |`,
  );
  await close(r);
}
if (oneWorkerMs) console.log(`\nqueue overhead per job (1 worker): ${((oneWorkerMs - jobs * delayMs) / jobs).toFixed(2)} ms`);

// No delay: what the queue itself costs, and what Redis holds.
const base = await usedMemory();
const { Dispatcher } = await import('../src/farm/dispatcher.js');
const { recipeFor, timeJobId, JOB_TIME } = await import('../src/farm/jobs.js');
const waiting = await Dispatcher.open(admin, deviceQueueName('bench-waiting'), { workersAlive: async () => 1, noWorkerMessage: () => '' });
const memModels = models(memoryJobs, 100_000); // other models than the runs above
for (const m of memModels) {
  const recipe = recipeFor(m, 0);
  void waiting.submit(timeJobId('bench-waiting', PROTOCOL, recipe.sha, 0), JOB_TIME, { model: recipe, protocol: PROTOCOL }).catch(() => undefined);
}
const probe = new Queue(deviceQueueName('bench-waiting'), { connection: admin });
while ((await probe.getWaitingCount()) < memoryJobs) await new Promise((r) => setTimeout(r, 200));
const queued = await usedMemory();
await probe.obliterate({ force: true });
await waiting.close();
await probe.close();

const redisCpu = async () => {
  const info = await admin.info('cpu');
  return 1000 * (Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)![1]));
};
const cpu0 = process.cpuUsage();
const redis0 = await redisCpu();
const r0 = await run(1, memModels.slice(0, 200), 0, 900);
const cpu = process.cpuUsage(cpu0);
const redisMs = (await redisCpu()) - redis0;
console.log(`round trip per job, 1 worker, no delay, 200 jobs: ${(r0.ms / 200).toFixed(2)} ms wall`);
console.log(
  `CPU per job: ${((cpu.user + cpu.system) / 1000 / 200).toFixed(2)} ms in this process (coordinator and worker, setup included), ${(redisMs / 200).toFixed(2)} ms in redis-server`,
);
await close(r0);
const before = await usedMemory();
const r1 = await run(4, memModels, 0, 901);
const kept = await usedMemory();
console.log(`${memoryJobs} jobs, 4 workers, no delay: ${(r1.ms / 1000).toFixed(1)} s (${(memoryJobs / (r1.ms / 1000)).toFixed(0)} jobs/s)`);
await close(r1);
const after = await usedMemory();
const mb = (b: number) => (b / 1e6).toFixed(2);
console.log(`Redis used_memory per ${memoryJobs} jobs: queued ${mb(queued - base)} MB, completed and kept ${mb(kept - before)} MB, after collection ${mb(after - before)} MB`);
console.log(`loadavg at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
admin.disconnect();
server.kill('SIGKILL');
