// Test-side edits of ONNX bytes: an attribute added to fused nodes, to make variants the engine
// must refuse (fully or for some layers) out of a fixture that it reproduces.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { attributeProto } from '../../src/engine/onnxBuild';
import { fields, GRAPH_NODE, graphNode, MODEL_GRAPH, NODE_ATTRIBUTE } from '../../src/engine/onnxProto';
import { concat, lengthField } from '../../src/engine/protoWrite';
import { FIXTURES } from './engine/helpers';

/** The model with `attribute` appended to its `op` nodes: every one, or only the first or last in graph order. */
export function withAttribute(model: Uint8Array, op: string, attribute: Uint8Array, which: Which = 'every'): Uint8Array {
  const modelFields = [...fields(model)];
  const graph = modelFields.find((f) => f.number === MODEL_GRAPH)!;
  const graphBytes = graph.bytes!;
  const graphFields = [...fields(graphBytes)];
  const matching = graphFields.filter((f) => f.number === GRAPH_NODE && graphNode(f).opType === op);
  if (matching.length === 0) throw new Error(`the model has no ${op} node`);
  const edited = new Set(which === 'every' ? matching : which === 'first' ? matching.slice(0, 1) : matching.slice(-1));
  const parts = graphFields.map((f) => (edited.has(f) ? lengthField(GRAPH_NODE, concat([f.bytes!, lengthField(NODE_ATTRIBUTE, attribute)])) : graphBytes.subarray(f.start, f.end)));
  return concat(modelFields.map((f) => (f === graph ? lengthField(MODEL_GRAPH, concat(parts)) : model.subarray(f.start, f.end))));
}

type Which = 'every' | 'first' | 'last';

/**
 * A copy of the fused-qwen2-gqa fixture (fp32 file only) whose GroupQueryAttention nodes — every
 * one, or the first or last (layer 0 or 1 of 2) — carry smooth_softmax = 1, which the inspector
 * cannot reproduce. Returns the folder and a cleanup.
 */
export function smoothSoftmaxFolder(which: Which): { readonly dir: string; readonly remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tealeaf-smooth-softmax-${which}-`));
  cpSync(path.join(FIXTURES, 'fused-qwen2-gqa'), dir, { recursive: true });
  rmSync(path.join(dir, 'onnx', 'model_fp16.onnx'));
  const file = path.join(dir, 'onnx', 'model.onnx');
  writeFileSync(file, withAttribute(new Uint8Array(readFileSync(file)), 'GroupQueryAttention', attributeProto('smooth_softmax', { int: 1 }), which));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
