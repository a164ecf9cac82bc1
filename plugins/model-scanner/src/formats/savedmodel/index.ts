/**
 * TensorFlow SavedModel (`saved_model.pb`) and frozen GraphDef scanner. Walks SavedModel →
 * MetaGraphDef → GraphDef → NodeDef and the function library (FunctionDef.node_def) through
 * the protobuf wire format and flags operations that run Python or touch the file system.
 * SaveV2/RestoreV2/MergeV2Checkpoints are part of every SavedModel's saver and are flagged
 * only outside the saver's own nodes and functions.
 */
import type { FormatScanContext, FormatScanner, Severity } from '../../types';
import { CachedReader } from '../onnx/cachedReader';
import { analyzeKerasConfig } from '../keras/analyzeConfig';
import { externalPathProblem } from '../onnx';
import { JsonSyntaxError, parseJson } from '../tokenizerConfig/boundedJson';
import { headFields, PbField, ProtoError, ProtoReader, WIRE_LEN } from '../onnx/protobuf';

export const savedModelRules: Record<string, string> = {
  TF_PYFUNC_OP: 'The graph calls back into Python (PyFunc / EagerPyFunc); executing the model runs Python code.',
  TF_FILE_ACCESS_OP: 'The graph reads or writes files (ReadFile, WriteFile, readers, datasets, summary writers) when the model runs.',
  TF_UNUSUAL_SAVE_RESTORE: 'A checkpoint save/restore op appears outside the standard saver; it can read or write arbitrary files.',
  TF_CUSTOM_OP: 'The graph uses a namespaced custom op that needs a native library.',
  TF_SAVEDMODEL_MALFORMED: 'The SavedModel protobuf is malformed.',
  TF_ASSET_PATH_TRAVERSAL: 'An asset of the SavedModel names a file outside the assets folder; loading reads that file.',
};

const PY_OPS = new Set(['PyFunc', 'PyFuncStateless', 'EagerPyFunc']);
const FILE_OPS: Record<string, Severity> = {
  ReadFile: 'high', WriteFile: 'critical', MatchingFiles: 'high', ImmutableConst: 'high',
  WholeFileReader: 'high', WholeFileReaderV2: 'high', TextLineReader: 'high', TextLineReaderV2: 'high',
  FixedLengthRecordReader: 'high', FixedLengthRecordReaderV2: 'high', TFRecordReader: 'high', TFRecordReaderV2: 'high',
  LMDBReader: 'high', TextLineDataset: 'high', TFRecordDataset: 'high', TFRecordDatasetV2: 'high',
  FixedLengthRecordDataset: 'high', FixedLengthRecordDatasetV2: 'high', CSVDataset: 'high', CSVDatasetV2: 'high',
  ExperimentalCSVDataset: 'high', SqlDataset: 'high', ExperimentalSqlDataset: 'high', LMDBDataset: 'high',
  ExperimentalLMDBDataset: 'high', DatasetToTFRecord: 'high', ExperimentalDatasetToTFRecord: 'high',
  SaveDataset: 'high', SaveDatasetV2: 'high', LoadDataset: 'high', ExperimentalSaveDataset: 'high',
  CreateSummaryFileWriter: 'high', CreateSummaryDbWriter: 'high', SummaryWriter: 'high',
  DebugIdentity: 'high', DebugIdentityV2: 'high', DebugIdentityV3: 'high', DebugNanCount: 'high', DebugNumericSummary: 'high', DebugNumericSummaryV2: 'high',
  DecodeProtoV2: 'medium', EncodeProto: 'medium',
};
const SAVE_RESTORE = new Set(['Save', 'SaveSlices', 'SaveV2', 'Restore', 'RestoreSlice', 'RestoreV2', 'MergeV2Checkpoints']);
const SAVER_NAME = /(?:^|\/)(?:save|saver|restore|checkpoint)(?:_\d+)?\//i;
const SAVER_FUNCTION = /_traced_(?:save|restore)_\d+$|_(?:save|restore)_fn_\d+$|^(?:save|restore)(?:_fn)?(?:_\d+)?$/;

interface NodeInfo {
  name: string;
  op: string;
  attrs: Record<string, string>;
  offset: number;
}

class SavedModelWalker {
  count = 0;
  constructor(readonly pb: ProtoReader, readonly ctx: FormatScanContext) {}

