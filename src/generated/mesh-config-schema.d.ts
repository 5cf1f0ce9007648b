/**
 * Types for `mesh-config-schema.js`, which scripts/gen-mesh-config-schema.mjs generates from the
 * istio/api protos (istio.mesh.v1alpha1.MeshConfig and every message it reaches) at the commit
 * Istio 1.30.3 pins. This declaration is hand-written.
 */

/**
 * A field of a message, keyed by its JSON name (lowerCamel, as protoc derives it).
 * - `t`: the type: a proto scalar (`string`, `int32`, `uint64`, `bool`, `double`, `bytes`...), a
 *   `google.protobuf.*` well-known type, or the full name of a message or enum in the table;
 * - `n`: the proto field name when it differs from the JSON name (the decoder accepts both);
 * - `l`: 1 for a repeated field (a list);
 * - `k`: the key type of a map field (`t` is then the value type);
 * - `o`: the name of the oneof the field belongs to;
 * - `d`: 1 when the field is marked deprecated.
 */
export interface MeshSchemaField {
  t: string;
  n?: string;
  l?: 1;
  k?: string;
  o?: string;
  d?: 1;
}

/** A message: its fields by JSON name and `r`, the JSON names of fields removed from it (`reserved`). */
export interface MeshSchemaMessage {
  f: Record<string, MeshSchemaField>;
  r?: string[];
}

/** The mesh config schema: the root message's full name, messages and enums (value name -> number) by full name. */
export declare const meshConfigSchema: {
  commit: string;
  root: string;
  messages: Record<string, MeshSchemaMessage>;
  enums: Record<string, Record<string, number>>;
};
