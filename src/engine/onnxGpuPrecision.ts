// Nodes a WebGPU session runs on the CPU for precision: the rotary embedding's Sin and Cos and the
// nodes they are computed from. WGSL's sin and cos are accurate only inside [-π, π] (an absolute
// error of 2^-11 there, nothing promised outside), and rotary angles are position × frequency:
// hundreds of radians a few tokens in. On tiny-llama (SwiftShader) the GPU's sin/cos moved logits
// by up to 1.5e-2 from WASM's; on the CPU, by 2.6e-5. The chain from position_ids to the angles
// reads only inputs and constants, so forcing all of it onto the CPU costs a few tiny kernels and
// one upload of the cos/sin tables ([1, tokens, headDim] each), never a download mid-graph.
import { fields, GRAPH_NODE, graphNode, MODEL_GRAPH, NODE_NAME, nameOf } from './onnxProto';

const IMPRECISE_ON_GPU = new Set(['Sin', 'Cos']);

/** Names of the main graph's Sin/Cos nodes and of every node they depend on (unnamed ones cannot be forced). */
export function cpuPrecisionNodes(model: Uint8Array): string[] {
  const producers = new Map<string, { name: string; inputs: readonly string[] }>();
  const roots: string[] = [];
  for (const field of fields(model)) {
    if (field.number !== MODEL_GRAPH || !field.bytes) continue;
    for (const nodeField of fields(field.bytes)) {
      if (nodeField.number !== GRAPH_NODE || !nodeField.bytes) continue;
      const node = graphNode(nodeField);
      const name = nameOf(nodeField.bytes, NODE_NAME);
      for (const output of node.outputs) producers.set(output, { name, inputs: node.inputs });
      if (IMPRECISE_ON_GPU.has(node.opType)) roots.push(...node.outputs);
    }
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const value = pending.pop() as string;
    if (seen.has(value)) continue;
    seen.add(value);
    const producer = producers.get(value); // none: a graph input or an initializer
    if (!producer) continue;
    if (producer.name !== '') names.add(producer.name);
    pending.push(...producer.inputs);
  }
  return [...names];
}
