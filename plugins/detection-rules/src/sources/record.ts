import type { SourceId } from '../types';
import { sha256 } from '../util/json';

/** What normalization keeps of each record (defaults: everything; the replay CLI asks for less). */
export interface NormalizeOptions {
  /**
   * Compute the idempotency key (SHA-256 of the line) for every event (default true). When false,
   * `key` is '' and the hash is computed only where it is the event's id (firewall and Hubble
   * records, records without an id of their own): the replay CLI needs no idempotency keys.
   */
  keys?: boolean;
  /** Sources whose events get the Sigma `view` (default: all). Others get an empty, frozen view. */
  views?: ReadonlySet<SourceId>;
  /** Sources whose events keep the parsed record as `raw` (default: all). Others get `raw: undefined`. */
  raw?: ReadonlySet<SourceId>;
}

/** The view of events whose source was not asked for one (see NormalizeOptions.views). */
export const NO_VIEW: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** One record being normalized: its text, the content hash computed at most once and on demand, and the options. */
export class RecordRef {
  private hash: string | undefined;
  constructor(
    readonly rec: Record<string, unknown>,
    private readonly text: string | undefined,
    private readonly opts: NormalizeOptions | undefined,
  ) {}

  /** SHA-256 of the line, or of the record re-serialised when it came from a multi-record line. */
  digest(): string {
    if (this.hash === undefined) this.hash = sha256(this.text ?? JSON.stringify(this.rec));
    return this.hash;
  }

  /** The idempotency key ('' when NormalizeOptions.keys is false). */
  key(): string {
    return this.opts?.keys === false ? '' : this.digest();
  }

  wantsView(source: SourceId): boolean {
    const v = this.opts?.views;
    return !v || v.has(source);
  }

  raw(source: SourceId): unknown {
    const r = this.opts?.raw;
    return !r || r.has(source) ? this.rec : undefined;
  }
}
