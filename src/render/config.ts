/**
 * The effective IstioOperator configuration (resolve.ts), resolved with the IstioOperator schema validator;
 * and the record of the built-in profiles' checks that the build keeps for prebuilt-config.ts.
 */
import type { JsonObject } from '../manifest/objects.js';
import { parseYamlDocuments, positionOf } from '../manifest/yaml-docs.js';
import { autoscaleReplicaWarnings, validateIstioOperator, validateSpecTree } from './iop-validate.js';
import { resolveConfigurationWith, type CheckedSpec, type ConfigChecks, type ConfigRequest, type MeshConfiguration, type RenderAssets } from './resolve.js';

export * from './resolve.js';

/** The IstioOperator checks of iop-validate.ts, over documents read by yaml-docs.ts. */
export const IOP_CHECKS: ConfigChecks = {
  readOverlay: (file) => parseYamlDocuments(file.text, file.name),
  positionOf: (src, path) => positionOf(src, path),
  validateOverlay: validateIstioOperator,
  validateSpec: validateSpecTree,
  autoscaleWarnings: autoscaleReplicaWarnings,
};

/**
 * Resolves profile, overlays and flags into one configuration, validated by the IstioOperator schema (see
 * resolveConfigurationWith for the precedence). Throws UsageError for an unknown profile or malformed/invalid
 * --set, DataError (with file:line:column) for unparseable or invalid overlay files.
 */
export function resolveConfiguration(assets: RenderAssets, request: ConfigRequest): MeshConfiguration {
  return resolveConfigurationWith(assets, request, IOP_CHECKS);
}

/**
 * Returns the spec checks of the requests a user makes of a built-in profile without overlays (no flags,
 * `--set profile=P`, `profile dump P`), for every profile of `assets`: each distinct spec the checks saw, a
 * copy taken when they saw it, with what they returned for it. The build keeps them in dist/assets.json
 * (RenderAssets.checkedSpecs).
 */
export function checkBuiltinSpecs(assets: RenderAssets): CheckedSpec[] {
  const seen: CheckedSpec[] = [];
  const entry = (spec: JsonObject): CheckedSpec => {
    const json = JSON.stringify(spec);
    let found = seen.find((c) => JSON.stringify(c.spec) === json);
    if (!found) seen.push(found = { spec: structuredClone(spec) });
    return found;
  };
  const recording: ConfigChecks = {
    ...IOP_CHECKS,
    validateSpec: (spec) => (entry(spec).issues = validateSpecTree(spec)),
    autoscaleWarnings: (spec) => (entry(spec).autoscaleWarnings = autoscaleReplicaWarnings(spec)),
  };
  const requests: ConfigRequest[] = [{}];
  for (const profile of Object.keys(assets.profiles).sort()) requests.push({ sets: [`profile=${profile}`] }, { profile });
  for (const request of requests) resolveConfigurationWith(assets, request, recording);
  return seen;
}
