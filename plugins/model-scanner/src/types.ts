/**
 * Shared types of the model scanner. The engine (pickle machine, containers, CLI)
 * and every format module build against these. Keep this file free of I/O.
 */

/** Ordered from harmless to worst. */
export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

/**
 * The verdict of one file.
 * - safe: nothing but allowlisted content was seen.
 * - suspicious: something outside the allowlists, or a structural anomaly.
 * - malicious: a known code-execution primitive or exploit technique.
 * - error: the file could not be scanned and nothing was found before the failure.
 * Findings outrank errors: a file with a malicious finding and a parse error is malicious.
 */
export type Verdict = 'safe' | 'suspicious' | 'malicious' | 'error';

export interface FindingLocation {
  /** Byte offset in the file (or in the archive member, when `member` is set). */
  offset?: number;
  /** Pickle opcode name at that offset, e.g. "STACK_GLOBAL". */
  opcode?: string;
  /** Archive member path ("archive/data.pkl"), or nested chain "a.zip!/b/data.pkl". */
  member?: string;
  /** JSON path / config path ("config.layers[3].config.layers[0]"), template position, tensor name. */
  path?: string;
}

export interface Finding {
  /** Stable rule id, e.g. "PICKLE_DANGEROUS_GLOBAL", "ZIP_DUPLICATE_NAME". */
  ruleId: string;
  severity: Severity;
  /** One sentence in plain words: what was seen and why it matters. */
  message: string;
  location?: FindingLocation;
  /** e.g. ["CWE-502"] */
  cwe?: string[];
  /** MITRE ATLAS technique ids, e.g. ["AML.T0010.003", "AML.T0011.000"] */
  atlas: string[];
  /** Machine-readable extras (the global "os.system", the Keras layer class, ...). */
  details?: Record<string, unknown>;
}

export interface FileScanResult {
  path: string;
  /** Hex SHA-256 of the whole file; "" when hashing was disabled. */
  sha256: string;
  size: number;
  /** Detected by content: "pickle", "pytorch-zip", "pytorch-legacy", "pytorch-tar", "numpy", "numpy-npz",
   * "joblib", "keras-h5", "keras-v3", "tf-savedmodel", "onnx", "gguf", "safetensors", "tokenizer-config",
   * "zip", "tar", "text", "unknown", ... */
  format: string;
  verdict: Verdict;
  /** Highest severity among findings ("none" when there are none). */
  severity: Severity;
  findings: Finding[];
  errors: string[];
  durationMs?: number;
  /**
   * Every global the file's pickles import ("module.name", allowlisted ones included, at most 500),
   * for reviewers; absent when the file holds no pickle.
   */
  pickleImports?: string[];
  /**
   * Files this model file names as its raw tensor data, relative to the file's folder (ONNX
   * external_data locations, the data shards of a TensorFlow checkpoint index). Absent when none.
   * `scanFiles`/`scanDirectory` use them to classify those siblings as `tensor-data`.
   */
  references?: string[];
}

export interface ScanLimits {
  /** Max pickle opcodes per pickle stream. */
  maxOpcodes: number;
  /** Max memo entries per pickle stream. */
  maxMemo: number;
  /** Max nesting depth (archives in archives, pickles in pickles). */
  maxDepth: number;
  /** Max total decompressed bytes per file. */
  maxDecompressedBytes: number;
  /** Max compression ratio of one member before it is a zip-bomb finding. */
  maxCompressionRatio: number;
  /** Max archive members inspected. */
  maxMembers: number;
}

/** Random-access, bounded reads of a file or an archive member; never loads it whole. */
export interface ByteSource {
  readonly size: number;
  /** Reads up to `length` bytes at `offset` (fewer at the end). */
  read(offset: number, length: number): Promise<Buffer>;
  /** A human-readable name for locations ("model.pt", "model.pt!/archive/data.pkl"). */
  readonly name: string;
}

/** What a format module receives. */
export interface FormatScanContext {
  source: ByteSource;
  limits: ScanLimits;
  /** Depth of nesting (0 for the top-level file). */
  depth: number;
  report(finding: Finding): void;
  error(message: string): void;
  /** Scan an embedded object (an archive member, nested pickle bytes) with content detection. */
  scanNested(source: ByteSource): Promise<void>;
  /** Set the detected format of the top-level file (format modules may refine it). */
  setFormat(format: string): void;
  /**
   * Records a sibling file (path relative to this file's folder) that this model names as its raw
   * tensor data. Ignored for nested objects. Optional so older contexts stay valid.
   */
  addReference?(relativePath: string): void;
}

/** One format module: content detection plus a scanner. */
export interface FormatScanner {
  /** e.g. "gguf" */
  id: string;
  /**
   * Returns a confidence (0 = not this format, higher wins) from the first bytes of the content
   * (at least 4096 bytes when available) and the name (a hint only, never sufficient alone).
   */
  detect(head: Buffer, hint: { name: string; size: number }): number;
  scan(ctx: FormatScanContext): Promise<void>;
}
