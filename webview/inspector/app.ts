// The inspector page: header, notice, section tabs (encoder / decoder / cross), view tabs, the
// views, and the status line. Owns the UI state and the message dispatch from the host.
import {
  assertNever,
  isPersistedState,
  type HostToWebview,
  type InspectorDocument,
  type PersistedState,
  type SectionSummary,
  type StatsMessage,
  type ViewName,
} from '../../src/protocol/inspector';
import type { HostApi } from './api';
import { BlockClient } from './blocks';
import { button, custom, el } from './dom';
import { readTheme, watchTheme, type Theme } from './theme';
import { HeadView } from './views/headView';
import { AggregateView, MatrixView } from './views/matrixView';
import { ModelView } from './views/modelView';
import { StatsView } from './views/statsView';
import type { UiState, View, ViewHost } from './views/view';

const VIEW_ORDER: readonly { readonly name: ViewName; readonly title: string }[] = [
  { name: 'model', title: 'Model' },
  { name: 'heads', title: 'Heads' },
  { name: 'matrix', title: 'Matrix' },
  { name: 'aggregate', title: 'Aggregate' },
  { name: 'stats', title: 'Statistics' },
];

export class App {
  private doc: InspectorDocument | undefined;
  private sectionId = '';
  private theme: Theme;
  private readonly blocks: BlockClient;
  private readonly state: UiState = {
    layer: 0,
    head: 0,
    reduction: 'mean',
    enabledHeads: new Set(),
    query: null,
    zoom: undefined,
    normaliseRows: false,
  };
  private active: ViewName = 'model';
  private readonly views: Record<ViewName, View>;
  private paintedDoc = -1;
  private restored: PersistedState | undefined;
  private resizeFrame = 0;

  private readonly titleEl = el('h1', { class: 'title', text: 'Tealeaf: Attention' });
  private readonly metaEl = el('span', { class: 'meta' });
  private readonly factsEl = el('div', { class: 'facts' });
  private readonly noticeEl = el('div', { class: 'notice', role: 'alert', hidden: true });
  private readonly bannerEl = el('div', { class: 'banner', role: 'status', hidden: true });
  private readonly sectionsEl = el('div', { class: 'sections', role: 'tablist', 'aria-label': 'Attention', hidden: true });
  private readonly tabsEl: HTMLElement;
  private readonly viewsEl = el('div', { class: 'views' });
  private readonly statusEl = el('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  private readonly pngButton: HTMLElement;
  private readonly body: HTMLElement;

  constructor(
    private readonly api: HostApi,
    private readonly root: HTMLElement,
  ) {
    this.theme = readTheme();
    this.blocks = new BlockClient((m) => api.post(m));
    const saved = api.getState();
    if (isPersistedState(saved)) {
      this.restored = saved;
      this.active = saved.view;
    }
    const host = this.viewHost();
    this.views = { model: new ModelView(host), heads: new HeadView(host), matrix: new MatrixView(host), aggregate: new AggregateView(host), stats: new StatsView(host) };
    this.tabsEl = custom('vscode-tabs', { 'selected-index': this.viewIndex(this.active), class: 'view-tabs' });
    for (const v of VIEW_ORDER) this.tabsEl.append(custom('vscode-tab-header', { slot: 'header', id: `tab-${v.name}`, text: v.title }));
    this.tabsEl.addEventListener('vsc-tabs-select', (e) => {
      const index = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
      const next = VIEW_ORDER[index]?.name;
      if (next && next !== this.active) this.show(next);
    });
    for (const v of VIEW_ORDER) {
      const root = this.views[v.name].root;
      root.hidden = true;
      root.setAttribute('role', 'tabpanel');
      root.setAttribute('aria-labelledby', `tab-${v.name}`);
      this.viewsEl.append(root);
    }
    this.pngButton = button('PNG', 'Export the current view as PNG', () => this.exportPng());
    const jsonButton = button('JSON', 'Export tokens, attention and statistics of the current view as JSON', () => this.exportJson());
    this.body = el('div', { class: 'body', hidden: true }, [this.sectionsEl, this.tabsEl, this.viewsEl]);
    const header = el('header', { class: 'bar' }, [el('div', { class: 'heading' }, [this.titleEl, this.metaEl, this.factsEl]), el('div', { class: 'actions' }, [this.pngButton, jsonButton])]);
    root.replaceChildren(header, this.noticeEl, this.bannerEl, this.body, this.statusEl);
    root.setAttribute('aria-busy', 'false');
    watchTheme(() => {
      this.theme = readTheme();
      if (this.doc) this.views[this.active].redraw();
    });
    new ResizeObserver(() => {
      if (this.resizeFrame) return;
      this.resizeFrame = requestAnimationFrame(() => {
        this.resizeFrame = 0;
        if (this.doc) this.views[this.active].redraw();
      });
    }).observe(this.viewsEl);
  }

  private viewIndex(name: ViewName): number {
    return Math.max(0, VIEW_ORDER.findIndex((v) => v.name === name));
  }

  private get section(): SectionSummary {
    const doc = this.doc;
    if (!doc) throw new Error('no document');
    return doc.sections.find((s) => s.id === this.sectionId) ?? doc.sections[0]!;
  }

  private viewHost(): ViewHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const app = this;
    return {
      get doc() {
        if (!app.doc) throw new Error('no document');
        return app.doc;
      },
      get section() {
        return app.section;
      },
      get theme() {
        return app.theme;
      },
      get blocks() {
        return app.blocks;
      },
      get state() {
        return app.state;
      },
      openHead: (layer, head) => {
        app.state.layer = layer;
        app.state.head = head;
        app.show('matrix');
      },
      status: (text) => {
        app.statusEl.textContent = text;
      },
      highlight: (query, weights, pin) => {
        const doc = app.doc;
        if (!doc || !app.section.editorLinked) return;
        app.api.post({ type: 'highlight', docId: doc.docId, sectionId: app.section.id, query, weights: weights ? Array.from(weights) : null, pin });
      },
      painted: () => app.painted(),
      persist: () => app.persist(),
    };
  }

