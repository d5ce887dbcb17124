/**
 * The published networks of ../shared/data/published-nets/published-nets.json as Architectures.
 * Nets whose blocks the catalog lacks (ShuffleNetV2 blocks, grouped pointwise convs) are listed with
 * the reason instead of being approximated silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Architecture, Layer } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import { Registry } from '../core/registry.js';
import { validateArchitectureSpec } from '../core/validate-spec.js';
import type { Act, OpSpec } from '../core/ops.js';
import { projectRoot } from '../core/paths.js';

interface PublishedBlock {
  block: string;
  n?: number;
  k?: number;
  s?: number;
  e?: number;
  c?: number;
  se?: number;
  act?: string | null;
  residual?: boolean;
  groups?: number;
}
interface PublishedNet {
  name: string;
  input_size: number;
  stem: { c: number; k: number; s: number; act: string };
  stages: PublishedBlock[][];
  head: { c: number; act: string; note?: string };
  notes?: string;
}

export interface PublishedResult {
  nets: Architecture[];
  unsupported: { name: string; reason: string }[];
}

export function defaultPublishedPath(): string {
  return path.join(projectRoot(), '..', 'shared', 'data', 'published-nets', 'published-nets.json');
}

const ACT_NAMES: Record<string, Act> = { relu: 'relu', relu6: 'relu6', hard_swish: 'hswish', hswish: 'hswish', swish: 'swish' };

function act(name: string | null | undefined, fallback: Act): Act {
  if (name == null) return fallback;
  const a = ACT_NAMES[name];
  if (!a) throw new Error(`activation '${name}' is not in the catalog`);
  return a;
}

function convertNet(net: PublishedNet, resolution: number, classes: number): Architecture {
  const stemAct = act(net.stem.act, 'relu');
  // MobileNetV3 sizes SE from the expanded channels; the catalog sizes it from the block input.
  const seFromExpanded = /SE reduce from expanded/i.test(net.notes ?? '');
  const layers: Layer[] = [
    { role: 'stem', spec: { kind: 'conv', cout: net.stem.c, k: net.stem.k, stride: net.stem.s, groups: 1, dilation: 1, act: stemAct } },
  ];
  let cin = net.stem.c;
  for (const stage of net.stages) {
    for (const b of stage) {
      for (let i = 0; i < (b.n ?? 1); i++) {
        const stride = i === 0 ? (b.s ?? 1) : 1;
        const cout = b.c ?? cin;
        const residual = stride === 1 && cin === cout && b.residual !== false;
        const a = act(b.act, stemAct);
        let spec: OpSpec | undefined;
        switch (b.block) {
          case 'ir':
          case 'ds/ir_e1':
            if ((b.groups ?? 1) !== 1) throw new Error(`grouped pointwise convs (groups ${b.groups}) are not in the catalog`);
            spec = { kind: 'mbconv', cout, k: b.k ?? 3, stride, expand: b.e ?? 1, se: (b.se ?? 0) * (seFromExpanded ? (b.e ?? 1) : 1), act: a, skip: residual };
            break;
          case 'ds':
            spec = { kind: 'dwsep', cout, k: b.k ?? 3, stride, se: b.se ?? 0, act: a, skip: residual };
            break;
          case 'cn':
            spec = { kind: 'conv', cout, k: b.k ?? 1, stride, groups: 1, dilation: 1, act: a };
            break;
          case 'skip':
          case 'zero(skip)':
            spec = undefined; // an identity slot: no block in the exported network
            break;
          default:
            throw new Error(`block '${b.block}' is not in the catalog`);
        }
        if (spec) layers.push({ role: 'block', spec });
        cin = cout;
      }
    }
  }
  const headAct = act(net.head.act, stemAct);
  const headConv: Layer = { role: 'head', spec: { kind: 'conv', cout: net.head.c, k: 1, stride: 1, groups: 1, dilation: 1, act: headAct } };
  const pool: Layer = { role: 'head', spec: { kind: 'gpool', mode: 'avg' } };
  // MobileNetV3 applies its head conv after global pooling.
  const head = /after global pool/i.test(net.head.note ?? '') ? [pool, headConv] : [headConv, pool];
  layers.push(...head, { role: 'head', spec: { kind: 'linear', cout: classes, act: 'none' } });
  return { name: net.name, input: [1, 3, resolution, resolution], dtype: 'f32', layers };
}

/** Loads the published nets; `resolution` overrides their input size (default: as published). */
export function loadPublishedNets(opts: { file?: string; resolution?: number; classes?: number } = {}): PublishedResult {
  const file = opts.file ?? defaultPublishedPath();
  if (!existsSync(file))
    throw new UserError(`published nets file not found: ${file}`, { hint: 'it ships in ../shared/data/published-nets/ beside the project' });
  let raw: PublishedNet[];
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as PublishedNet[];
  } catch (e) {
    throw new UserError(`cannot read published nets from ${file}: ${(e as Error).message}`);
  }
  const result: PublishedResult = { nets: [], unsupported: [] };
  for (const net of raw) {
    try {
      result.nets.push(convertNet(net, opts.resolution ?? net.input_size, opts.classes ?? 1000));
    } catch (e) {
      result.unsupported.push({ name: net.name, reason: (e as Error).message });
    }
  }
  return result;
}

const checked = (arch: Architecture): Architecture => (validateArchitectureSpec(arch, `published net '${arch.name}'`), arch);

export function publishedNet(name: string, opts: { file?: string; resolution?: number; classes?: number } = {}): Architecture {
  const { nets, unsupported } = loadPublishedNets(opts);
  const registry = new Registry('published net', nets.map((n) => [n.name, n] as const));
  if (registry.has(name)) return checked(registry.get(name));
  const skipped = unsupported.find((n) => n.name === name);
  if (skipped) throw new UserError(`published net '${name}' cannot be built: ${skipped.reason}`);
  throw registry.unknown(name);
}
