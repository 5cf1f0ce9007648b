/**
 * Types for `iop-validator.js`, which scripts/gen-validators.mjs generates from
 * manifests/schemas/istio-operator.schema.json (ajv standalone code). This declaration is
 * hand-written; regenerate the .js after editing the schema.
 */
import type { ErrorObject } from 'ajv';

/** An ajv validate function: returns true when `data` is valid, else sets `errors`. */
export interface IopValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/**
 * Validates a whole IstioOperator document (apiVersion, kind, metadata, spec) against the
 * IstioOperator schema of Istio 1.30.3. Reports every error (`allErrors`).
 */
export declare const validateIstioOperator: IopValidateFunction;

/**
 * A node of the schema's field tree: the name of a definition in `iopShape.defs`, 0 for a leaf
 * or an open value, or an object with `p` (known fields), `a` (the node for any other key of a
 * map) and `i` (the node for array items).
 */
export type IopShapeNode = string | 0 | { p?: Record<string, IopShapeNode>; a?: IopShapeNode; i?: IopShapeNode };

/** The known field names of the IstioOperator schema, for "did you mean" suggestions. */
export declare const iopShape: { root: IopShapeNode; defs: Record<string, IopShapeNode> };
