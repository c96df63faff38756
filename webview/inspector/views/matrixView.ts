// Matrix view (one head) and aggregate view (mean / max over heads, or rollout): both are a
// MatrixCanvas with their own selectors; data comes from the host on demand, one matrix at a time.
import { keyTokensOf, type BlockScope, type Reduction } from '../../../src/protocol/inspector';
import { button, custom, el, select } from '../dom';
import { MatrixCanvas } from './matrixCanvas';
import { scaledRow, type View, type ViewHost } from './view';
import { errorText } from '../../../src/util/unknown';

abstract class MatrixLikeView implements View {
  abstract readonly name: 'matrix' | 'aggregate';
  readonly root: HTMLElement;
  protected readonly toolbar: HTMLElement;
  protected readonly matrix: MatrixCanvas;
  private loadedKey = '';

  constructor(
    protected readonly host: ViewHost,
    name: string,
    label: string,
  ) {
    this.toolbar = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': `${label} controls` });
    const h = host;
    this.matrix = new MatrixCanvas(name, `${label}: arrow keys move, + and − zoom, 0 fits, Enter pins the query row.`, {
      get theme() {
        return h.theme;
      },
      get zoom() {
        return h.state.zoom;
      },
      setZoom: (cell) => {
        h.state.zoom = cell;
      },
      get normaliseRows() {
        return h.state.normaliseRows;
      },
      get query() {
        return h.state.query;
      },
      rowFocus: (row, weights, pin) => {
        if (pin) h.state.query = row;
        h.highlight(row, weights ? scaledRow(weights) : null, pin);
      },
      status: (text) => h.status(text),
      painted: () => h.painted(),
    });
    this.matrix.port.scroller.addEventListener('focus', () => this.matrix.draw());
    this.matrix.port.scroller.addEventListener('blur', () => this.matrix.draw());
    this.root = el('section', { class: `view ${name}-view`, 'aria-label': label }, [this.toolbar, this.matrix.port.root]);
  }

  protected abstract scope(): BlockScope;
  protected abstract selectors(): HTMLElement[];

  activate(): void {
    this.buildToolbar();
    void this.load();
  }

  protected buildToolbar(): void {
    const state = this.host.state;
    const rows = custom('vscode-checkbox', { checked: state.normaliseRows, label: 'Scale each row to its max', title: 'Colour by p / row max instead of p' });
    rows.addEventListener('change', () => {
      state.normaliseRows = (rows as HTMLElement & { checked: boolean }).checked;
      this.matrix.draw();
    });
    this.toolbar.replaceChildren(
      ...this.selectors(),
      button('−', 'Zoom out (−)', () => this.matrix.zoomBy(-1)),
      button('+', 'Zoom in (+)', () => this.matrix.zoomBy(1)),
      button('Fit', 'Fit the matrix (0)', () => this.matrix.zoomToFit()),
      rows,
    );
  }

  protected async load(): Promise<void> {
    const { doc, section } = this.host;
    const scope = this.scope();
    const key = `${doc.docId}|${section.id}|${JSON.stringify(scope)}`;
    if (key === this.loadedKey) {
      this.matrix.draw();
      return;
    }
    this.matrix.showMessage(scope.kind === 'aggregate' && scope.reduction === 'rollout' ? 'Computing rollout…' : 'Loading…');
    try {
      const data = await this.host.blocks.request(doc.docId, section.id, scope);
      if (key !== `${this.host.doc.docId}|${this.host.section.id}|${JSON.stringify(this.scope())}`) return;
      this.loadedKey = key;
      this.matrix.canvas.dataset.scope = JSON.stringify(scope);
      this.matrix.setData(data, section.queryTokens, keyTokensOf(section));
    } catch (error) {
      if (error instanceof Error && error.message === 'superseded') return;
      this.matrix.showMessage(`Could not load: ${errorText(error)}`);
    }
  }

  redraw(): void {
    this.matrix.draw();
  }

  selectQuery(index: number): void {
    this.host.state.query = index;
    this.matrix.revealRow(index);
    this.host.highlight(index, scaledRow(this.matrix.row(index)), false);
  }

  exportCanvas(): HTMLCanvasElement {
    return this.matrix.canvas;
  }

  jsonScope(): BlockScope {
    return this.scope();
  }

  protected layerSelect(): HTMLElement {
    const s = this.host.section;
    return select(
      'Layer',
      s.layers.map((l) => ({ value: String(l), text: `Layer ${l}` })),
      String(this.host.state.layer),
      (v) => {
        this.host.state.layer = Number(v);
        this.host.persist();
        void this.load();
      },
    );
  }
}

export class MatrixView extends MatrixLikeView {
  readonly name = 'matrix' as const;

  constructor(host: ViewHost) {
    super(host, 'matrix', 'Matrix view');
  }

  protected scope(): BlockScope {
    return { kind: 'head', layer: this.host.state.layer, head: this.host.state.head };
  }

  protected selectors(): HTMLElement[] {
    const s = this.host.section;
    const head = select(
      'Head',
      s.heads.map((h) => ({ value: String(h), text: `Head ${h}` })),
      String(this.host.state.head),
      (v) => {
        this.host.state.head = Number(v);
        this.host.persist();
        void this.load();
      },
    );
    return [this.layerSelect(), head];
  }
}

const REDUCTION_TEXT: Record<Reduction, string> = {
  mean: 'Mean over heads',
  max: 'Max over heads',
  rollout: 'Rollout (through this layer)',
};

export class AggregateView extends MatrixLikeView {
  readonly name = 'aggregate' as const;

  constructor(host: ViewHost) {
    super(host, 'aggregate', 'Aggregate view');
  }

  protected scope(): BlockScope {
    const state = this.host.state;
    const reduction = state.reduction === 'rollout' && !this.host.section.rollout ? 'mean' : state.reduction;
    return { kind: 'aggregate', reduction, layer: state.layer };
  }

  protected selectors(): HTMLElement[] {
    const rollout = this.host.section.rollout;
    const reduction = select(
      'Aggregate',
      (['mean', 'max', 'rollout'] as const).map((r) => ({ value: r, text: REDUCTION_TEXT[r], disabled: r === 'rollout' && !rollout })),
      this.scope().kind === 'aggregate' ? (this.scope() as { reduction: Reduction }).reduction : 'mean',
      (v) => {
        this.host.state.reduction = v === 'max' || v === 'rollout' ? v : 'mean';
        void this.load();
      },
    );
    return [reduction, this.layerSelect()];
  }
}
