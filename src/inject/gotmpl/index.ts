/**
 * A Go text/template engine for istiod's injection templates.
 *
 * istiod executes injection templates with Go's text/template, sprig's TxtFuncMap and its own
 * helpers on top. There is no maintained npm package that implements Go text/template semantics
 * faithfully (field and method lookup on typed values, Go's argument conversion rules, fmt
 * printing, sprig's quirks), so meshctl carries its own: this module and its siblings.
 *
 * - lex.ts, parse.ts: text/template/parse (Go 1.2x syntax, including `break`, `continue` and
 *   `else with`);
 * - exec.ts: text/template's exec.go, compiled to closures once per template;
 * - values.ts: the Go value model (typed numbers, maps, slices, structs, pointers);
 * - format.ts, json.ts, yaml.ts: fmt, encoding/json and sigs.k8s.io/yaml output;
 * - funcs.ts, sprig.ts, istio.ts: builtins, sprig and Istio's helpers;
 * - istio-types.ts: the Go types of istiod's SidecarTemplateData.
 *
 * Parse once, execute many: {@link parseTemplate} does all per-template work up front.
 */

import { ExecError, Program } from './exec.js';
import { builtins, type FuncMap, type GoFunc } from './funcs.js';
import { istioFuncs } from './istio.js';
import { ParseError, parse } from './parse.js';
import { sprigFuncs } from './sprig.js';
import { fromJsonValue } from './json.js';
import { GoMap, GoNum, GoPtr, GoSlice, GoStruct, type GoValue } from './values.js';

/**
 * A template that failed to parse or execute. `message` is Go's text
 * (`template: inject:12:34: executing "inject" at <.Foo>: ...`, or for syntax errors
 * `template: inject:3: unexpected ...`); `line` is 1-based; `column` is the 0-based UTF-8 byte
 * offset within the line as Go counts it (for syntax errors: of the offending token).
 */
export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/** A parsed template, ready to execute any number of times. */
export interface Template {
  /**
   * Executes the template over `data` and returns what it printed. `data` is a value from
   * `toTemplateData` (or any Go value of the engine); plain JS objects and arrays are taken as
   * JSON decoded into `interface{}` (maps, `[]interface{}`, float64 numbers). `env` is istiod's
   * environment as Istio's `env` helper sees it (never process.env). Throws {@link TemplateError}.
   */
  execute(data: unknown, options?: { env?: Readonly<Record<string, string>> }): string;
}

/** sprig's TxtFuncMap with Istio's helpers replacing sprig's of the same name, as istiod installs them. */
const templateFuncs: FuncMap = new Map<string, GoFunc>([...sprigFuncs, ...istioFuncs]);

function hasFunction(name: string): boolean {
  return templateFuncs.has(name) || builtins.has(name);
}

const noEnv: Readonly<Record<string, string>> = Object.freeze({});

function toGoValue(data: unknown): GoValue {
  if (data === null || data === undefined) return null;
  if (typeof data === 'string' || typeof data === 'boolean' || typeof data === 'number') return data;
  if (data instanceof GoMap || data instanceof GoSlice || data instanceof GoStruct || data instanceof GoPtr || data instanceof GoNum) return data;
  return fromJsonValue(data);
}

/**
 * Parses a Go template as istiod's injector does (template.New(name), sprig's functions, Istio's
 * helpers, no missingkey option) and returns it ready to execute. Throws {@link TemplateError}
 * for syntax errors, unknown functions (`function "x" not defined`) and undefined variables.
 */
export function parseTemplate(text: string, name = 'inject'): Template {
  let program: Program;
  try {
    const trees = parse(name, text, hasFunction);
    program = new Program(name, text, trees, templateFuncs, builtins);
    // Compile every template now so that execution does no per-template work.
    for (const t of trees.keys()) program.template(t);
  } catch (err) {
    if (err instanceof ParseError) {
      const before = text.slice(0, err.pos);
      const lineStart = before.lastIndexOf('\n') + 1;
      throw new TemplateError(err.message, err.line, Buffer.byteLength(before.slice(lineStart)));
    }
    throw err;
  }
  return {
    execute(data: unknown, options = {}): string {
      try {
        return program.execute(toGoValue(data), { env: options.env ?? noEnv });
      } catch (err) {
        if (err instanceof ExecError) throw new TemplateError(err.message, err.line, err.column);
        throw err;
      }
    },
  };
}

export type { GoValue } from './values.js';