  receive(message: HostToWebview): void {
    switch (message.type) {
      case 'document':
        this.setDocument(message.doc);
        return;
      case 'block':
      case 'blockError':
        if (this.doc && message.docId === this.doc.docId) this.blocks.receive(message);
        return;
      case 'status':
        this.showBanner(message.state, message.message);
        return;
      case 'stats':
        this.receiveStats(message);
        return;
      case 'selectToken':
        if (!this.doc || message.docId !== this.doc.docId) return;
        if (message.sectionId !== this.section.id) return;
        this.views[this.active].selectQuery(message.index);
        return;
      default:
        assertNever(message);
    }
  }

  /** Statistics follow the document: badges, hover text and the table fill in when they arrive. */
  private receiveStats(message: StatsMessage): void {
    const doc = this.doc;
    if (!doc || message.docId !== doc.docId) return;
    this.doc = {
      ...doc,
      sections: doc.sections.map((s) => (s.id === message.sectionId ? { ...s, stats: message.stats, statsPending: false } : s)),
    };
    // only the model view (badges, hover text) and the table show statistics
    if (message.sectionId === this.section.id && (this.active === 'model' || this.active === 'stats')) this.views[this.active].redraw();
  }

  private showBanner(state: 'loading' | 'error' | 'empty', text: string): void {
    this.bannerEl.hidden = false;
    this.bannerEl.className = `banner ${state}`;
    this.bannerEl.textContent = text;
    this.root.setAttribute('aria-busy', String(state === 'loading'));
  }

  private setDocument(doc: InspectorDocument): void {
    const previous = this.doc;
    this.blocks.reset();
    this.doc = doc;
    this.bannerEl.hidden = true;
    this.statusEl.textContent = '';
    this.root.setAttribute('aria-busy', 'false');
    const sameSection = doc.sections.find((s) => s.id === this.sectionId);
    this.sectionId = (sameSection ?? doc.sections[0])?.id ?? '';
    const section = this.section;
    // A reload restores the saved view, layer and head for the same source text.
    const restored = this.restored;
    this.restored = undefined;
    if (restored && restored.source && doc.source && restored.source.uri === doc.source.uri) {
      this.state.layer = restored.layer;
      this.state.head = restored.head;
      if (restored.sectionId && doc.sections.some((s) => s.id === restored.sectionId)) this.sectionId = restored.sectionId;
    }
    this.fitState(section, previous === undefined);
    this.state.query = null;
    this.state.zoom = undefined;
    this.titleEl.textContent = doc.title;
    const tokens = section.queryTokens.length;
    this.metaEl.textContent = ` ${doc.modelName} · ${tokens} tokens · ${section.totalLayers} layers × ${section.totalHeads} heads${doc.forwardMs > 0 ? ` · forward ${Math.round(doc.forwardMs)} ms` : ''}`;
    // The model's facts: architecture, parameters, attention kind, positions, the file in use.
    this.factsEl.textContent = doc.modelFacts ?? '';
    this.factsEl.hidden = doc.modelFacts === undefined;
    this.noticeEl.hidden = doc.notice === undefined;
    this.noticeEl.textContent = doc.notice ?? '';
    this.renderSections();
    this.body.hidden = false;
    this.show(this.active);
  }

