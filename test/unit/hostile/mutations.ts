// Mutations of a valid model folder held in memory, as fast-check arbitraries: bytes of the ONNX
// graph (flips, cuts, splices), one protobuf field anywhere in it set to a hostile value, a
// config's key set to a hostile JSON value, a tokenizer section replaced, a whole file emptied,
// cut or dropped. Each mutation returns new arrays and leaves the base folder's bytes untouched.
import fc from 'fast-check';
import { ModelError } from '../../../src/engine/errors';
import type { ModelFiles } from '../../../src/engine/modelFolder';
import { type Field, fields, WIRE_LENGTH_DELIMITED, WIRE_VARINT } from '../../../src/engine/onnxProto';
import { concat, lengthField, varint } from '../../../src/engine/protoWrite';

/** A model folder as relative path → bytes. */
export type MemoryFolder = ReadonlyMap<string, Uint8Array>;

/** ModelFiles over a MemoryFolder; hands out the stored arrays themselves, so a write into one shows. */
export class MemoryModelFiles implements ModelFiles {
  readonly location = 'the fuzzed model';
  constructor(private readonly folder: MemoryFolder) {}

  async exists(relativePath: string): Promise<boolean> {
    return this.folder.has(relativePath);
  }

  async size(relativePath: string): Promise<number | undefined> {
    return this.folder.get(relativePath)?.length;
  }

  async readBytes(relativePath: string, maxBytes: number): Promise<Uint8Array> {
    const bytes = this.folder.get(relativePath);
    if (!bytes) throw new ModelError(`${this.location} has no ${relativePath}`);
    if (bytes.length > maxBytes) throw new ModelError(`${relativePath} is ${bytes.length} bytes, over the ${maxBytes}-byte limit`);
    return bytes;
  }
}

export type Mutation = (folder: MemoryFolder) => MemoryFolder;

function replaced(folder: MemoryFolder, path: string, bytes: Uint8Array | undefined): MemoryFolder {
  const copy = new Map(folder);
  if (bytes === undefined) copy.delete(path);
  else copy.set(path, bytes);
  return copy;
}

/** Position `fraction` (in [0, 1)) of an array of `length` elements. */
function at(length: number, fraction: number): number {
  return Math.min(length - 1, Math.max(0, Math.floor(fraction * length)));
}

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

/** New contents for one file, and what was done (for counterexamples). */
interface Edit {
  readonly bytes: Uint8Array;
  readonly what: string;
}

/** Byte-level damage: flip a bit, set a byte, cut the tail, delete or duplicate a run, insert bytes. */
function byteEdit(bytes: Uint8Array): fc.Arbitrary<Edit> {
  return fc.oneof(
    fc.tuple(fraction, fc.integer({ min: 0, max: 7 })).map(([f, bit]) => {
      const out = bytes.slice();
      out[at(out.length, f)] ^= 1 << bit;
      return { bytes: out, what: `bit ${bit} of byte ${at(out.length, f)} flipped` };
    }),
    fc.tuple(fraction, fc.integer({ min: 0, max: 255 })).map(([f, value]) => {
      const out = bytes.slice();
      out[at(out.length, f)] = value;
      return { bytes: out, what: `byte ${at(out.length, f)} set to ${value}` };
    }),
    fraction.map((f) => ({ bytes: bytes.slice(0, at(bytes.length, f)), what: `cut at ${at(bytes.length, f)}` })),
    fc.tuple(fraction, fc.integer({ min: 1, max: 64 })).map(([f, n]) => {
      const i = at(bytes.length, f);
      return { bytes: concat([bytes.subarray(0, i), bytes.subarray(i + n)]), what: `${n} bytes deleted at ${i}` };
    }),
    fc.tuple(fraction, fc.integer({ min: 1, max: 64 })).map(([f, n]) => {
      const i = at(bytes.length, f);
      return { bytes: concat([bytes.subarray(0, i + n), bytes.subarray(i)]), what: `${n} bytes duplicated at ${i}` };
    }),
    fc.tuple(fraction, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([f, inserted]) => {
      const i = at(bytes.length, f);
      return { bytes: concat([bytes.subarray(0, i), inserted, bytes.subarray(i)]), what: `[${inserted.join(',')}] inserted at ${i}` };
    }),
  );
}

