/**
 * Which blobs are model weights: by file extension, or (for names that say nothing) by the magic
 * bytes at the start of the file.
 */

const EXTENSIONS: Record<string, string> = {
  '.safetensors': 'safetensors', '.gguf': 'gguf', '.ggml': 'ggml', '.bin': 'pytorch-bin', '.pt': 'pytorch', '.pth': 'pytorch',
  '.ckpt': 'checkpoint', '.pkl': 'pickle', '.pickle': 'pickle', '.joblib': 'joblib', '.onnx': 'onnx', '.h5': 'hdf5', '.hdf5': 'hdf5',
  '.keras': 'keras', '.npy': 'numpy', '.npz': 'numpy', '.msgpack': 'flax-msgpack', '.tflite': 'tflite', '.pb': 'tensorflow',
  '.mlmodel': 'coreml', '.nemo': 'nemo', '.distcp': 'torch-distcp', '.model': 'sentencepiece',
};

/** Extension-based format, or undefined. Multi-part names (`model-00001-of-00004.safetensors`) included. */
export function formatFromName(name: string): string | undefined {
  const lower = name.toLowerCase();
  const dot = lower.lastIndexOf('.');
  if (dot < 0) return undefined;
  return EXTENSIONS[lower.slice(dot)];
}

/** Format from the first bytes of a file (at least 16 bytes recommended), or undefined. */
export function formatFromMagic(head: Uint8Array): string | undefined {
  const b = head;
  const ascii = (start: number, s: string) => s.split('').every((c, i) => b[start + i] === c.charCodeAt(0));
  if (b.length >= 4 && ascii(0, 'GGUF')) return 'gguf';
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 'HDF\r\n')) return 'hdf5';
  if (b.length >= 6 && b[0] === 0x93 && ascii(1, 'NUMPY')) return 'numpy';
  if (b.length >= 2 && b[0] === 0x80 && b[1] >= 2 && b[1] <= 5) return 'pickle';
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) {
    // zip: PyTorch archives name `<x>/data.pkl`; Keras v3 `config.json`/`model.weights.h5`
    const text = Buffer.from(b).toString('latin1');
    if (/data\.pkl|\/version|archive\//.test(text)) return 'pytorch';
    if (/model\.weights\.h5|config\.json/.test(text)) return 'keras';
    return undefined;
  }
  if (b.length >= 10) {
    // safetensors: u64 little-endian header length, then a JSON object
    const len = Number(Buffer.from(b.slice(0, 8)).readBigUInt64LE(0));
    if (len > 1 && len < 100_000_000 && b[8] === 0x7b && (b[9] === 0x22 || b[9] === 0x7d || b[9] === 0x20)) return 'safetensors';
  }
  return undefined;
}

/** How many leading bytes the magic check needs. */
export const MAGIC_BYTES = 512;
