// The part of ONNX's protobuf schema (onnx/onnx.proto3, field numbers as there) that simdnet reads and
// writes: models, graphs, nodes, attributes, tensors and value infos. Parsed and written by protobufjs
// (its reflection build, no code generation), so the field numbers below are the only thing to keep right.
import protobuf from 'protobufjs/light.js';

const f = (type: string, id: number, rule?: 'repeated') => (rule ? { type, id, rule } : { type, id });

const ONNX_JSON = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: f('int64', 1),
            opsetImport: f('OperatorSetIdProto', 8, 'repeated'),
            producerName: f('string', 2),
            producerVersion: f('string', 3),
            domain: f('string', 4),
            modelVersion: f('int64', 5),
            docString: f('string', 6),
            graph: f('GraphProto', 7),
          },
        },
        OperatorSetIdProto: { fields: { domain: f('string', 1), version: f('int64', 2) } },
        GraphProto: {
          fields: {
            node: f('NodeProto', 1, 'repeated'),
            name: f('string', 2),
            initializer: f('TensorProto', 5, 'repeated'),
            docString: f('string', 10),
            input: f('ValueInfoProto', 11, 'repeated'),
            output: f('ValueInfoProto', 12, 'repeated'),
            valueInfo: f('ValueInfoProto', 13, 'repeated'),
          },
        },
        NodeProto: {
          fields: {
            input: f('string', 1, 'repeated'),
            output: f('string', 2, 'repeated'),
            name: f('string', 3),
            opType: f('string', 4),
            domain: f('string', 7),
            attribute: f('AttributeProto', 5, 'repeated'),
            docString: f('string', 6),
          },
        },
        AttributeProto: {
          fields: {
            name: f('string', 1),
            type: f('int32', 20),
            f: f('float', 2),
            i: f('int64', 3),
            s: f('bytes', 4),
            t: f('TensorProto', 5),
            floats: f('float', 7, 'repeated'),
            ints: f('int64', 8, 'repeated'),
            strings: f('bytes', 9, 'repeated'),
          },
        },
        ValueInfoProto: { fields: { name: f('string', 1), type: f('TypeProto', 2), docString: f('string', 3) } },
        TypeProto: {
          fields: { tensorType: f('TypeProtoTensor', 1) },
        },
        TypeProtoTensor: { fields: { elemType: f('int32', 1), shape: f('TensorShapeProto', 2) } },
        TensorShapeProto: { fields: { dim: f('Dimension', 1, 'repeated') } },
        Dimension: { fields: { dimValue: f('int64', 1), dimParam: f('string', 2) } },
        TensorProto: {
          fields: {
            dims: f('int64', 1, 'repeated'),
            dataType: f('int32', 2),
            floatData: f('float', 4, 'repeated'),
            int32Data: f('int32', 5, 'repeated'),
            int64Data: f('int64', 7, 'repeated'),
            name: f('string', 8),
            rawData: f('bytes', 9),
            doubleData: f('double', 10, 'repeated'),
          },
        },
      },
    },
  },
};

/** ONNX TensorProto.DataType values simdnet reads. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;
/** ONNX AttributeProto.AttributeType values simdnet writes. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

let root: protobuf.Root | null = null;
/** The ModelProto message type (the reflection tree is built on first use). */
export function modelType(): protobuf.Type {
  root ??= protobuf.Root.fromJSON(ONNX_JSON);
  return root.lookupType('onnx.ModelProto');
}

/** An int64 field as protobufjs gives it (a number, or a Long where the `long` package is installed). */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

// The decoded messages, as this module uses them (protobufjs fills in defaults for absent fields).
export interface OnnxTensor {
  dims: unknown[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: unknown[];
  doubleData: number[];
  name: string;
  rawData: Uint8Array;
}
export interface OnnxAttribute {
  name: string;
  type: number;
  f: number;
  i: unknown;
  s: Uint8Array;
  t: OnnxTensor | null;
  floats: number[];
  ints: unknown[];
}
export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: OnnxAttribute[];
}
export interface OnnxValueInfo {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: { dimValue: unknown; dimParam: string }[] } | null } | null } | null;
}
export interface OnnxGraph {
  node: OnnxNode[];
  name: string;
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}
export interface OnnxModel {
  irVersion: unknown;
  opsetImport: { domain: string; version: unknown }[];
  graph: OnnxGraph | null;
}

/** Decodes an ONNX model file. */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const type = modelType();
  return type.toObject(type.decode(bytes), { defaults: true, arrays: true }) as unknown as OnnxModel;
}

/** Encodes a plain-object ModelProto (camelCase field names) into an ONNX model file. */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  const type = modelType();
  return type.encode(type.fromObject(model)).finish();
}

/** A tensor's values as numbers (float, double, int32 or int64; raw little-endian data or the typed fields). */
export function tensorValues(t: OnnxTensor, who: string): Float32Array | number[] {
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const dv = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  switch (t.dataType) {
    case DataType.FLOAT: {
      if (!dv) return Float32Array.from(t.floatData);
      const out = new Float32Array(dv.byteLength / 4);
      for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    }
    case DataType.DOUBLE: {
      if (!dv) return Float32Array.from(t.doubleData);
      const out = new Float32Array(dv.byteLength / 8);
      for (let i = 0; i < out.length; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    case DataType.INT32:
      return dv ? Array.from({ length: dv.byteLength / 4 }, (_, i) => dv.getInt32(i * 4, true)) : t.int32Data.map(Number);
    case DataType.INT64:
      return dv ? Array.from({ length: dv.byteLength / 8 }, (_, i) => Number(dv.getBigInt64(i * 8, true))) : t.int64Data.map(num);
    default:
      throw new Error(`simdnet: loadOnnx: tensor ${who} has data type ${t.dataType}, which simdnet does not read (float, double, int32, int64)`);
  }
}