/** Fields of a message, or undefined when the bytes do not parse as one. */
function messageFields(bytes: Uint8Array): Field[] | undefined {
  try {
    return [...fields(bytes)];
  } catch {
    return undefined;
  }
}

/** A field at absolute offsets [start, end) of the file; a message's contents start at `payload`. */
interface Located {
  readonly number: number;
  readonly start: number;
  readonly end: number;
  readonly payload: number;
}

/** A field that can be rewritten, with the messages around it, outermost first. */
interface FieldSite {
  readonly field: Located;
  readonly enclosing: readonly Located[];
}

/** Every field of a message, depth first, descending into each payload that parses as a message. */
function fieldSites(message: Uint8Array): FieldSite[] {
  const sites: FieldSite[] = [];
  const walk = (bytes: Uint8Array, offset: number, enclosing: readonly Located[]): void => {
    for (const field of messageFields(bytes) ?? []) {
      const payload = offset + field.end - (field.bytes?.length ?? 0);
      const located = { number: field.number, start: offset + field.start, end: offset + field.end, payload };
      sites.push({ field: located, enclosing });
      if (field.wire === WIRE_LENGTH_DELIMITED && field.bytes && field.bytes.length > 0) walk(field.bytes, payload, [...enclosing, located]);
    }
  };
  walk(message, 0, []);
  return sites;
}

/** The message with one field replaced, and the lengths of the messages around it rewritten. */
function rewriteField(message: Uint8Array, site: FieldSite, replacement: Uint8Array): Uint8Array {
  let piece = replacement;
  let start = site.field.start;
  let end = site.field.end;
  for (const outer of [...site.enclosing].reverse()) {
    piece = lengthField(outer.number, concat([message.subarray(outer.payload, start), piece, message.subarray(end, outer.end)]));
    start = outer.start;
    end = outer.end;
  }
  return concat([message.subarray(0, start), piece, message.subarray(end)]);
}

/** Values that break readers: zero, one past limits, 2^32, 2^40, the largest safe integer, -1 as int64. */
const HOSTILE_NUMBERS = [0, 1, 2, 255, 2 ** 31, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER];
/** Ten-byte varint of -1 (int64), the largest a protobuf reader meets. */
const MINUS_ONE = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
const HOSTILE_STRINGS = ['', '..', '../../etc/passwd', '/etc/passwd', 'C:\\Windows\\win.ini', '*/_ORT_MEM_ADDR_/*', 'model.onnx_data', 'input_ids', 'past_key_values.0.key', 'logits', 'x'.repeat(300)];

/** One protobuf field, anywhere in the graph, set to a hostile number or string. */
function fieldEdit(bytes: Uint8Array): fc.Arbitrary<Edit> {
  const sites = fieldSites(bytes);
  const value = fc.oneof(
    fc.constantFrom(...HOSTILE_NUMBERS).map((n) => Uint8Array.from(varint(n))),
    fc.constant(MINUS_ONE),
    fc.constantFrom(...HOSTILE_STRINGS),
  );
  return fc.tuple(fc.constantFrom(...sites), value).map(([site, v]) => ({
    bytes: rewriteField(bytes, site, typeof v === 'string' ? lengthField(site.field.number, v) : concat([Uint8Array.from(varint(site.field.number * 8 + WIRE_VARINT)), v])),
    what: `field ${site.field.number} at byte ${site.field.start} set to ${typeof v === 'string' ? JSON.stringify(v) : `varint [${v.join(',')}]`}`,
  }));
}