  async savedModel(start: number, end: number) {
    for await (const f of this.pb.fields(start, end)) {
      if (f.field === 2 && f.wire === WIRE_LEN) await this.metaGraph(f.start, f.end);
    }
  }
  async metaGraph(start: number, end: number) {
    for await (const f of this.pb.fields(start, end)) {
      if (f.field === 2 && f.wire === WIRE_LEN) await this.graphDef(f.start, f.end);
      else if (f.field === 6 && f.wire === WIRE_LEN) await this.assetFileDef(f);
      else if (f.field === 7 && f.wire === WIRE_LEN) await this.objectGraph(f);
    }
  }
  /** SavedObjectGraph: Keras layers keep their JSON config in SavedUserObject.metadata */
  async objectGraph(f: PbField) {
    let index = 0;
    for await (const node of this.pb.fields(f.start, f.end)) {
      if (node.field !== 1 || node.wire !== WIRE_LEN) continue;
      const nodeIndex = index++;
      for await (const kind of this.pb.fields(node.start, node.end)) {
        if (kind.field !== 4 || kind.wire !== WIRE_LEN) continue;
        for await (const u of this.pb.fields(kind.start, kind.end)) {
          if (u.field === 3 && u.wire === WIRE_LEN) await this.kerasMetadata(u, `object_graph.nodes[${nodeIndex}].user_object.metadata`);
        }
      }
    }
  }
  /** keras_metadata.pb: SavedMetadata { repeated SavedObject nodes = 1 { ... string metadata = 5 } } */
  async kerasMetadataFile(start: number, end: number) {
    let index = 0;
    for await (const node of this.pb.fields(start, end)) {
      if (node.field !== 1 || node.wire !== WIRE_LEN) continue;
      const nodeIndex = index++;
      for await (const g of this.pb.fields(node.start, node.end)) {
        if (g.field === 5 && g.wire === WIRE_LEN) await this.kerasMetadata(g, `nodes[${nodeIndex}].metadata`);
      }
    }
  }
  async kerasMetadata(f: PbField, where: string) {
    const text = await this.pb.string(f, 64 * 1024 * 1024);
    if (!text || !text.trimStart().startsWith('{')) return;
    let value;
    try {
      value = parseJson(text).value;
    } catch (e) {
      if (e instanceof JsonSyntaxError) this.ctx.error(`${where}: Keras metadata is not valid JSON (${e.message})`);
      return;
    }
    await analyzeKerasConfig(value, r => this.ctx.report({ ...r, location: { ...r.location, offset: f.start } }), {
      where,
      scanNested: s => this.ctx.scanNested(s),
      depth: this.ctx.depth,
      maxDepth: this.ctx.limits.maxDepth,
    });
  }
  async assetFileDef(f: PbField) {
    for await (const g of this.pb.fields(f.start, f.end)) {
      if (g.field !== 2 || g.wire !== WIRE_LEN) continue;
      const filename = (await this.pb.string(g, 64 * 1024)) ?? '<very long>';
      const problem = externalPathProblem(filename);
      if (problem && this.count++ < 200) {
        this.ctx.report({
          ruleId: 'TF_ASSET_PATH_TRAVERSAL',
          severity: 'high',
          message: `An asset file is named "${filename.slice(0, 200)}", ${problem}; TensorFlow reads assets relative to the model folder, so loading reads that file.`,
          location: { path: 'meta_graph.asset_file_def', offset: g.start },
          cwe: ['CWE-22'],
          atlas: ['AML.T0010.003', 'AML.T0025'],
          details: { filename: filename.slice(0, 1000) },
        });
      }
    }
  }
  async graphDef(start: number, end: number) {
    for await (const f of this.pb.fields(start, end)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === 1) this.check(await this.nodeDef(f), undefined);
      else if (f.field === 2) {
        for await (const fn of this.pb.fields(f.start, f.end)) {
          if (fn.field === 1 && fn.wire === WIRE_LEN) await this.functionDef(fn);
        }
      }
    }
  }
  async functionDef(f: PbField) {
    let name = '';
    const nodes: PbField[] = [];
    for await (const g of this.pb.fields(f.start, f.end)) {
      if (g.wire !== WIRE_LEN) continue;
      if (g.field === 1) {
        for await (const s of this.pb.fields(g.start, g.end)) if (s.field === 1 && s.wire === WIRE_LEN) name = (await this.pb.string(s, 4096)) ?? '';
      } else if (g.field === 3) nodes.push(g);
    }
    for (const n of nodes) this.check(await this.nodeDef(n), name);
  }
  async nodeDef(f: PbField): Promise<NodeInfo> {
    const info: NodeInfo = { name: '', op: '', attrs: {}, offset: f.start };
    for await (const g of this.pb.fields(f.start, f.end)) {
      if (g.wire !== WIRE_LEN) continue;
      if (g.field === 1) info.name = (await this.pb.string(g, 4096)) ?? '';
      else if (g.field === 2) info.op = (await this.pb.string(g, 4096)) ?? '';
      else if (g.field === 5 && Object.keys(info.attrs).length < 32) {
        let key = '';
        let s: string | undefined;
        for await (const e of this.pb.fields(g.start, g.end)) {
          if (e.field === 1 && e.wire === WIRE_LEN) key = (await this.pb.string(e, 256)) ?? '';
          if (e.field === 2 && e.wire === WIRE_LEN) {
            for await (const a of this.pb.fields(e.start, e.end)) if (a.field === 2 && a.wire === WIRE_LEN) s = await this.pb.string(a, 4096);
          }
        }
        if (key && s !== undefined) info.attrs[key] = s;
      }
    }
    return info;
  }

  private report(n: NodeInfo, fn: string | undefined, ruleId: string, severity: Severity, message: string, cwe: string[], atlas: string[]) {
    if (this.count++ > 200) return;
    this.ctx.report({
      ruleId,
      severity,
      message,
      location: { path: fn ? `library.${fn}/${n.name}` : `graph/${n.name}`, offset: n.offset },
      cwe,
      atlas,
      details: { op: n.op, node: n.name, function: fn, attributes: Object.keys(n.attrs).length ? n.attrs : undefined },
    });
  }

  check(n: NodeInfo, fn: string | undefined) {
    const where = fn ? `in function ${fn}` : 'in the graph';
    if (PY_OPS.has(n.op)) {
      this.report(n, fn, 'TF_PYFUNC_OP', 'critical', `Node "${n.name}" ${where} is a ${n.op}: running the model calls a Python function${n.attrs.token ? ` (token ${n.attrs.token})` : ''}.`, ['CWE-94', 'CWE-502'], ['AML.T0011.000', 'AML.T0018.002', 'AML.T0010.003']);
    } else if (FILE_OPS[n.op]) {
      this.report(n, fn, 'TF_FILE_ACCESS_OP', FILE_OPS[n.op], `Node "${n.name}" ${where} is a ${n.op}, which reads or writes files when the model runs.`, ['CWE-73'], ['AML.T0010.003', 'AML.T0018.002', 'AML.T0025']);
    } else if (n.op === 'PrintV2' && n.attrs.output_stream && /^file:/i.test(n.attrs.output_stream)) {
      this.report(n, fn, 'TF_FILE_ACCESS_OP', 'high', `Node "${n.name}" ${where} prints to the file ${n.attrs.output_stream}.`, ['CWE-73'], ['AML.T0010.003', 'AML.T0018.002']);
    } else if (SAVE_RESTORE.has(n.op) && !SAVER_NAME.test(n.name) && !(fn && SAVER_FUNCTION.test(fn))) {
      this.report(n, fn, 'TF_UNUSUAL_SAVE_RESTORE', 'medium', `Node "${n.name}" ${where} is a ${n.op} outside the standard saver; it can read or write arbitrary files when the model runs.`, ['CWE-73'], ['AML.T0010.003']);
    } else if (n.op.includes('>')) {
      this.report(n, fn, 'TF_CUSTOM_OP', 'medium', `Node "${n.name}" ${where} uses the custom op ${n.op}, which needs a native library.`, ['CWE-829'], ['AML.T0010.003']);
    }
  }
}

