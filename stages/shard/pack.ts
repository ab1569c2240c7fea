/**
 * Sample layouts. `packed`: documents (each already ending in EOS) are concatenated in order and
 * cut into samples of a fixed token count, so one document may span samples and one sample may
 * hold several documents; the count is seq_len, or seq_len+1 as open_lm writes them (inputs are
 * the first seq_len tokens, targets the last seq_len). `documents`: one variable-length sample
 * per document.
 */

/** What a sample's `.json` says about one document it holds. */
export interface SampleDoc {
  id: string;
  url: string | null;
  source: string;
  offset: number;
  lang: string | null;
  /** The token span of the sample this document fills. */
  range: [number, number];
  /** Where in the document's tokens that span begins. */
  doc_token_start: number;
}

export interface PackedSample {
  tokens: Uint32Array;
  docs: SampleDoc[];
  /**
   * 0 on every token that starts a document after the sample's first token, 1 elsewhere: the
   * document-boundary mask. A loader shifting by one (targets = tokens[1:]) takes mask[1:], so
   * no loss is taken on predicting a new document's first token from the previous document, as
   * Megatron's `eod_mask_loss` does.
   */
  loss_mask: Uint16Array | null;
}

export interface PackOptions {
  layout: 'packed' | 'documents';
  /** Tokens per packed sample (ignored by `documents`). */
  sample_tokens: number;
  loss_mask: boolean;
}

export type DocMeta = Omit<SampleDoc, 'range' | 'doc_token_start'>;

export class SequencePacker {
  private readonly buf: Uint32Array;
  private readonly mask: Uint16Array;
  private fill = 0;
  private docs: SampleDoc[] = [];

  constructor(private readonly opts: PackOptions) {
    this.buf = new Uint32Array(opts.layout === 'packed' ? opts.sample_tokens : 0);
    this.mask = new Uint16Array(this.buf.length);
  }

  /** The samples completed by adding this document. */
  *add(doc: DocMeta, tokens: Uint32Array): Generator<PackedSample> {
    if (this.opts.layout === 'documents') {
      const mask = this.opts.loss_mask ? new Uint16Array(tokens.length).fill(1) : null;
      yield { tokens: tokens.slice(), docs: [{ ...doc, range: [0, tokens.length], doc_token_start: 0 }], loss_mask: mask };
      return;
    }
    const size = this.buf.length;
    let pos = 0;
    while (pos < tokens.length) {
      const take = Math.min(size - this.fill, tokens.length - pos);
      this.buf.set(tokens.subarray(pos, pos + take), this.fill);
      if (this.opts.loss_mask) {
        this.mask.fill(1, this.fill, this.fill + take);
        if (pos === 0 && this.fill > 0) this.mask[this.fill] = 0;
      }
      this.docs.push({ ...doc, range: [this.fill, this.fill + take], doc_token_start: pos });
      this.fill += take;
      pos += take;
      if (this.fill === size) yield this.take();
    }
  }

  /** The last, shorter sample, if any tokens are left. */
  *finish(): Generator<PackedSample> {
    if (this.fill > 0) yield this.take();
  }

  private take(): PackedSample {
    const sample = {
      tokens: this.buf.slice(0, this.fill),
      docs: this.docs,
      loss_mask: this.opts.loss_mask ? this.mask.slice(0, this.fill) : null,
    };
    this.fill = 0;
    this.docs = [];
    return sample;
  }
}
