/**
 * The runtime of the generated schema validators (src/generated/k8s-validators.js and
 * istio-validators.js, written by scripts/gen-k8s-schemas.mjs): ajv's standalone code kept as
 * data and compiled piece by piece as validation reaches it.
 *
 * ajv's output is about 1.4 MB of JavaScript for the 12 core kinds and 15 Istio CRDs (1.06 MB
 * with the validators it repeats stored once); a run
 * meets a few kinds and, within them, a few of the types they reach (a Deployment reaches the
 * whole PodSpec: volumes of 30 kinds, probes, ephemeral containers...). Loading it as module
 * source cost every `analyze` and `validate` the parse of all of it; compiling a kind's whole
 * closure on its first use still compiled ~340 KB for a Deployment. So the code is a text file
 * (one top-level declaration a line), read once when the first object is validated, and each
 * declaration is compiled with `new Function` when it is first called. Written here rather than
 * taken from ajv: ajv's standalone output has no lazy form.
 */
import type { SchemaValidateFunction } from '../generated/k8s-validators.js';

/**
 * One top-level declaration of ajv's standalone code: its name, offset and length in bytes in the
 * code text (ASCII, so bytes are characters), its kind, then the indices of the declarations its
 * source names. Kind 1 is a function, 0 a value (a schema literal, a format regexp, a runtime
 * helper), 2 a function whose code is that of the function at the one index that follows (ajv
 * repeats a validator for each schema that refers to it; offset and length are then 0).
 */
export type DeclarationRow = readonly [name: string, offset: number, length: number, kind: 0 | 1 | 2, ...uses: number[]];

/** Where one generated module's code is and how it fits together. */
export interface LazyValidatorSource {
  /** The code text's file name, as the generator writes it (`schema-validators.txt`). */
  file: string;
  /** The text's length in bytes: a text of another length belongs to another build. */
  length: number;
  /** Returns the bytes of `file`; called at most once per file name and process. Throws when it cannot be read. */
  read(file: string): Buffer;
  /** ajv's runtime helpers the code reads as `runtime["ajv/dist/runtime/<name>"]`. */
  runtime: Readonly<Record<string, unknown>>;
  /** The declarations, in ajv's order; rows refer to each other by index. */
  declarations: readonly DeclarationRow[];
}

/** The validators of one generated module. */
export interface LazyValidators {
  /** Returns the validate function of the declaration at `index` (an ajv validate function), compiling nothing yet. */
  validator(index: number): SchemaValidateFunction;
  /**
   * Compiles every declaration not compiled yet and returns how many the module has. Throws as a
   * first call would: when the code text cannot be read or a declaration is not where its row says.
   * For tests: a run compiles only what its objects reach.
   */
  compileAll(): number;
}

/**
 * Code texts by file name: both generated modules slice the same text, read once. Kept as bytes and
 * decoded a declaration at a time: a Bookinfo run uses a fifth of the 1.06 MB, and decoding all of it into a
 * string cost more than reading it.
 */
const texts = new Map<string, Buffer>();

function codeText(source: LazyValidatorSource): Buffer {
  let text = texts.get(source.file);
  if (text === undefined) {
    text = source.read(source.file);
    if (text.length !== source.length) {
      throw new Error(`${source.file} holds ${text.length} bytes where this build of meshctl expects ${source.length}: it belongs to another build (rebuild with "npm run build")`);
    }
    texts.set(source.file, text);
  }
  return text;
}

/**
 * Returns the validators of one generated module. Nothing is read or compiled until a validator
 * is first called; then the code text is read (once per process) and each declaration is compiled
 * when it is first reached: a value (schema literal, regexp, helper) when a function that names it
 * is compiled, a function when it is first called. A function is handed to the code that names it
 * as a stand-in that compiles it on its first call and then forwards to it, copying its `errors`
 * as ajv's callers read them (`validateN.errors` after `validateN(...)`), so errors and their
 * order are those of ajv's code run as one module. A function of kind 2 is the stand-in of the one
 * it repeats: the same code, compiled once.
 * @throws from a validator's first call: when `source.read` throws, when the text's length is not
 *   `source.length`, or when a declaration's text does not start with its declaration
 */
export function lazyValidators(source: LazyValidatorSource): LazyValidators {
  const { declarations } = source;
  const resolved: unknown[] = new Array(declarations.length);
  const done = new Uint8Array(declarations.length);

  /** Returns the value code sees for declaration `i`: a stand-in for a function, the value otherwise. */
  const binding = (i: number): unknown => {
    if (!done[i]) {
      const row = declarations[i]!;
      resolved[i] = row[3] === 2 ? binding(row[4]!) : row[3] === 1 ? standIn(i) : compile(i);
      done[i] = 1;
    }
    return resolved[i];
  };

  /** Compiles declaration `i` with the declarations it names as parameters; returns its value. */
  const compile = (i: number): unknown => {
    const [name, offset, length, kind, ...uses] = declarations[i]!;
    const code = codeText(source).toString('latin1', offset, offset + length);
    if (!code.startsWith(kind === 1 ? `function ${name}(` : `const ${name} = `)) {
      throw new Error(`${source.file}: no declaration of ${name} at offset ${offset}: the file belongs to another build of meshctl (rebuild with "npm run build")`);
    }
    const names = uses.map((u) => declarations[u]![0]);
    // The declarations it names are parameters, so each compiles on its own; "use strict" as in ajv's
    // module. A function is returned as a parenthesized expression, which V8 compiles at once: as a
    // declaration it would be pre-parsed here and parsed again on its first call (~20 % of the cost).
    const body = kind === 1 ? `"use strict";return (${code});` : `"use strict";${code}\nreturn ${name};`;
    return new Function(...names, 'runtime', body)(...uses.map(binding), source.runtime);
  };

  const compiledFunctions: (SchemaValidateFunction | undefined)[] = new Array(declarations.length);
  const compiledFunction = (i: number): SchemaValidateFunction =>
    (compiledFunctions[i] ??= compile(i) as SchemaValidateFunction);

  const standIn = (i: number): SchemaValidateFunction => {
    const validate: SchemaValidateFunction = (data: unknown, context?: unknown) => {
      const compiled = compiledFunction(i) as (data: unknown, context?: unknown) => boolean;
      const valid = compiled(data, context);
      validate.errors = (compiled as SchemaValidateFunction).errors;
      return valid;
    };
    return validate;
  };

  return {
    validator: (index) => binding(index) as SchemaValidateFunction,
    compileAll: () => {
      declarations.forEach((row, i) => {
        if (row[3] === 1) compiledFunction(i);
        else if (row[3] === 2) compiledFunction(row[4]!);
        else binding(i);
      });
      return declarations.length;
    },
  };
}
