/**
 * NetAdapt's latency: the LUT predictor on the search's LUT file, completed as the search goes.
 * Widths the LUT has never seen are profiled on the device (one device kept open for the whole
 * run) and written into the LUT file through the profiler's LutStore, so they survive a crash and
 * are not measured again by the next run.
 */
import type { Architecture } from '../../core/arch.js';
import { fillMissing } from '../../profile/missing.js';
import { predict } from '../../predict/predictor.js';
import { readLut } from '../../../lut/store.js';
import type { Lut } from '../../../lut/format.js';
import type { Device, DeviceOptions } from '../../../devices/types.js';
import type { LatencyEstimate } from '../types.js';

export class ProfilingLut {
  private lut: Lut;
  private device?: Promise<Device>;
  /** Entries measured by this run. */
  measured = 0;

  constructor(
    readonly path: string,
    /** Device to profile on (the LUT's own device by default) and its options (the LUT's). */
    private readonly deviceName: string | undefined,
    private readonly log: (message: string) => void,
  ) {
    this.lut = readLut(path);
  }

  get id(): string {
    return this.lut.id;
  }

  get lutDevice(): string {
    return this.lut.device.device;
  }

  /** Predicted latency, ms; every entry must be there (call `ensure` first). */
  ms(arch: Architecture): number {
    return predict(this.lut, arch, { breakdown: false }).ms;
  }

  /** Predicted latency with its 95% interval. */
  estimate(arch: Architecture): LatencyEstimate {
    const p = predict(this.lut, arch, { breakdown: false });
    return { ms: p.ms, ci95: p.ci95 };
  }

  /** Profiles whatever `archs` need that the LUT lacks; `announce`: a line on the log when it measures (else the caller reports `measured`). */
  async ensure(archs: readonly Architecture[], announce = true): Promise<void> {
    const name = this.deviceName ?? this.lut.device.device;
    const result = await fillMissing({
      lutPath: this.path,
      lut: this.lut,
      archs,
      log: announce ? (m) => this.log(`netadapt: ${m} on ${name}`) : undefined,
      withDevice: async (fn) => {
        if (!this.device) {
          const options: DeviceOptions = { ...this.lut.device.options };
          this.device = import('../../../devices/registry.js').then(({ resolveDevice }) => resolveDevice(name, options));
        }
        return fn(await this.device);
      },
    });
    this.lut = result.lut;
    this.measured += result.measured;
  }

  async dispose(): Promise<void> {
    const device = this.device;
    this.device = undefined;
    // A device that failed to start has nothing to release (its error was reported where it was used).
    if (device) await device.then((d) => d.dispose(), () => undefined);
  }
}
