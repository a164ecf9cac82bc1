/**
 * SentencePiece models (`tokenizer.model`, `spiece.model`): a protobuf ModelProto with
 * repeated pieces (field 1) and trainer/normalizer specs. Nothing in it is executable; it is
 * recognised (and its structure checked) so that a model repository has no unknown files.
 */
import type { FormatScanContext, FormatScanner } from '../../types';
import { CachedReader } from '../onnx/cachedReader';
import { headFields, ProtoError, ProtoReader, WIRE_LEN } from '../onnx/protobuf';

function detect(head: Buffer): number {
  const fields = headFields(head, 8);
  if (!fields || fields.length < 2 || fields[0].field !== 1 || fields[0].wire !== WIRE_LEN) return 0;
  // the first piece: SentencePiece { string piece = 1; float score = 2; Type type = 3 }
  const first = fields[0];
  const inner = headFields(head.subarray(first.start, Math.min(first.end, head.length)), 4);
  if (!inner || inner[0]?.field !== 1 || inner[0]?.wire !== WIRE_LEN) return 0;
  if (!inner.every(f => (f.field === 1 && f.wire === 2) || (f.field === 2 && f.wire === 5) || (f.field === 3 && f.wire === 0))) return 0;
  return fields.every(f => f.field >= 1 && f.field <= 5 && f.wire === WIRE_LEN) ? 55 : 0;
}

async function scan(ctx: FormatScanContext): Promise<void> {
  if (ctx.depth === 0) ctx.setFormat('sentencepiece');
  const pb = new ProtoReader(new CachedReader(ctx.source));
  let pieces = 0;
  try {
    for await (const f of pb.fields(0, ctx.source.size)) {
      if (f.field === 1 && f.wire === WIRE_LEN) pieces++;
    }
  } catch (e) {
    if (!(e instanceof ProtoError)) throw e;
    ctx.error(`SentencePiece model is malformed: ${e.message}`);
    return;
  }
  if (pieces === 0) ctx.error('SentencePiece model without pieces');
}

export const sentencePieceScanner: FormatScanner = { id: 'sentencepiece', detect, scan };
