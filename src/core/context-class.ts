/**
 * Context classes: what decides how an op's one-op time maps to its time inside a network, beyond its
 * size. Measured on ort-cpu (docs/benchmarks.md): blocks with squeeze-excite and hswish/swish cost more
 * inside a network than their one-op models say (SE's global pool and two tiny 1×1 convs, the activation's
 * extra passes), while plain ReLU blocks follow the common scale. Plain blocks with a wide expansion
 * (MBConv with expand ≥ WIDE_EXPAND) are a class of their own: their expanded activations are several times
 * their input, so how much of them stays in cache between ops differs inside a network from a one-op loop.
 * So the calibration may fit one scale per class, learnt from networks whose blocks carry the class in
 * their real context (contextVariants). "wide" marks otherwise plain blocks only (SE and the activation take
 * precedence), so the classes stay few enough to fit from a few networks; a calibration without a scale for
 * "wide" gives those blocks the common (plain) scale, as before the class existed.
 */
import type { Architecture, Layer } from './arch.js';
import { UserError } from './errors.js';
import { ACTS, type Act, type OpInstance, type OpSpec } from './ops.js';

const PLAIN_ACTS: readonly string[] = ['relu', 'relu6', 'none'];

/** The expansion ratio from which a plain MBConv block is "wide" (MobileNetV2's 6; the 3s of the mbv2 and mnasnet spaces are not). */
export const WIDE_EXPAND = 6;
export const WIDE = 'wide';

/** "" (plain), or "se", an activation name, or both ("se+hswish"), or "wide" (a plain MBConv with expand ≥ WIDE_EXPAND). */
export function contextClass(spec: OpSpec): string {
  const parts: string[] = [];
  if (spec.kind === 'se' || ('se' in spec && spec.se > 0)) parts.push('se');
  if ('act' in spec && !PLAIN_ACTS.includes(spec.act)) parts.push(spec.act);
  if (!parts.length && spec.kind === 'mbconv' && spec.expand >= WIDE_EXPAND) return WIDE;
  return parts.join('+');
}

/** A class as the spec changes that give it: SE ratio and activation, or the wide expansion. */
export function parseContextClass(cls: string): { se: boolean; act?: Act; wide?: boolean } {
  if (cls === WIDE) return { se: false, wide: true };
  const parts = cls ? cls.split('+') : [];
  const act = parts.find((p) => p !== 'se') as Act | undefined;
  return { se: parts.includes('se'), ...(act ? { act } : {}) };
}

/**
 * The network with every block that can carry it given the class: mbconv and dwsep blocks get SE
 * (ratio 0.25) when the class has it, and every block with an activation the class's activation; for
 * "wide", every plain mbconv block that expands (expand > 1) expands by WIDE_EXPAND at least. Stem,
 * head and everything else stay. The blocks keep their real neighbours, so a network measured end to end
 * tells how the class costs in context.
 */
export function withContextClass(arch: Architecture, cls: string): Architecture {
  const { se, act, wide } = parseContextClass(cls);
  const layers: Layer[] = arch.layers.map((layer) => {
    if (layer.role !== 'block') return layer;
    let spec: OpSpec = layer.spec;
    if (wide && spec.kind === 'mbconv' && spec.expand > 1 && spec.expand < WIDE_EXPAND && contextClass({ ...spec, expand: WIDE_EXPAND }) === WIDE) spec = { ...spec, expand: WIDE_EXPAND };
    if (se && (spec.kind === 'mbconv' || spec.kind === 'dwsep') && spec.se === 0) spec = { ...spec, se: 0.25 };
    if (act && 'act' in spec && PLAIN_ACTS.includes(spec.act) && spec.act !== 'none') spec = { ...spec, act } as OpSpec;
    return spec === layer.spec ? layer : { ...layer, spec };
  });
  return { ...arch, name: `${arch.name}~${cls || 'plain'}`, layers, space: undefined };
}

/** The non-plain context classes of `instances`, sorted. */
export function contextClassesOf(instances: Iterable<OpInstance>): string[] {
  const seen = new Set<string>();
  for (const inst of instances) seen.add(contextClass(inst.spec));
  seen.delete('');
  return [...seen].sort();
}

/** A comma-separated list of classes as a user writes them ("se,hswish,se+swish,wide"), checked: SE and/or one non-ReLU activation, or wide alone. */
export function parseContextClassList(text: string): string[] {
  const out = new Set<string>();
  const plainActs = new Set(PLAIN_ACTS);
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw === WIDE) {
      out.add(WIDE);
      continue;
    }
    const parts = raw.split('+');
    const acts = parts.filter((p) => p !== 'se');
    const ok =
      parts.filter((p) => p === 'se').length <= 1 &&
      acts.length <= 1 &&
      acts.every((a) => (ACTS as readonly string[]).includes(a) && !plainActs.has(a)) &&
      parts.length === new Set(parts).size;
    if (!ok)
      throw new UserError(`unknown context class '${raw}'`, {
        hint: `a class is se, a non-ReLU activation (${ACTS.filter((a) => !plainActs.has(a)).join(', ')}) or both joined by + (e.g. se+hswish), or ${WIDE} (plain blocks expanded ×${WIDE_EXPAND} or more)`,
      });
    out.add([...(parts.includes('se') ? ['se'] : []), ...acts].join('+'));
  }
  return [...out].sort();
}

/**
 * Calibration networks for the classes a LUT holds that plain networks lack: `nets` cycled through the
 * classes, one variant each, so every class gets `perClass` networks (by default ⌈nets/classes⌉, at least `min`).
 */
export function contextVariants(nets: readonly Architecture[], classes: readonly string[], min = 3, perClassWanted?: number): Architecture[] {
  const wanted = classes.filter((c) => c !== '');
  if (!wanted.length || !nets.length) return [];
  const perClass = perClassWanted ?? Math.max(min, Math.ceil(nets.length / wanted.length));
  // A variant no block of which could take the class (e.g. blocks that have SE already) is its base again: left out.
  return wanted.flatMap((cls, k) =>
    Array.from({ length: perClass }, (_, i) => nets[(k * perClass + i) % nets.length])
      .map((base) => ({ base, variant: withContextClass(base, cls) }))
      .filter(({ base, variant }) => variant.layers.some((l, i) => l !== base.layers[i]))
      .map(({ variant }) => variant),
  );
}
