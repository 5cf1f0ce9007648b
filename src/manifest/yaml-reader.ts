/**
 * The `yaml` package's plain reader (`parse`: YAML 1.2 core schema, text to data), as one module that code
 * loading the package on demand imports (`await import('./yaml-reader.js')`), so that runs which read no
 * YAML (a built-in profile's `manifest generate`) never load the 260 KB package.
 */
export { parse as readYaml } from 'yaml';
