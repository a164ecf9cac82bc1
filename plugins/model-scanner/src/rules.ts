import type { Finding, Severity } from './types';

/** MITRE ATLAS techniques the scanner emits (titles and links for reports and the UI). */
export const atlasTechniques: Record<
  string,
  { id: string; name: string; url: string }
> = Object.fromEntries(
  (
    [
      ['AML.T0010.003', 'AI Supply Chain Compromise: Model'],
      ['AML.T0011.000', 'User Execution: Unsafe AI Artifacts'],
      ['AML.T0018.002', 'Manipulate AI Model: Embed Malware'],
      ['AML.T0076', 'Corrupt AI Model'],
      ['AML.T0074', 'Masquerading'],
      ['AML.T0029', 'Denial of AI Service'],
      ['AML.T0050', 'Command and Scripting Interpreter'],
      ['AML.T0058', 'Publish Poisoned Models'],
      ['AML.T0025', 'Exfiltration via Cyber Means'],
    ] as const
  ).map(([id, name]) => [
    id,
    { id, name, url: `https://atlas.mitre.org/techniques/${id}` },
  ]),
);

export interface RuleInfo {
  title: string;
  /** Plain-words explanation for people reading a report. */
  explanation: string;
  defaultSeverity: Severity;
  atlas: string[];
  cwe?: string[];
}

const CODE_EXEC = ['AML.T0010.003', 'AML.T0011.000', 'AML.T0018.002'];
const CORRUPT = ['AML.T0076'];

