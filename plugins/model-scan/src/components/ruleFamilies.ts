/**
 * What a family of scanner rules is about, in plain words, for people who
 * are not pickle experts. The finding's own message says what was seen.
 */
const FAMILIES: Array<[prefix: string, explanation: string]> = [
  [
    'PICKLE',
    'Pickle data can run any Python code while it is being loaded (torch.load, joblib.load, numpy.load with allow_pickle). The scanner reads the pickle as a program, without running it, and reports what it would import or call.',
  ],
  [
    'TORCH',
    'PyTorch checkpoints contain pickle data; loading one runs whatever that pickle asks for.',
  ],
  [
    'KERAS',
    'Keras models can carry Python code (Lambda layers, custom objects) that runs when the model is loaded.',
  ],
  [
    'TF',
    'TensorFlow graphs can contain operations that read or write files or run Python when the model is executed.',
  ],
  [
    'ONNX',
    'ONNX models can point at external data files or custom operators; paths leaving the model folder can read or overwrite other files.',
  ],
  [
    'GGUF',
    'GGUF files carry metadata such as chat templates, which are executed as Jinja templates when the model is served.',
  ],
  [
    'TOKENIZER',
    'Tokenizer configurations carry chat templates, which are executed as Jinja templates when the model is served.',
  ],
  [
    'SAFETENSORS',
    'Safetensors files hold only tensors; a malformed header or overlapping offsets can crash or mislead the loader.',
  ],
  [
    'NUMPY',
    'NumPy files with object arrays contain pickle data and can run code when loaded with allow_pickle.',
  ],
  [
    'ZIP',
    'The file is a zip archive; odd structure (duplicate or mismatched names, path traversal, bombs) can hide content from scanners or write outside the target folder.',
  ],
  [
    'ARCHIVE',
    'Archive members can escape the extraction folder, link to other files or expand to enormous sizes.',
  ],
  [
    'POLYGLOT',
    'The file is valid in more than one format, so different tools may read different content from it.',
  ],
  [
    'MASQUERADING',
    'The content does not match what the file name or extension claims.',
  ],
  ['CLAMAV', 'The ClamAV antivirus engine recognised a known malware signature.'],
  ['UNKNOWN', 'The scanner does not recognise this format, so it cannot vouch for it.'],
];

export function explainRuleFamily(ruleId: string): string | undefined {
  const id = ruleId.toUpperCase();
  return FAMILIES.find(([prefix]) => id === prefix || id.startsWith(`${prefix}_`))?.[1];
}