function isKerasMetadata(head: Buffer): boolean {
  const fields = headFields(head, 2);
  return !!fields && fields[0]?.field === 1 && fields[0]?.wire === WIRE_LEN && head.subarray(0, 512).includes('_tf_keras_');
}

/** fingerprint.pb: FingerprintDef { uint64 fields 1-5, VersionDef version = 6 } */
function isFingerprint(head: Buffer, size: number): boolean {
  if (size > 4096) return false;
  const fields = headFields(head, 8);
  if (!fields || fields.length < 3) return false;
  return fields.every(f => (f.field >= 1 && f.field <= 5 && f.wire === 0) || (f.field === 6 && f.wire === 2)) && fields.filter(f => f.wire === 0).length >= 3;
}

const LEVELDB_TABLE_MAGIC = Buffer.from('57fb808b247547db', 'hex');

/** TensorFlow checkpoint index (variables.index): a LevelDB table whose first entry has the empty key. */
function isCheckpointIndex(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] > 0 && head[2] < 64 && head[3] === 0x08;
}

/**
 * The data shards a checkpoint index names: its header entry (empty key) holds BundleHeaderProto, whose
 * field 1 is num_shards; TensorFlow writes the shards next to the index as
 * `<prefix>.data-NNNNN-of-MMMMM` (prefix = the index file name without `.index`).
 */
