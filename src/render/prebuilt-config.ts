/**
 * Resolving a configuration from the checks the build ran: the built-in profiles' specs were validated
 * when dist/ was built (RenderAssets.checkedSpecs), so a request whose merged spec is one of them
 * (`manifest generate --set profile=demo`, `profile dump demo`) takes the recorded results and needs
 * neither the IstioOperator validator's code nor its run. Any other request is left to config.ts.
 */
import { isDeepStrictEqual } from 'node:util';
import type { JsonObject } from '../manifest/objects.js';
import type { IopPathIssue } from './iop-validate.js';
import { resolveConfigurationWith, type CheckedSpec, type ConfigRequest, type MeshConfiguration, type RenderAssets } from './resolve.js';

/** Thrown inside a resolution that meets a spec or file the build did not check; never leaves this module. */
const NOT_CHECKED = Symbol('not checked by the build');

/**
 * Returns the configuration resolveConfiguration (config.ts) returns for `request`, when every IstioOperator
 * check it needs was run by the build on equal data (isDeepStrictEqual: same values, types and keys); else
 * undefined, and the caller resolves with the validator. Requests with `-f` files always get undefined (their
 * documents are validated as they are read). Throws what resolveConfiguration throws for the same request.
 */
export function resolvePrebuilt(assets: RenderAssets, request: ConfigRequest): MeshConfiguration | undefined {
  const checked = assets.checkedSpecs;
  if (checked === undefined || (request.files?.length ?? 0) > 0) return undefined;
  const recorded = (spec: JsonObject, result: (c: CheckedSpec) => IopPathIssue[] | undefined): IopPathIssue[] => {
    for (const c of checked) {
      const r = result(c);
      // Specs of other profiles differ in `profile`: compared first, they cost no deep comparison.
      if (r !== undefined && c.spec.profile === spec.profile && isDeepStrictEqual(c.spec, spec)) return r;
    }
    throw NOT_CHECKED;
  };
  try {
    return resolveConfigurationWith(assets, request, {
      readOverlay: () => { throw NOT_CHECKED; },
      positionOf: () => { throw NOT_CHECKED; },
      validateOverlay: () => { throw NOT_CHECKED; },
      validateSpec: (spec) => recorded(spec, (c) => c.issues),
      autoscaleWarnings: (spec) => recorded(spec, (c) => c.autoscaleWarnings),
    });
  } catch (err) {
    if (err === NOT_CHECKED) return undefined;
    throw err;
  }
}
