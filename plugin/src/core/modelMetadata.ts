/**
 * Reads the metadata an ONNX file carries (ModelProto.metadata_props) without a protobuf library,
 * and checks the Remaster model contract: input "input" / output "output", NCHW RGB, values in
 * [0, 1], sRGB-encoded, float32 or float16. Engine-free: runs in Node and in browsers.
 */

export interface ModelContract {
  preset: string;
  dtype: "float32" | "float16";
  upscale: number;
  inputName: string;
  outputName: string;
  sizeMultiple: number;
  flopsPerOutputPixel?: number;
  raw: Record<string, unknown>;
}

export class ModelError extends Error {
  constructor(message: string) {
    super(`Remaster model: ${message}`);
    this.name = "ModelError";
  }
}

/** The model's output holds NaN or infinite values (either backend): the frame must pass through. */
export class NonFiniteOutputError extends Error {
  constructor(count: number, unit: "values" | "pixels") {
    super(`the model output ${count} non-finite ${unit} (NaN/inf); the frame passes through`);
    this.name = "NonFiniteOutputError";
  }
}

function readVarint(b: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= b.length) throw new ModelError("truncated protobuf (varint runs past the end)");
    const byte = b[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [result, pos];
    shift += 7;
    if (shift > 63) throw new ModelError("corrupt protobuf (varint too long)");
  }
}

/** Iterates the top-level fields of a protobuf message: [fieldNumber, wireType, value|bytes]. */
function* fields(b: Uint8Array): Generator<[number, number, Uint8Array | number]> {
  let pos = 0;
  while (pos < b.length) {
    let key: number;
    [key, pos] = readVarint(b, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 0) throw new ModelError("corrupt protobuf (field number 0)");
    if (wire === 0) {
      let v: number;
      [v, pos] = readVarint(b, pos);
      yield [field, wire, v];
    } else if (wire === 2) {
      let len: number;
      [len, pos] = readVarint(b, pos);
      if (pos + len > b.length) throw new ModelError("truncated protobuf (length-delimited field runs past the end)");
      yield [field, wire, b.subarray(pos, pos + len)];
      pos += len;
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else {
      throw new ModelError(`corrupt protobuf (wire type ${wire})`);
    }
  }
  if (pos !== b.length) throw new ModelError("truncated protobuf");
}

const MODEL_PROTO_METADATA_PROPS = 14;
const MODEL_PROTO_GRAPH = 7;

/** key -> value of ModelProto.metadata_props. Throws ModelError for bytes that are not an ONNX model. */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  if (bytes.length < 16) throw new ModelError(`${bytes.length} bytes is too small to be an ONNX model`);
  const dec = new TextDecoder();
  const props: Record<string, string> = {};
  let sawGraph = false;
  for (const [field, wire, value] of fields(bytes)) {
    if (field === MODEL_PROTO_GRAPH && wire === 2) sawGraph = true;
    if (field !== MODEL_PROTO_METADATA_PROPS || wire !== 2) continue;
    let key = "";
    let val = "";
    for (const [f, w, v] of fields(value as Uint8Array)) {
      if (w !== 2) continue;
      if (f === 1) key = dec.decode(v as Uint8Array);
      if (f === 2) val = dec.decode(v as Uint8Array);
    }
    props[key] = val;
  }
  if (!sawGraph) throw new ModelError("no graph in the file: not an ONNX model");
  return props;
}

/** The length-delimited fields numbered `field` of a message, or its submessages along a path. */
function* messages(b: Uint8Array, ...path: number[]): Generator<Uint8Array> {
  if (!path.length) {
    yield b;
    return;
  }
  for (const [f, w, v] of fields(b)) if (f === path[0] && w === 2) yield* messages(v as Uint8Array, ...path.slice(1));
}

// Field numbers of onnx.proto3 on the path ModelProto.graph.input[].type.tensor_type.shape.dim[].
const GRAPH_PROTO_INPUT = 11;
const VALUE_INFO_NAME = 1;
const VALUE_INFO_TYPE = 2;
const TYPE_PROTO_TENSOR = 1;
const TENSOR_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;
const DIM_PARAM = 2;

/**
 * The graph inputs' shapes: name -> dims, each a fixed size (number) or a symbolic name (string,
 * e.g. "height"). Sessions with static shapes (graph capture) override the symbolic ones.
 */
export function readOnnxInputDims(bytes: Uint8Array): Record<string, Array<number | string>> {
  const dec = new TextDecoder();
  const out: Record<string, Array<number | string>> = {};
  for (const valueInfo of messages(bytes, MODEL_PROTO_GRAPH, GRAPH_PROTO_INPUT)) {
    const [name] = [...messages(valueInfo, VALUE_INFO_NAME)].map((b) => dec.decode(b));
    const dims: Array<number | string> = [];
    for (const dim of messages(valueInfo, VALUE_INFO_TYPE, TYPE_PROTO_TENSOR, TENSOR_SHAPE, SHAPE_DIM)) {
      let d: number | string = "?";
      for (const [f, w, x] of fields(dim)) {
        if (f === DIM_VALUE && w === 0) d = x as number;
        if (f === DIM_PARAM && w === 2) d = dec.decode(x as Uint8Array);
      }
      dims.push(d);
    }
    out[name ?? ""] = dims;
  }
  return out;
}

/** One side of the "remaster" metadata as written by remaster.export (unchecked until checkContract). */
interface TensorMeta {
  name?: unknown;
  layout?: unknown;
  channels?: unknown;
  range?: unknown;
  dtype?: unknown;
  size_multiple?: unknown;
}

/** Parses and checks the contract; every problem is named. */
export function checkContract(props: Record<string, string>): ModelContract {
  if (!props.remaster)
    throw new ModelError('no "remaster" metadata: this ONNX file was not exported by remaster.export');
  let meta: Record<string, unknown> & { input?: TensorMeta; output?: TensorMeta };
  try {
    meta = JSON.parse(props.remaster);
  } catch {
    throw new ModelError('the "remaster" metadata is not valid JSON');
  }
  const input = meta.input ?? {};
  const output = meta.output ?? {};
  const problems: string[] = [];
  if (input.layout !== "NCHW") problems.push(`input layout is ${input.layout}, expected NCHW`);
  if (output.layout !== "NCHW") problems.push(`output layout is ${output.layout}, expected NCHW`);
  for (const [side, t] of [
    ["input", input],
    ["output", output],
  ] as const) {
    if (JSON.stringify(t.range) !== "[0,1]")
      problems.push(`${side} range is ${JSON.stringify(t.range)}, expected [0,1]`);
    if (t.channels !== "RGB") problems.push(`${side} channels are ${t.channels}, expected RGB`);
    if (t.dtype !== "float32" && t.dtype !== "float16")
      problems.push(`${side} dtype is ${t.dtype}, expected float32 or float16`);
  }
  if (typeof input.name !== "string" || typeof output.name !== "string") problems.push("input/output names missing");
  if (problems.length) throw new ModelError(problems.join("; "));
  return {
    preset: String(meta.preset),
    dtype: input.dtype as ModelContract["dtype"],
    upscale: Number(meta.upscale ?? 1),
    inputName: input.name as string,
    outputName: output.name as string,
    sizeMultiple: Number(input.size_multiple ?? 8),
    flopsPerOutputPixel: typeof meta.flops_per_output_pixel === "number" ? meta.flops_per_output_pixel : undefined,
    raw: meta,
  };
}