function checkpointShards(head: Buffer, ctx: FormatScanContext) {
  if (ctx.depth !== 0 || !ctx.addReference) return;
  let shards = 0;
  let shift = 0;
  for (let i = 4; i < Math.min(head.length, 9); i++) {
    shards |= (head[i] & 0x7f) << shift;
    shift += 7;
    if (!(head[i] & 0x80)) break;
  }
  if (shards < 1 || shards > 10_000) return;
  const base = ctx.source.name.split(/[\\/]/).pop() ?? '';
  if (!/\.index$/.test(base)) return;
  const prefix = base.slice(0, -'.index'.length);
  const pad = (n: number) => String(n).padStart(5, '0');
  for (let i = 0; i < shards; i++) ctx.addReference(`${prefix}.data-${pad(i)}-of-${pad(shards)}`);
}

function detect(head: Buffer, hint: { name: string; size: number }): number {
  if (isKerasMetadata(head)) return 85;
  if (isFingerprint(head, hint.size)) return /(^|[\\/])fingerprint\.pb$/.test(hint.name) ? 70 : 45;
  if (isCheckpointIndex(head) && /\.index$/.test(hint.name)) return 60;
  const fields = headFields(head, 4);
  if (!fields || fields.length < 2) return 0;
  const [a, b] = fields;
  // SavedModel: saved_model_schema_version (1, varint) then meta_graphs (2, message starting with a MetaGraphDef field)
  if (a.field === 1 && a.wire === 0 && (a.varint ?? 99) <= 3 && b.field === 2 && b.wire === 2) {
    const first = head[b.start];
    if ([0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x32, 0x3a].includes(first)) return /saved_model\.pb$/i.test(hint.name) ? 90 : 70;
  }
  // SavedModel written with meta_graphs first (or the schema version omitted): only with its usual name
  if (/(?:^|[\\/])saved_model\.pb$/i.test(hint.name) && a.field === 2 && a.wire === 2 && [0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x32, 0x3a].includes(head[a.start])) return 60;
  // frozen GraphDef: repeated node (1) whose NodeDef starts with its name (1) then op (2)
  if (/\.pb$/i.test(hint.name) && a.field === 1 && a.wire === 2 && head[a.start] === 0x0a) {
    const inner = headFields(head.subarray(a.start, Math.min(a.end, head.length)), 3);
    if (inner && inner.length >= 2 && inner[0].field === 1 && inner[1].field === 2) return 40;
  }
  return 0;
}

async function scan(ctx: FormatScanContext): Promise<void> {
  const reader = new CachedReader(ctx.source);
  const pb = new ProtoReader(reader);
  const walker = new SavedModelWalker(pb, ctx);
  const head = await reader.bytes(0, 4096);
  const fields = headFields(head.subarray(0, 64), 2);
  const kerasMeta = isKerasMetadata(head);
  if (!kerasMeta && isFingerprint(head, ctx.source.size)) {
    // nothing executable in a fingerprint; it is claimed so that a SavedModel folder has no unknown files
    if (ctx.depth === 0) ctx.setFormat('tf-fingerprint');
    return;
  }
  if (!kerasMeta && isCheckpointIndex(head)) {
    if (ctx.depth === 0) ctx.setFormat('tf-checkpoint-index');
    const size = ctx.source.size;
    const footer = size >= 48 ? await reader.bytes(size - 8, 8) : Buffer.alloc(0);
    if (!footer.equals(LEVELDB_TABLE_MAGIC)) ctx.error('TensorFlow checkpoint index without the table footer magic');
    else checkpointShards(head, ctx);
    return;
  }
  const isGraphDef = !kerasMeta && !!fields && fields[0]?.field === 1 && fields[0]?.wire === 2;
  let format = isGraphDef ? 'tf-graphdef' : 'tf-savedmodel';
  if (kerasMeta) format = 'keras-metadata';
  if (ctx.depth === 0) ctx.setFormat(format);
  try {
    if (kerasMeta) await walker.kerasMetadataFile(0, ctx.source.size);
    else if (isGraphDef) await walker.graphDef(0, ctx.source.size);
    else await walker.savedModel(0, ctx.source.size);
  } catch (e) {
    if (!(e instanceof ProtoError)) throw e;
    ctx.report({
      ruleId: 'TF_SAVEDMODEL_MALFORMED',
      severity: 'medium',
      message: `The SavedModel protobuf is malformed (${e.message}).`,
      location: { offset: e.offset },
      cwe: ['CWE-20'],
      atlas: ['AML.T0010.003', 'AML.T0076'],
    });
  }
}

export const savedModelScanner: FormatScanner = { id: 'tf-savedmodel', detect, scan };