  /** Keeps layer / head / enabled heads when they exist in the new section, else resets them. */
  private fitState(section: SectionSummary, first: boolean): void {
    if (!section.layers.includes(this.state.layer)) this.state.layer = section.layers[0] ?? 0;
    if (!section.heads.includes(this.state.head)) this.state.head = section.heads[0] ?? 0;
    const enabled = [...this.state.enabledHeads].filter((h) => section.heads.includes(h));
    this.state.enabledHeads = new Set(first || enabled.length === 0 ? section.heads : enabled);
  }

  private renderSections(): void {
    const doc = this.doc!;
    this.sectionsEl.hidden = doc.sections.length < 2;
    this.sectionsEl.replaceChildren(
      ...doc.sections.map((s) => {
        const selected = s.id === this.section.id;
        const b = el('button', { type: 'button', role: 'tab', class: 'section-tab', 'aria-selected': String(selected), tabindex: selected ? 0 : -1, text: s.title, 'data-section': s.id });
        b.addEventListener('click', () => this.selectSection(s.id));
        b.addEventListener('keydown', (e) => {
          const i = doc.sections.indexOf(s);
          const next = e.key === 'ArrowRight' ? doc.sections[(i + 1) % doc.sections.length] : e.key === 'ArrowLeft' ? doc.sections[(i - 1 + doc.sections.length) % doc.sections.length] : undefined;
          if (next) {
            e.preventDefault();
            this.selectSection(next.id);
            (this.sectionsEl.querySelector(`[data-section="${next.id}"]`) as HTMLElement | null)?.focus();
          }
        });
        return b;
      }),
    );
  }

  private selectSection(id: string): void {
    if (id === this.sectionId) return;
    this.sectionId = id;
    this.fitState(this.section, false);
    this.state.query = null;
    this.state.zoom = undefined;
    this.renderSections();
    this.show(this.active);
  }

  show(name: ViewName): void {
    this.active = name;
    for (const v of VIEW_ORDER) this.views[v.name].root.hidden = v.name !== name;
    const index = this.viewIndex(name);
    const tabs = this.tabsEl as HTMLElement & { selectedIndex: number };
    if (tabs.selectedIndex !== index) tabs.selectedIndex = index;
    (this.pngButton as HTMLElement & { disabled: boolean }).disabled = this.views[name].exportCanvas() === undefined;
    this.persist();
    if (this.doc) this.views[name].activate();
  }

  private painted(): void {
    const doc = this.doc;
    if (!doc || this.paintedDoc === doc.docId) return;
    this.paintedDoc = doc.docId;
    const docId = doc.docId;
    // The frame with the drawing is on screen once the next animation frame has begun.
    requestAnimationFrame(() => setTimeout(() => this.api.post({ type: 'firstPaint', docId, at: Date.now() }), 0));
  }

  private persist(): void {
    const doc = this.doc;
    this.api.setState({
      ...(doc?.source ? { source: doc.source } : {}),
      view: this.active,
      ...(doc ? { sectionId: this.section.id } : {}),
      layer: this.state.layer,
      head: this.state.head,
    });
  }

  private exportPng(): void {
    const canvas = this.views[this.active].exportCanvas();
    if (!canvas || !this.doc) return;
    const s = this.state;
    const suffix = this.active === 'matrix' ? `-L${s.layer}-H${s.head}` : this.active === 'heads' || this.active === 'aggregate' ? `-L${s.layer}` : '';
    this.api.post({ type: 'exportPng', fileName: `tealeaf-${this.active}${suffix}.png`, dataUrl: canvas.toDataURL('image/png') });
  }

  private exportJson(): void {
    const doc = this.doc;
    if (!doc) return;
    const scope = this.views[this.active].jsonScope();
    this.api.post({ type: 'exportJson', docId: doc.docId, sectionId: this.section.id, ...(scope ? { scope } : {}) });
  }
}
