// Baseline for the kube-inject benchmark: the yaml library's own parse + serialize of a file,
// in a fresh process like the command it is compared with. Prints the peak RSS (bytes) to stderr.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const text = readFileSync(process.argv[2], 'utf8');
const out = parseAllDocuments(text).map((d) => d.toString()).join('---\n');
process.stdout.write(out);
process.stderr.write(`maxrss=${process.resourceUsage().maxRSS * 1024}\n`);
