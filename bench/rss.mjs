// Preloaded with `node --import` to report a process's peak RSS (bytes) on stderr when it exits.
process.on('exit', () => process.stderr.write(`maxrss=${process.resourceUsage().maxRSS * 1024}\n`));