/** Every rule id the engine emits (format modules may add their own ids). */
export const rules: Record<string, RuleInfo> = {
  PICKLE_DANGEROUS_GLOBAL: {
    title: 'Pickle imports a code-execution primitive',
    explanation:
      'The pickle refers to a function or module that can run commands or code (for example os.system, builtins.eval, subprocess). Loading the file runs it.',
    defaultSeverity: 'critical',
    atlas: CODE_EXEC,
    cwe: ['CWE-502'],
  },
  PICKLE_DANGEROUS_CALL: {
    title: 'Pickle calls a code-execution primitive',
    explanation:
      'The pickle program calls a dangerous callable (REDUCE, NEWOBJ, OBJ, INST or BUILD/__setstate__). Loading the file executes that call.',
    defaultSeverity: 'critical',
    atlas: CODE_EXEC,
    cwe: ['CWE-502'],
  },
  PICKLE_NON_ALLOWLISTED_GLOBAL: {
    title: 'Pickle imports something outside the allowlists',
    explanation:
      'The pickle refers to a class or function that legitimate PyTorch, NumPy, scikit-learn, XGBoost, LightGBM or joblib files do not use. Importing and calling it runs code chosen by the file author; review it before loading.',
    defaultSeverity: 'high',
    atlas: ['AML.T0010.003', 'AML.T0011.000'],
    cwe: ['CWE-502'],
  },
  PICKLE_NON_STRING_GLOBAL: {
    title: 'STACK_GLOBAL with computed operands',
    explanation:
      'The module or attribute name of an import is not a plain string (it is computed at load time). This is only done to hide what is imported.',
    defaultSeverity: 'critical',
    atlas: CODE_EXEC,
    cwe: ['CWE-502'],
  },
  PICKLE_CALL_OF_RESULT: {
    title: 'Pickle calls the result of another call',
    explanation:
      'A value returned by a call (for example getattr(obj, "system")) is itself called. This is how gadget chains reach arbitrary functions.',
    defaultSeverity: 'critical',
    atlas: CODE_EXEC,
    cwe: ['CWE-502'],
  },
  PICKLE_BUILD_ON_GLOBAL: {
    title: 'BUILD writes attributes of an imported object',
    explanation:
      'BUILD sets attributes on a module-level function or class instead of a freshly created object, which changes library behaviour at load time (a known gadget technique).',
    defaultSeverity: 'high',
    atlas: CODE_EXEC,
    cwe: ['CWE-502'],
  },
  PICKLE_UNKNOWN_EXTENSION: {
    title: 'Pickle uses an extension code',
    explanation:
      'EXT1/EXT2/EXT4 import whatever the copyreg extension registry maps the code to. Standard Python registers none, so the code points to an environment-specific or hidden import.',
    defaultSeverity: 'high',
    atlas: ['AML.T0010.003', 'AML.T0011.000'],
    cwe: ['CWE-502'],
  },
  PICKLE_NESTED_PICKLE: {
    title: 'Pickle embeds another serialized object passed to a loader',
    explanation:
      'Bytes inside the pickle are handed to a deserializer (pickle.loads, torch.load, marshal.loads, ...). The embedded object was scanned too.',
    defaultSeverity: 'critical',
    atlas: CODE_EXEC,
    cwe: ['CWE-502'],
  },
  PICKLE_PAYLOAD_BEFORE_ERROR: {
    title: 'Dangerous content followed by a broken pickle',
    explanation:
      'The pickle does something dangerous and then becomes invalid. Python runs everything before the error, so the payload executes while other scanners give up (the "nullifAI" evasion).',
    defaultSeverity: 'critical',
    atlas: ['AML.T0076', ...CODE_EXEC],
    cwe: ['CWE-502'],
  },
  PICKLE_FRAME_VIOLATION: {
    title: 'Pickle framing is inconsistent',
    explanation:
      'A FRAME length does not match the opcodes inside it (an opcode crosses a frame boundary, or a frame is larger than the file). Readers then disagree about what the bytes mean, which hides opcodes from scanners.',
    defaultSeverity: 'high',
    atlas: CORRUPT,
    cwe: ['CWE-502'],
  },
  PICKLE_LENGTH_OUT_OF_BOUNDS: {
    title: 'Length field larger than the file',
    explanation:
      'A length field in the pickle asks for more bytes than the file has left. The file is corrupt or crafted to exhaust memory.',
    defaultSeverity: 'medium',
    atlas: ['AML.T0076', 'AML.T0029'],
  },
  PICKLE_RESOURCE_LIMIT: {
    title: 'Pickle exceeds a resource limit',
    explanation:
      'The pickle has more opcodes, memo entries or stack depth than any model file needs; it may be built to exhaust memory or CPU (a pickle bomb).',
    defaultSeverity: 'medium',
    atlas: ['AML.T0029'],
  },
  PICKLE_MISPLACED_PROTO: {
    title: 'PROTO opcode in the middle of a pickle',
    explanation:
      'A protocol marker appears after the first opcode. Picklers never write this; it is used to change how the reader interprets later opcodes.',
    defaultSeverity: 'medium',
    atlas: CORRUPT,
  },
  PICKLE_TRAILING_DATA: {
    title: 'Data after the end of the pickle',
    explanation:
      'Bytes follow the final STOP opcode and are not another pickle. They are ignored by pickle.loads but could be read by other loaders.',
    defaultSeverity: 'low',
    atlas: [],
  },
  TORCH_LEGACY_FORMAT: {
    title: 'Legacy PyTorch serialization',
    explanation:
      'The file uses the pre-1.6 PyTorch format (stacked pickles or tar). Every pickle in it was scanned.',
    defaultSeverity: 'none',
    atlas: [],
  },
  ZIP_DUPLICATE_NAME: {
    title: 'Archive holds two members with the same name',
    explanation:
      'Different readers pick different copies of a duplicated name, so a scanner may check one copy while the loader uses the other.',
    defaultSeverity: 'high',
    atlas: ['AML.T0076', 'AML.T0074'],
  },
  ZIP_CASE_DUPLICATE_NAME: {
    title: 'Archive member names differ only by case',
    explanation:
      'On case-insensitive file systems these members overwrite each other when extracted.',
    defaultSeverity: 'medium',
    atlas: ['AML.T0074'],
  },
  ZIP_NAME_MISMATCH: {
    title: 'Local and central file names differ',
    explanation:
      'The name in the local header differs from the central directory. PyTorch uses the central directory while other tools use the local header, so tools see different files.',
    defaultSeverity: 'high',
    atlas: ['AML.T0076', 'AML.T0074'],
  },
  ZIP_ODD_FLAGS: {
    title: 'Unusual zip flag bits',
    explanation:
      'The member is marked encrypted, patched or strongly encrypted. PyTorch ignores these bits while Python zipfile refuses the member, a known scanner bypass.',
    defaultSeverity: 'medium',
    atlas: CORRUPT,
  },
  ZIP_CRC_MISMATCH: {
    title: 'CRC-32 mismatch',
    explanation:
      'The stored checksum does not match the content. PyTorch does not check it; the member was scanned anyway.',
    defaultSeverity: 'low',
    atlas: CORRUPT,
  },
  ZIP_MALFORMED: {
    title: 'Malformed archive structure',
    explanation:
      'The archive headers are inconsistent (bad signatures, sizes or offsets).',
    defaultSeverity: 'medium',
    atlas: CORRUPT,
  },
  ARCHIVE_PATH_TRAVERSAL: {
    title: 'Archive member escapes the extraction folder',
    explanation:
      'A member name is absolute or contains "..", so extracting the archive writes outside the target folder.',
    defaultSeverity: 'high',
    atlas: ['AML.T0010.003'],
    cwe: ['CWE-22'],
  },
  ARCHIVE_LINK: {
    title: 'Archive contains a link',
    explanation:
      'A symbolic or hard link member can point outside the extraction folder or replace files when extracted.',
    defaultSeverity: 'high',
    atlas: ['AML.T0010.003'],
    cwe: ['CWE-59'],
  },
  ARCHIVE_BOMB: {
    title: 'Decompression bomb',
    explanation:
      'A member expands far more than real model data does, or the archive exceeds the decompressed size limit; extracting it exhausts disk or memory.',
    defaultSeverity: 'high',
    atlas: ['AML.T0029'],
    cwe: ['CWE-409'],
  },
  ARCHIVE_TOO_DEEP: {
    title: 'Archives nested too deeply',
    explanation:
      'Archives are nested beyond the scan depth limit; the innermost content was not inspected.',
    defaultSeverity: 'medium',
    atlas: ['AML.T0029'],
  },
  ARCHIVE_TOO_MANY_MEMBERS: {
    title: 'Too many archive members',
    explanation:
      'The archive has more members than the scan limit; the rest were not inspected.',
    defaultSeverity: 'medium',
    atlas: ['AML.T0029'],
  },
  SCAN_TIME_LIMIT: {
    title: 'Scan time limit reached',
    explanation:
      'The scan stopped at its time limit (for example inside a long archive extraction); what came after that point was not inspected.',
    defaultSeverity: 'medium',
    atlas: ['AML.T0029'],
    cwe: ['CWE-400'],
  },
  MASQUERADING_EXTENSION: {
    title: 'File content does not match its extension',
    explanation:
      'The file name claims a safe format (for example .safetensors, .npy or .json) but the content is a pickle or another executable format.',
    defaultSeverity: 'high',
    atlas: ['AML.T0074'],
  },
  POLYGLOT_ZIP: {
    title: 'File is also a zip archive',
    explanation:
      'Besides its main format, the file ends with a valid zip directory, so zip-based loaders see different content than the main loader. The zip members were scanned too.',
    defaultSeverity: 'medium',
    atlas: ['AML.T0074', 'AML.T0076'],
  },
  NUMPY_OBJECT_ARRAY: {
    title: 'NumPy object array (pickle inside)',
    explanation:
      'The .npy array has an object dtype, so its data is a pickle that numpy.load(allow_pickle=True) executes; the pickle was scanned.',
    defaultSeverity: 'none',
    atlas: [],
  },
  NUMPY_MALFORMED: {
    title: 'Malformed NumPy header',
    explanation:
      'The .npy header cannot be parsed or does not match the file size.',
    defaultSeverity: 'medium',
    atlas: CORRUPT,
  },
  ARCHIVE_UNSUPPORTED: {
    title: 'Compressed or archived with a format the scanner cannot open',
    explanation:
      'The file is a container whose compression method the scanner cannot decode. Its content was not inspected, so it cannot be called safe.',
    defaultSeverity: 'medium',
    atlas: [],
  },
  ARCHIVE_ENCRYPTED: {
    title: 'Encrypted archive content',
    explanation:
      'An archive member (or the whole member list) is encrypted, so its content could not be inspected. Models are not shipped encrypted; a password passed along with the file is a way to get a payload past scanners.',
    defaultSeverity: 'high',
    atlas: ['AML.T0076', 'AML.T0010.003'],
  },
  ARCHIVE_MALFORMED: {
    title: 'Archive cannot be opened',
    explanation:
      'The file starts like a 7z or RAR archive but its structure is broken or truncated, so its members could not be listed. Nothing in it was inspected.',
    defaultSeverity: 'medium',
    atlas: CORRUPT,
  },
  UNKNOWN_FORMAT: {
    title: 'Unknown file format',
    explanation:
      'The content matches no format the scanner understands, so it could not be checked. Unknown is not safe.',
    defaultSeverity: 'medium',
    atlas: [],
  },
  PICKLE_POLYGLOT: {
    title: 'File is also a complete pickle',
    explanation:
      'The file is a valid file of another format (for example safetensors) and, read from its first byte, also a complete pickle program. A loader that unpickles it runs that program; the pickle reading was scanned too.',
    defaultSeverity: 'high',
    atlas: ['AML.T0074', 'AML.T0076'],
  },
  TENSOR_DATA: {
    title: 'Raw tensor data referenced by a model',
    explanation:
      'The file has no format of its own: a model file next to it (ONNX external data, a TensorFlow checkpoint index) names it as the raw bytes of its tensors. It was hashed and checked for embedded executable content, not parsed.',
    defaultSeverity: 'none',
    atlas: [],
  },
  TENSOR_DATA_EMBEDDED_CODE: {
    title: 'Executable content where raw tensor data belongs',
    explanation:
      'A file that a model names as raw tensor data starts with an executable (ELF, PE, Mach-O) or a script (#!). Tensor data never does: the file is a payload travelling with the model.',
    defaultSeverity: 'critical',
    atlas: ['AML.T0010.003', 'AML.T0018.002', 'AML.T0074'],
  },
  TENSOR_DATA_ARCHIVE: {
    title: 'Archive where raw tensor data belongs',
    explanation:
      'A file that a model names as raw tensor data is a zip archive. Tensor data is raw bytes; its members were scanned.',
    defaultSeverity: 'high',
    atlas: ['AML.T0074', 'AML.T0076'],
  },
  CLAMAV_FOUND: {
    title: 'ClamAV signature match',
    explanation: 'ClamAV recognised known malware in the file.',
    defaultSeverity: 'critical',
    atlas: ['AML.T0010.003'],
  },
};

/** Plain-words explanation of a rule id (unknown ids get a generic sentence). */
export function explainRule(ruleId: string): string {
  return (
    rules[ruleId]?.explanation ??
    `Rule ${ruleId}: see the finding message for details.`
  );
}

/** A finding of `ruleId`, with the rule's default severity, CWE and ATLAS techniques. */
export function finding(
  ruleId: string,
  message: string,
  location?: Finding['location'],
  details?: Record<string, unknown>,
  severity?: Severity,
): Finding {
  const r = rules[ruleId];
  return {
    ruleId,
    severity: severity ?? r?.defaultSeverity ?? 'medium',
    message,
    location,
    cwe: r?.cwe,
    atlas: r?.atlas ?? [],
    details,
  };
}
