/** The output formats of `meshctl analyze -o`, by name. */
import { formatJson, formatYaml } from './data.js';
import { formatGithub } from './github.js';
import { formatJunit } from './junit.js';
import { formatLog } from './log.js';
import type { Formatter } from './report.js';
import { formatSarif } from './sarif.js';

/** Formatters by `-o` value. */
export const FORMATTERS: Readonly<Record<string, Formatter>> = {
  log: formatLog,
  json: formatJson,
  yaml: formatYaml,
  sarif: formatSarif,
  junit: formatJunit,
  github: formatGithub,
};
