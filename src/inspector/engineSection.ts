// A section whose attention stays in the engine: the host holds its summary (pooled thumbnails and
// head statistics, computed by the engine during its pass) and asks the engine again for what the
// panel shows — a layer's heads, one head, a head mean or max — keeping the quantized views in the
// shared byte-budgeted cache. Nothing of size tokens² × heads × layers ever reaches the host, and a
// layer's or a head's view arrives quantized (a byte per value) as the engine made it.
import type { PooledHeads } from '../engine/pool';
import type { AttentionBlock, AttentionRequest, AttentionResult, AttentionShape, HeadStats } from '../engine/types';
import type { BlockScope, QuantizedMatrices } from '../protocol/inspector';
import { SectionBase, type SectionFields } from './section';
import type { ViewCache } from './viewCache';

/** The engine's pass over the section's text again, for a selection of it. */
export type SectionSource = (request: Pick<AttentionRequest, 'layers' | 'heads' | 'values' | 'reduceHeads'>) => Promise<AttentionResult>;

export interface EngineSectionInput extends SectionFields {
  readonly shape: AttentionShape;
  readonly pooled: PooledHeads;
  readonly stats: readonly HeadStats[];
  readonly source: SectionSource;
  readonly views: ViewCache;
  /** Prefix of this section's keys in `views` (the document and section ids). */
  readonly viewKey: string;
}

export function scopeKey(scope: BlockScope): string {
  switch (scope.kind) {
    case 'layer':
      return `layer/${scope.layer}`;
    case 'head':
      return `head/${scope.layer}/${scope.head}`;
    case 'aggregate':
      return `${scope.reduction}/${scope.layer}`;
  }
}

export class EngineSection extends SectionBase {
  private readonly statsValue: readonly HeadStats[];
  private readonly source: SectionSource;
  private readonly views: ViewCache;
  private readonly viewKey: string;
  /** Views being computed: a second request for one waits for the first. */
  private readonly inFlight = new Map<string, Promise<QuantizedMatrices>>();

  constructor(input: EngineSectionInput) {
    super(input, input.shape, input.pooled);
    this.statsValue = input.stats;
    this.source = input.source;
    this.views = input.views;
    this.viewKey = input.viewKey;
  }

  stats(): Promise<readonly HeadStats[]> {
    return Promise.resolve(this.statsValue);
  }

  async fetch(layers: readonly number[], heads: readonly number[]): Promise<AttentionBlock> {
    this.checkSelection(layers, heads);
    const result = await this.source({ layers, heads });
    return this.checked(result).attention;
  }

  /** Quantized in the engine as the pass streams: no float32 copy of the heads crosses to the host. */
  protected override async quantizedHeads(layer: number, heads: readonly number[]): Promise<QuantizedMatrices> {
    this.checkSelection([layer], heads);
    const result = this.checked(await this.source({ layers: [layer], heads, values: 'quantized' }));
    const matrices = result.quantized?.[0];
    if (!matrices || matrices.count !== heads.length) throw new Error(`the engine returned no quantized heads for layer ${layer}`);
    return matrices;
  }

  protected async headReductions(layers: readonly number[], reduction: 'mean' | 'max'): Promise<readonly Float32Array[]> {
    const result = this.checked(await this.source({ layers, heads: this.summary.heads, values: false, reduceHeads: reduction }));
    if (!result.reduced || result.reduced.length !== layers.length) throw new Error(`the engine returned no head ${reduction} for layers ${layers.join(', ')}`);
    return result.reduced;
  }

  /** Throws a RangeError for a layer or head this section does not show, before asking the engine. */
  private checkSelection(layers: readonly number[], heads: readonly number[]): void {
    layers.forEach((l) => this.layerPosition(l));
    heads.forEach((h) => this.headPosition(h));
  }

  /** The engine must have seen the same tokens as the pass the summary came from. */
  private checked(result: AttentionResult): AttentionResult {
    const { rows, keys } = result.attention;
    if (rows.length !== this.rows || keys !== this.keys) {
      throw new Error(`the engine returned ${rows.length} × ${keys} attention, expected ${this.rows} × ${this.keys}: the text tokenized differently`);
    }
    return result;
  }

  override quantized(scope: BlockScope): Promise<QuantizedMatrices> {
    const key = `${this.viewKey}/${scopeKey(scope)}`;
    const held = this.views.get(key);
    if (held) return Promise.resolve(held);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = super.quantized(scope).then((view) => {
        this.views.set(key, view);
        return view;
      });
      this.inFlight.set(key, pending);
      const done = () => this.inFlight.delete(key);
      pending.then(done, done);
    }
    return pending;
  }
}
