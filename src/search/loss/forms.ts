/**
 * Latency-aware loss forms from the literature, as tfjs functions of the task loss (cross-entropy, a scalar
 * tensor) and the (expected or sampled) latency, a scalar tensor in milliseconds. Targets are ms too.
 *
 * The log forms take the log of a latency in ms, so they need latencies above 1 ms (a log ≤ 0 raised to a
 * fractional β is NaN). For faster networks pick a smaller unit with `unitMs` (e.g. 0.01: the log is taken
 * of the latency in units of 10 µs); the ratio form of ProxylessNAS then changes too, so keep the unit fixed
 * within a search.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.js';

type Scalar = tf.Scalar;

function positive(what: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) throw new UserError(`${what} must be a finite number > 0, got ${v}`);
}
function finite(what: string, v: number): void {
  if (!Number.isFinite(v)) throw new UserError(`${what} must be a finite number, got ${v}`);
}

export interface ProxylessAdditiveOptions {
  /** λ, default 0.1 (ProxylessNAS's `grad_reg_loss_lambda`). */
  lambda?: number;
  targetMs: number;
}

/** ProxylessNAS "add#linear": CE + λ·(LAT − T)/T. */
export function proxylessAdditiveLoss(ce: Scalar, latMs: Scalar, opts: ProxylessAdditiveOptions): Scalar {
  const lambda = opts.lambda ?? 0.1;
  finite('ProxylessNAS additive loss: λ', lambda);
  positive('ProxylessNAS additive loss: target T (ms)', opts.targetMs);
  return tf.tidy(() => tf.add(ce, tf.mul(lambda, tf.div(tf.sub(latMs, opts.targetMs), opts.targetMs))) as Scalar);
}

export interface ProxylessMultiplicativeOptions {
  /** α, default 0.2 (ProxylessNAS's `grad_reg_loss_alpha`). */
  alpha?: number;
  /** β, default 0.3 (ProxylessNAS's `grad_reg_loss_beta`). */
  beta?: number;
  targetMs: number;
  /** The log is taken of latency / unitMs; default 1 (ms). */
  unitMs?: number;
}

/** α (default 0.2), β and the log unit (default 1 ms) of a log form CE · α · (log …)^β, checked; `form` names it in messages. */
function logFormParams(form: string, opts: { alpha?: number; beta?: number; unitMs?: number }, defaultBeta: number): { alpha: number; beta: number; unit: number } {
  const alpha = opts.alpha ?? 0.2;
  const beta = opts.beta ?? defaultBeta;
  const unit = opts.unitMs ?? 1;
  finite(`${form}: α`, alpha);
  finite(`${form}: β`, beta);
  positive(`${form}: unitMs`, unit);
  return { alpha, beta, unit };
}

/** ProxylessNAS "mul#log": CE · α · (log LAT / log T)^β. */
export function proxylessMultiplicativeLoss(ce: Scalar, latMs: Scalar, opts: ProxylessMultiplicativeOptions): Scalar {
  const { alpha, beta, unit } = logFormParams('ProxylessNAS multiplicative loss', opts, 0.3);
  positive('ProxylessNAS multiplicative loss: target T (ms)', opts.targetMs);
  if (opts.targetMs <= unit)
    throw new UserError(`ProxylessNAS multiplicative loss: target ${opts.targetMs} ms must exceed the log unit ${unit} ms (log T would be ≤ 0)`, {
      hint: 'pass a smaller unitMs, e.g. 0.01',
    });
  const logT = Math.log(opts.targetMs / unit);
  return tf.tidy(() => tf.mul(tf.mul(ce, alpha), tf.pow(tf.div(tf.log(tf.div(latMs, unit)), logT), beta)) as Scalar);
}

export interface FbnetOptions {
  /** α, default 0.2 (FBNet paper). */
  alpha?: number;
  /** β, default 0.6 (FBNet paper). */
  beta?: number;
  /** The log is taken of latency / unitMs; default 1 (ms). */
  unitMs?: number;
}

/**
 * FBNet (Wu et al. 2019, eq. 2): CE · α · (log LAT)^β.
 *
 * The exponent applies to the LOG of the latency. A known bug in public re-implementations puts it on
 * the latency itself, log(LAT^β) = β·log LAT: the penalty then grows like log LAT, not like the
 * sub-linear (log LAT)^β of the paper, and the balance α, β were tuned for is lost. A test pins the
 * paper's form.
 */
export function fbnetLoss(ce: Scalar, latMs: Scalar, opts: FbnetOptions = {}): Scalar {
  const { alpha, beta, unit } = logFormParams('FBNet loss', opts, 0.6);
  return tf.tidy(() => tf.mul(tf.mul(ce, alpha), tf.pow(tf.log(tf.div(latMs, unit)), beta)) as Scalar);
}

export interface TunasOptions {
  /** β < 0: reward lost per unit of relative distance from the target. */
  beta: number;
  targetMs: number;
}

function checkTunas(opts: TunasOptions): void {
  if (!Number.isFinite(opts.beta) || opts.beta >= 0)
    throw new UserError(`TuNAS absolute reward: β must be a finite negative number (it penalises distance from the target), got ${opts.beta}`);
  positive('TuNAS absolute reward: target T (ms)', opts.targetMs);
}

/** TuNAS absolute reward (Bender et al. 2020): Q + β·|LAT/T − 1|, to maximise; Q is a quality such as accuracy. */
export function tunasAbsoluteReward(quality: Scalar, latMs: Scalar, opts: TunasOptions): Scalar {
  checkTunas(opts);
  return tf.tidy(() => tf.add(quality, tf.mul(opts.beta, tf.abs(tf.sub(tf.div(latMs, opts.targetMs), 1)))) as Scalar);
}

/** The TuNAS absolute reward as a loss to minimise, with quality Q = −CE: CE − β·|LAT/T − 1|. */
export function tunasAbsoluteLoss(ce: Scalar, latMs: Scalar, opts: TunasOptions): Scalar {
  return tf.tidy(() => tf.neg(tunasAbsoluteReward(tf.neg(ce) as Scalar, latMs, opts)) as Scalar);
}
