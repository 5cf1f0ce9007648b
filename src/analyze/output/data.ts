/** The json and yaml formats: one array of finding records per run (`[]` when there is none). */
import { stringify } from 'yaml';
import { findingRecord, type Formatter } from './report.js';

/** Formats findings as a JSON array, tab-indented like istioctl's output. */
export const formatJson: Formatter = (input) =>
  `${JSON.stringify(input.findings.filter((f) => !f.suppressed).map(findingRecord), null, '\t')}\n`;

/** Formats findings as a YAML list of the same records. */
export const formatYaml: Formatter = (input) => {
  const records = input.findings.filter((f) => !f.suppressed).map(findingRecord);
  return records.length === 0 ? '[]\n' : stringify(records, { lineWidth: 0 });
};
