/**
 * What the remote device and its browsers say to each other, and the checks every message from a
 * browser passes before it is believed. Anything on the network can post to the server, so a result is
 * accepted only when its shape is exactly what the task asked for (a `samples` task of k runs gets k
 * finite, non-negative durations; nothing else).
 */
import type { AdapterInfo } from '../types.js';
import { isLatency, MAX_LATENCY_MS } from '../../src/core/latency-bounds.js';

/** Model bytes and inputs as the client fetches them (session-scoped URLs). */
export interface RemoteModel {
  key: string;
  url: string;
  inputs: { name: string; shape: number[]; url: string }[];
}

export type RemoteTask = { kind: 'cold'; model: RemoteModel } | { kind: 'samples'; count: number; model: RemoteModel };

export type ColdResult = { setupMs: number; coldMs: number };
export type TaskResult = ColdResult | number[];

/** What a browser tells about itself when it connects. */
export interface ClientHello {
  clientId?: string;
  userAgent: string;
  browserVersion: string;
  cores: number;
  ep: 'webgpu' | 'wasm';
  ortVersion: string;
  numThreads: number;
  crossOriginIsolated: boolean;
  tickMs: number;
  adapter?: AdapterInfo & { features: string[] };
}

/** The longest error text a client may send (it is logged and shown to the user). */
const MAX_ERROR_CHARS = 2000;

type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };
const bad = (why: string): { ok: false; why: string } => ({ ok: false, why });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A duration a LUT may hold (lut/bounds.ts): a client's 1e300 is refused here, not stored. */
const isDuration = isLatency;
const isText = (v: unknown, max = 1000): v is string => typeof v === 'string' && v.length <= max;

export function parseHello(body: unknown): Parsed<ClientHello> {
  if (!isObject(body)) return bad('hello must be a JSON object');
  const { clientId, userAgent, browserVersion, cores, ep, ortVersion, numThreads, crossOriginIsolated, tickMs, adapter } = body;
  if (clientId !== undefined && !(isText(clientId, 64) && /^[\w-]+$/.test(clientId))) return bad('clientId must be a short token');
  if (!isText(userAgent) || !userAgent) return bad('userAgent must be a non-empty string');
  if (!isText(browserVersion)) return bad('browserVersion must be a string');
  if (!Number.isInteger(cores) || (cores as number) < 0) return bad('cores must be an integer ≥ 0');
  if (ep !== 'webgpu' && ep !== 'wasm') return bad("ep must be 'webgpu' or 'wasm'");
  if (!isText(ortVersion) || !ortVersion) return bad('ortVersion must be a non-empty string');
  if (!Number.isInteger(numThreads) || (numThreads as number) < 0) return bad('numThreads must be an integer ≥ 0');
  if (typeof crossOriginIsolated !== 'boolean') return bad('crossOriginIsolated must be a boolean');
  if (!isDuration(tickMs)) return bad('tickMs must be a finite number ≥ 0');
  let parsedAdapter: ClientHello['adapter'];
  if (adapter !== undefined) {
    if (!isObject(adapter)) return bad('adapter must be an object');
    const { vendor, architecture, description, isFallback, features } = adapter;
    if (!isText(vendor) || !isText(architecture) || (description !== undefined && !isText(description)) || typeof isFallback !== 'boolean')
      return bad('adapter needs vendor, architecture (strings) and isFallback (boolean)');
    if (!Array.isArray(features) || features.length > 100 || !features.every((f) => isText(f, 100))) return bad('adapter.features must be a list of strings');
    parsedAdapter = { vendor, architecture, ...(description ? { description } : {}), isFallback, features: features as string[] };
  }
  if (ep === 'webgpu' && !parsedAdapter) return bad('ep webgpu needs the adapter');
  return {
    ok: true,
    value: {
      ...(clientId ? { clientId } : {}),
      userAgent,
      browserVersion,
      cores: cores as number,
      ep,
      ortVersion,
      numThreads: numThreads as number,
      crossOriginIsolated,
      tickMs,
      ...(parsedAdapter ? { adapter: parsedAdapter } : {}),
    },
  };
}

/** A posted result: the task it answers, and either the result the task asked for or an error. */
export type ParsedPost = { item: string; client: string } & ({ result: TaskResult } | { error: string });

/** Checks a posted result against the task it claims to answer (`task` undefined: unknown item). */
export function parseResult(body: unknown, task: (item: string) => RemoteTask | undefined): Parsed<ParsedPost> | { ok: false; why: string; unknown: true } {
  if (!isObject(body)) return bad('a result must be a JSON object');
  const { item, client } = body;
  if (!isText(item, 64) || !item) return bad('item must be the id of the task');
  if (!isText(client, 64) || !client) return bad('client must be the client id');
  const t = task(item);
  if (!t) return { ok: false, why: `no pending task '${item}' (unknown, or already answered)`, unknown: true };
  if ('error' in body) {
    if (!isText(body.error, MAX_ERROR_CHARS) || !body.error) return bad(`error must be a non-empty string of at most ${MAX_ERROR_CHARS} characters`);
    return { ok: true, value: { item, client, error: body.error } };
  }
  if (t.kind === 'cold') {
    if (!isDuration(body.setupMs) || !isDuration(body.coldMs)) return bad(`a cold result needs setupMs and coldMs, finite numbers in [0, ${MAX_LATENCY_MS}] ms`);
    return { ok: true, value: { item, client, result: { setupMs: body.setupMs, coldMs: body.coldMs } } };
  }
  const s = body.samples;
  if (!Array.isArray(s) || s.length !== t.count || !s.every(isDuration))
    return bad(`samples must be an array of exactly ${t.count} finite numbers in [0, ${MAX_LATENCY_MS}] ms`);
  return { ok: true, value: { item, client, result: s as number[] } };
}
