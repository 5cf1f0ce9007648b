/**
 * The check the rendering commands apply to an IstioOperator file, for one document that has
 * been parsed already: what `validate` runs on each IstioOperator it reads, so that it refuses
 * what `manifest generate` refuses.
 */
import { DataError, formatPosition, UsageError, type SourcePosition } from '../errors.js';
import { positionOf, type SourceDocument } from '../manifest/yaml-docs.js';
import { resolveConfiguration, type RenderAssets } from './config.js';
import { renderManifests } from './render.js';

/** A problem with an IstioOperator document, at its `file:line:column`. */
export interface OperatorProblem {
  message: string;
  position: SourcePosition;
}

/**
 * Returns the first problem `manifest generate -f <file>` would report for `document` (an
 * IstioOperator at the root of its YAML document), or undefined when it would render: the schema
 * check, profile, revision and namespace, then rendering (k8s overlays, enabled cni/ztunnel,
 * duplicate gateway entries), as resolveConfiguration and renderManifests run them. The position
 * is the offending node's; a problem with no node of its own (the merged configuration, a profile
 * value) is placed at the document. Throws only what is not about the input (a bug).
 */
export function checkOperatorDocument(assets: RenderAssets, document: SourceDocument): OperatorProblem | undefined {
  try {
    const config = resolveConfiguration(assets, { files: [{ name: document.file, text: '', document }] });
    renderManifests(config, assets);
    return undefined;
  } catch (e) {
    if (e instanceof DataError && e.position) {
      const prefix = `${formatPosition(e.position)}: `;
      return { message: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message, position: e.position };
    }
    if (e instanceof DataError || e instanceof UsageError) return { message: e.message, position: positionOf(document, []) };
    throw e;
  }
}
