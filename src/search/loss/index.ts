/** Differentiable latency losses over a layer-wise latency table (tfjs). */
export { LayerLatencyTable, type LayerTableOptions } from './layer-table.js';
export { expectedLatency, gumbelSoftmax, sampledLatency, type Alpha, type GumbelOptions } from './expected-latency.js';
export {
  fbnetLoss,
  proxylessAdditiveLoss,
  proxylessMultiplicativeLoss,
  tunasAbsoluteLoss,
  tunasAbsoluteReward,
  type FbnetOptions,
  type ProxylessAdditiveOptions,
  type ProxylessMultiplicativeOptions,
  type TunasOptions,
} from './forms.js';
