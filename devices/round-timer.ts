/**
 * Where a protocol's rounds run: in this process, or (protocol.freshProcess) each pass in a fresh worker
 * process. One helper for the profiler's LUT entries and for whole networks (calibration, verify, the
 * benches), so both sides of a prediction are measured the same way.
 */
import { pinMeasuringThread, type CpuPlacement } from './pin.js';
import { FreshProcessTimer, type WorkerDevice } from './round-worker.js';
import { timeRound, type RoundTimer } from './rounds.js';
import type { Device, TimingProtocol } from './types.js';
import { UserError } from '../src/core/errors.js';

export interface PlacedRoundTimer extends RoundTimer {
  stop(): Promise<void>;
  /** Where the rounds so far ran (protocol.cpu; undefined unpinned or before the first round): for the LUT's protocol.placement. */
  placement(): CpuPlacement | undefined;
}

/**
 * The timer of `protocol` on `device`. In this process, rounds pin its measuring thread, its other threads apart (protocol.cpu). Under
 * freshProcess, `workerDevice` (the registry name and options `device` was made from) tells the workers
 * what to create; pinned, the workers start on the chosen CPUs and this process moves to the others
 * (devices/round-worker.ts), `onWarning` told where it cannot. Call stop() when done.
 */
export function roundTimer(device: Device, protocol: TimingProtocol, workerDevice?: WorkerDevice, o: { onWarning?(message: string): void } = {}): PlacedRoundTimer {
  if (!protocol.freshProcess) {
    let placed: CpuPlacement | undefined;
    return {
      time: async (model, p = protocol) => {
        placed = pinMeasuringThread(protocol.cpu);
        return timeRound(device, model, p);
      },
      stop: async () => {},
      placement: () => placed,
    };
  }
  if (!workerDevice)
    throw new UserError('the protocol runs rounds in fresh worker processes, but the measurement was not told which device they should create', {
      hint: 'pass workerDevice (the registry name and options of the device), as nas profile does',
    });
  const timer = new FreshProcessTimer(workerDevice, { cpu: protocol.cpu, onWarning: o.onWarning });
  return {
    time: (model, p = protocol) => timer.time(model, p),
    beforePass: () => timer.restart(),
    stop: () => timer.stop(),
    placement: () => timer.placement,
  };
}
