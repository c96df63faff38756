// What the Tealeaf Engine panel shows: the backend in use, the models loaded and their memory.
import type { LoadedModel } from './engineHost';

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the engine page has no #${id}`);
  return found;
}

export function showBackend(text: string): void {
  element('backend').textContent = text;
}

export function showError(text: string): void {
  element('error').textContent = text;
}

/** Chromium's JavaScript heap figure, where the page may read it (not a standard API). */
function heapBytes(): number | undefined {
  const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  return memory?.usedJSHeapSize;
}

export function showModels(models: readonly LoadedModel[]): void {
  const table = element('models');
  table.replaceChildren();
  const row = (cells: readonly string[], header: boolean): HTMLTableRowElement => {
    const tr = document.createElement('tr');
    for (const text of cells) {
      const cell = document.createElement(header ? 'th' : 'td');
      cell.textContent = text;
      tr.append(cell);
    }
    return tr;
  };
  if (models.length === 0) {
    table.append(row(['No model loaded yet: one loads on its first use.'], false));
  } else {
    table.append(row(['Model', 'File', 'Backend', 'Weights'], true));
    for (const { info, bytes } of models) table.append(row([info.name, `${info.onnxFiles.join(' + ')} (${info.dtype})`, info.backend, mb(bytes)], false));
  }
  const total = models.reduce((sum, m) => sum + m.bytes, 0);
  const heap = heapBytes();
  element('memory').textContent = `Model files held: ${mb(total)}${heap !== undefined ? `; JavaScript heap ${mb(heap)}` : ''}.`;
}
