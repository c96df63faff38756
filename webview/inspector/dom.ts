// Tiny DOM helpers: elements are built with properties, never from HTML strings.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string | number | boolean>> = {},
  children: readonly (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (key === 'class') node.className = String(value);
    else if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) node.append(child);
  return node;
}

/** A custom element (the vscode-elements controls) with attributes. */
export function custom(tag: string, props: Partial<Record<string, string | number | boolean>> = {}, children: readonly (Node | string)[] = []): HTMLElement {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) node.append(child);
  return node;
}

/** A <vscode-single-select> with options; onChange gets the chosen value. */
export function select(label: string, options: readonly { value: string; text: string; disabled?: boolean }[], value: string, onChange: (value: string) => void): HTMLElement {
  const sel = custom('vscode-single-select', { 'aria-label': label, class: 'select' });
  for (const o of options) {
    sel.append(custom('vscode-option', { value: o.value, selected: o.value === value, disabled: o.disabled === true, text: o.text }));
  }
  sel.addEventListener('change', () => onChange((sel as HTMLElement & { value: string }).value));
  return sel;
}

export function button(text: string, title: string, onClick: () => void, secondary = true): HTMLElement {
  const b = custom('vscode-button', { secondary, title, 'aria-label': title, text });
  b.addEventListener('click', onClick);
  return b;
}

/** A scrolling viewport: a canvas under a transparent scroller whose spacer sets the content size. */
export interface Viewport {
  readonly root: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly scroller: HTMLElement;
  readonly spacer: HTMLElement;
  /** Client size of the scroller (without scrollbars). */
  size(): { width: number; height: number };
}

export function viewport(name: string, label: string): Viewport {
  const canvas = el('canvas', { class: 'layer', 'data-view': name, 'aria-hidden': 'true' });
  const spacer = el('div', { class: 'spacer' });
  const scroller = el('div', { class: 'scroller', tabindex: 0, role: 'application', 'aria-label': label }, [spacer]);
  const root = el('div', { class: 'viewport' }, [canvas, scroller]);
  return { root, canvas, scroller, spacer, size: () => ({ width: scroller.clientWidth, height: scroller.clientHeight }) };
}
