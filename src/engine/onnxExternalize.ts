// Large ONNX files with their weights inline (q4 and q8 exports up to 2 GB) rewritten, as they are
// read, into a small graph whose initializers point back into the file as external data. The
// weights then travel from disk to onnxruntime's heap range by range (ModelFiles.openLazily)
// instead of being read into one buffer first, which onnxruntime would then copy whole and parse
// into a third copy. Only field headers and the small messages (nodes, names, shapes) are read.
import { ModelError } from './errors';
import {
  DATA_LOCATION_EXTERNAL,
  ENTRY_KEY,
  ENTRY_VALUE,
  GRAPH_INITIALIZER,
  MODEL_GRAPH,
  TENSOR_DATA_LOCATION,
  TENSOR_EXTERNAL_DATA,
  TENSOR_RAW_DATA,
  WIRE_32BIT,
  WIRE_64BIT,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
} from './onnxProto';
import { concat, lengthField, varintField } from './protoWrite';


/** Reads bytes [offset, offset + length) of one file. */
export type RangeReader = (offset: number, length: number) => Promise<Uint8Array>;

/** Reads through a window so that walking field headers does not cost a read per byte. */
class WindowedFile {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;

  constructor(
    private readonly read: RangeReader,
    readonly size: number,
    private readonly windowBytes = 1 << 20,
  ) {}

  async byteAt(position: number): Promise<number> {
    if (position < this.windowStart || position >= this.windowStart + this.window.length) {
      if (position >= this.size) throw new ModelError('truncated ONNX protobuf');
      this.windowStart = position;
      this.window = await this.read(position, Math.min(this.windowBytes, this.size - position));
    }
    return this.window[position - this.windowStart] as number;
  }

  async bytes(start: number, end: number): Promise<Uint8Array> {
    if (start >= this.windowStart && end <= this.windowStart + this.window.length) {
      return this.window.slice(start - this.windowStart, end - this.windowStart);
    }
    return this.read(start, end - start);
  }

  async varint(position: number): Promise<[value: number, next: number]> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = await this.byteAt(position++);
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return [value, position];
      scale *= 128;
    }
    throw new ModelError('malformed varint in ONNX protobuf');
  }
}

interface FieldHeader {
  readonly number: number;
  readonly wire: number;
  /** The whole field is [start, end); a length-delimited payload is [payload, end). */
  readonly start: number;
  readonly payload: number;
  readonly end: number;
}

async function* headers(file: WindowedFile, start: number, end: number): AsyncGenerator<FieldHeader> {
  let position = start;
  while (position < end) {
    const fieldStart = position;
    const [key, afterKey] = await file.varint(position);
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (number === 0) throw new ModelError('invalid field number 0 in ONNX protobuf');
    let payload = afterKey;
    switch (wire) {
      case WIRE_VARINT:
        position = (await file.varint(afterKey))[1];
        break;
      case WIRE_64BIT:
        position = afterKey + 8;
        break;
      case WIRE_32BIT:
        position = afterKey + 4;
        break;
      case WIRE_LENGTH_DELIMITED: {
        const [length, next] = await file.varint(afterKey);
        payload = next;
        position = next + length;
        break;
      }
      default:
        throw new ModelError(`unsupported protobuf wire type ${wire} in ONNX file`);
    }
    if (position > end) throw new ModelError('truncated ONNX protobuf');
    yield { number, wire, start: fieldStart, payload, end: position };
  }
}

/** One key/value entry of a TensorProto's external_data. */
export function externalEntry(key: string, value: string): Uint8Array {
  return lengthField(TENSOR_EXTERNAL_DATA, concat([lengthField(ENTRY_KEY, key), lengthField(ENTRY_VALUE, value)]));
}

export interface ExternalizedModel {
  /** The model with every large inline initializer pointing into `location` instead. */
  readonly bytes: Uint8Array;
  /** How many initializers now read from the file itself. */
  readonly externalized: number;
}

/**
 * Rewrites a model file's large inline initializers (raw_data of at least `minBytes`) as external
 * data at their own offsets in that file, mounted under `location` (the file's name). Returns
 * undefined when nothing is large enough to be worth it.
 */
export async function externalizeInitializers(read: RangeReader, size: number, location: string, minBytes = 1 << 20): Promise<ExternalizedModel | undefined> {
  const file = new WindowedFile(read, size);
  let externalized = 0;
  const modelParts: Uint8Array[] = [];
  for await (const field of headers(file, 0, size)) {
    if (field.number !== MODEL_GRAPH || field.wire !== WIRE_LENGTH_DELIMITED) {
      modelParts.push(await file.bytes(field.start, field.end));
      continue;
    }
    const graphParts: Uint8Array[] = [];
    for await (const part of headers(file, field.payload, field.end)) {
      if (part.number !== GRAPH_INITIALIZER || part.wire !== WIRE_LENGTH_DELIMITED || part.end - part.payload < minBytes) {
        graphParts.push(await file.bytes(part.start, part.end));
        continue;
      }
      const tensorParts: Uint8Array[] = [];
      let raw: FieldHeader | undefined;
      for await (const tensorField of headers(file, part.payload, part.end)) {
        if (tensorField.number === TENSOR_RAW_DATA && tensorField.wire === WIRE_LENGTH_DELIMITED) raw = tensorField;
        else tensorParts.push(await file.bytes(tensorField.start, tensorField.end));
      }
      if (!raw || raw.end - raw.payload < minBytes) {
        graphParts.push(await file.bytes(part.start, part.end));
        continue;
      }
      externalized++;
      tensorParts.push(
        externalEntry('location', location),
        externalEntry('offset', String(raw.payload)),
        externalEntry('length', String(raw.end - raw.payload)),
        varintField(TENSOR_DATA_LOCATION, DATA_LOCATION_EXTERNAL),
      );
      graphParts.push(lengthField(GRAPH_INITIALIZER, concat(tensorParts)));
    }
    modelParts.push(lengthField(MODEL_GRAPH, concat(graphParts)));
  }
  return externalized === 0 ? undefined : { bytes: concat(modelParts), externalized };
}
