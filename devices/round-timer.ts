/**
 * Where a protocol's rounds run: in this process, or (protocol.freshProcess) each pass in a fresh worker
 * process. One helper for the profiler's LUT entries and for whole networks (calibration, verify, the
 * benches), so both sides of a prediction are measured the same way.
 */
import { ensurePinned } from './pin.js';
import { FreshProcessTimer, type WorkerDevice } from './round-worker.js';
import { timeRound, type RoundTimer } from './rounds.js';
import type { Device, TimingProtocol } from './types.js';
import { UserError } from '../src/core/errors.js';

/**
 * The timer of `protocol` on `device`. Under freshProcess, `workerDevice` (the registry name and options
 * `device` was made from) tells the workers what to create. This process is pinned first (protocol.cpu),
 * so the workers, which inherit its affinity, run on the same CPU. Call stop() when done.
 */
export function roundTimer(device: Device, protocol: TimingProtocol, workerDevice?: WorkerDevice): RoundTimer & { stop(): Promise<void> } {
  if (!protocol.freshProcess) return { time: (model) => timeRound(device, model, protocol), stop: async () => {} };
  if (!workerDevice)
    throw new UserError('the protocol runs rounds in fresh worker processes, but the measurement was not told which device they should create', {
      hint: 'pass workerDevice (the registry name and options of the device), as nas profile does',
    });
  const timer = new FreshProcessTimer(workerDevice);
  return {
    time: (model) => timer.time(model, protocol),
    beforePass: async () => {
      ensurePinned(protocol.cpu);
      await timer.restart();
    },
    stop: () => timer.stop(),
  };
}
