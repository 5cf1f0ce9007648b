/**
 * Decoding of the Kubernetes protobuf bodies kubectl sends for its typed commands
 * (`kubectl create namespace|configmap|secret|serviceaccount`), for a few kinds whose messages
 * are small: Namespace, ConfigMap, Secret and ServiceAccount with the common ObjectMeta fields.
 * Field numbers are those of k8s.io/api core/v1 generated.proto and apimachinery meta/v1
 * generated.proto. Everything else answers 415 and clients send JSON (as kubectl apply does).
 */
import { ApiError } from './status.js';
import type { KObject } from './types.js';

/** The content type of Kubernetes protobuf bodies. */
export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** The envelope prefix: "k8s" and a zero byte, then a runtime.Unknown message. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  no: number;
  /** Wire type 0 (varint) gives a number; 2 (length-delimited) gives bytes. */
  value: number | Buffer;
}

/** Splits a protobuf message into its fields (varint and length-delimited only; others are skipped). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw unsupported('truncated protobuf message');
      const b = buf[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) out.push({ no, value: varint() });
    else if (wire === 2) {
      const len = varint();
      out.push({ no, value: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw unsupported(`protobuf wire type ${wire}`);
  }
  return out;
}

const str = (f: Field): string => (Buffer.isBuffer(f.value) ? f.value.toString('utf8') : String(f.value));

/** Reads a map<string, string|bytes> field (repeated entries of key 1 and value 2). */
function mapEntry(f: Field, bytes: boolean): [string, string] {
  const entry = fields(f.value as Buffer);
  const key = entry.find((e) => e.no === 1);
  const value = entry.find((e) => e.no === 2);
  const v = value ? (bytes ? (value.value as Buffer).toString('base64') : str(value)) : '';
  return [key ? str(key) : '', v];
}

function objectMeta(buf: Buffer): KObject['metadata'] {
  const meta: KObject['metadata'] = { name: '' };
  for (const f of fields(buf)) {
    // Empty strings are how the encoder writes unset string fields.
    if (f.no === 1) meta.name = str(f);
    else if (f.no === 2 && str(f)) meta.generateName = str(f);
    else if (f.no === 3 && str(f)) meta.namespace = str(f);
    else if (f.no === 11) {
      const [k, v] = mapEntry(f, false);
      meta.labels = { ...meta.labels, [k]: v };
    } else if (f.no === 12) {
      const [k, v] = mapEntry(f, false);
      meta.annotations = { ...meta.annotations, [k]: v };
    }
  }
  if (!meta.name) delete (meta as Record<string, unknown>).name;
  return meta;
}

type Decoder = (msg: Field[], obj: KObject) => void;

const DECODERS: Record<string, Decoder> = {
  'v1/Namespace': (msg, obj) => {
    const spec = msg.find((f) => f.no === 2);
    const finalizers = spec ? fields(spec.value as Buffer).filter((f) => f.no === 1).map(str) : [];
    if (finalizers.length > 0) obj.spec = { finalizers };
  },
  'v1/ConfigMap': (msg, obj) => {
    for (const f of msg) {
      if (f.no === 2) {
        const [k, v] = mapEntry(f, false);
        obj.data = { ...(obj.data as object), [k]: v };
      } else if (f.no === 3) {
        const [k, v] = mapEntry(f, true);
        obj.binaryData = { ...(obj.binaryData as object), [k]: v };
      } else if (f.no === 4) obj.immutable = f.value === 1;
    }
  },
  'v1/Secret': (msg, obj) => {
    for (const f of msg) {
      if (f.no === 2) {
        const [k, v] = mapEntry(f, true);
        obj.data = { ...(obj.data as object), [k]: v };
      } else if (f.no === 3 && str(f)) obj.type = str(f);
      else if (f.no === 5) obj.immutable = f.value === 1;
    }
  },
  'v1/ServiceAccount': (msg, obj) => {
    const automount = msg.find((f) => f.no === 4);
    if (automount) obj.automountServiceAccountToken = automount.value === 1;
  },
};

function unsupported(detail: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${detail})`, {});
}

/**
 * Returns the object of a protobuf request body, or throws ApiError 415 for kinds (or fields)
 * this decoder does not know.
 */
export function decodeProtobuf(body: Buffer): KObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw unsupported('missing protobuf envelope');
  const unknown = fields(body.subarray(MAGIC.length));
  const typeMeta = unknown.find((f) => f.no === 1);
  const raw = unknown.find((f) => f.no === 2);
  const tm = typeMeta ? fields(typeMeta.value as Buffer) : [];
  const apiVersion = str(tm.find((f) => f.no === 1) ?? { no: 0, value: Buffer.alloc(0) });
  const kind = str(tm.find((f) => f.no === 2) ?? { no: 0, value: Buffer.alloc(0) });
  const decode = DECODERS[`${apiVersion}/${kind}`];
  if (!decode || !raw) throw unsupported(`protobuf is accepted for Namespace, ConfigMap, Secret and ServiceAccount only, not ${apiVersion} ${kind}`);
  const msg = fields(raw.value as Buffer);
  const meta = msg.find((f) => f.no === 1);
  const obj: KObject = { apiVersion, kind, metadata: meta ? objectMeta(meta.value as Buffer) : { name: '' } };
  decode(msg, obj);
  return obj;
}