/** A JSON value that a config reader may meet where it expects a small positive integer. */
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, -1, 0, 0.5, 2 ** 40, 1e308, -1e308, '', '12', true, [], {}, [1, 2], { Regex: '(a+)+$' }),
  fc.jsonValue({ maxDepth: 2 }),
);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A JSON file with one key set to a hostile value or deleted, or the whole document replaced by one. */
function jsonEdit(bytes: Uint8Array): fc.Arbitrary<Edit> {
  const json = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
  const keys = Object.keys(json);
  const keyEdit = fc.tuple(fc.constantFrom(...keys), fc.option(hostileJson, { nil: undefined, freq: 5 })).map(([key, value]) => {
    const copy: Record<string, unknown> = { ...json };
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  });
  return fc.oneof({ weight: 9, arbitrary: keyEdit }, { weight: 1, arbitrary: hostileJson }).map((value) => {
    const text = JSON.stringify(value) ?? 'null';
    return { bytes: encoder.encode(text), what: text.length > 200 ? `${text.slice(0, 200)}…` : text };
  });
}

/** A Split pre-tokenizer with a random pattern in front of the tokenizer's own (regex syntax errors, risky shapes). */
const randomPattern = fc.stringMatching(/^[a-z()|+*?\\s.{},^$[\]]{1,12}$/);

/** tokenizer.json with one section replaced by a hostile value, or a random Split pattern added. */
function tokenizerEdit(bytes: Uint8Array): fc.Arbitrary<Edit> {
  const json = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
  const sections = ['model', 'pre_tokenizer', 'normalizer', 'decoder', 'post_processor', 'added_tokens'];
  const modelKeys = Object.keys(json.model as object);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...sections), hostileJson).map(([section, value]) => ({ json: { ...json, [section]: value }, what: `${section} = ${JSON.stringify(value)}` })),
    fc.tuple(fc.constantFrom(...modelKeys), hostileJson).map(([key, value]) => ({
      json: { ...json, model: { ...(json.model as object), [key]: value } },
      what: `model.${key} = ${JSON.stringify(value)}`,
    })),
    randomPattern.map((pattern) => ({
      json: { ...json, pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false }, json.pre_tokenizer] } },
      what: `split on ${JSON.stringify(pattern)}`,
    })),
  ).map(({ json: edited, what }) => ({ bytes: encoder.encode(JSON.stringify(edited)), what }));
}

/** A mutated folder, shown by its label in fast-check's counterexamples (not as megabytes of bytes). */
export interface MutatedFolder {
  readonly label: string;
  readonly folder: MemoryFolder;
}

function mutated(label: string, folder: MemoryFolder): MutatedFolder {
  return { label, folder, [fc.toStringMethod]: () => label } as MutatedFolder;
}

/** Every mutation of `base` that the fuzz draws from; `onnx` is the graph file to damage. */
export function mutationOf(base: MemoryFolder, onnx: string): fc.Arbitrary<MutatedFolder> {
  const graph = base.get(onnx) as Uint8Array;
  const jsonFiles = ['config.json', 'generation_config.json', 'tokenizer_config.json'].filter((f) => base.has(f));
  const paths = [...base.keys()];
  const file = (path: string, edit: fc.Arbitrary<Edit>) => edit.map(({ bytes, what }) => mutated(`${path}: ${what}`, replaced(base, path, bytes)));
  return fc.oneof(
    { weight: 4, arbitrary: file(onnx, fieldEdit(graph)) },
    { weight: 3, arbitrary: file(onnx, byteEdit(graph)) },
    { weight: 2, arbitrary: fc.constantFrom(...jsonFiles).chain((path) => file(path, jsonEdit(base.get(path) as Uint8Array))) },
    { weight: 1, arbitrary: file('tokenizer.json', tokenizerEdit(base.get('tokenizer.json') as Uint8Array)) },
    { weight: 1, arbitrary: file('tokenizer.json', jsonEdit(base.get('tokenizer.json') as Uint8Array)) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...paths), fc.constantFrom('drop', 'empty', 'cut')).chain(([path, how]) => {
        const bytes = base.get(path) as Uint8Array;
        if (how === 'drop') return fc.constant(mutated(`${path}: dropped`, replaced(base, path, undefined)));
        if (how === 'empty') return fc.constant(mutated(`${path}: emptied`, replaced(base, path, new Uint8Array(0))));
        return fraction.map((f) => mutated(`${path}: cut at ${at(bytes.length, f)}`, replaced(base, path, bytes.slice(0, at(bytes.length, f)))));
      }),
    },
  );
}
