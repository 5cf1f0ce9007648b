/**
 * Which TCP connections processes hold, read from /proc: for each process, the socket inodes among
 * its open file descriptors, matched against the kernel's TCP tables (/proc/<pid>/net/tcp and tcp6,
 * the process's own network namespace). Used to show that nothing a test starts connects anywhere
 * but loopback. Only the named processes are looked at: the machine may run unrelated programs
 * whose connections are none of the tests' business.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** One TCP socket of a process that is not a listener. */
export interface TcpConnection {
  pid: number;
  /** What the process was registered as (e.g. `meshctl install`), else its /proc comm. */
  process: string;
  /** `address:port`; IPv6 addresses in brackets. */
  local: string;
  remote: string;
  /** Remote address alone, e.g. `127.0.0.1`, `::1`, `::ffff:127.0.0.1`. */
  remoteAddress: string;
  remotePort: number;
  /** Kernel TCP state, e.g. ESTABLISHED, SYN_SENT, TIME_WAIT. */
  state: string;
}

const STATES: Record<string, string> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING', '0C': 'NEW_SYN_RECV',
};

/**
 * Returns the address of a /proc/net/tcp{,6} field (`0100007F` or 32 hex digits): the kernel
 * prints each 32-bit word in host byte order, little-endian here, so the bytes of every word are reversed.
 */
export function procAddress(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(parseInt(word.slice(b, b + 2), 16));
  }
  if (bytes.length === 4) return bytes.join('.');
  const zeros = (from: number, to: number): boolean => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  if (zeros(0, 15)) return bytes[15] === 1 ? '::1' : bytes[15] === 0 ? '::' : `::${bytes[15]!.toString(16)}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8. */
export function isLoopback(address: string): boolean {
  return /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address) || address === '::1';
}

/** Returns the socket inodes among the open descriptors of `pid` (empty once the process is gone). */
async function socketInodes(pid: number): Promise<Set<string>> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  await Promise.all(fds.map(async (fd) => {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) out.add(m[1]!);
  }));
  return out;
}

async function tcpTable(pid: number): Promise<string[]> {
  const tables = await Promise.all(['tcp', 'tcp6'].map((t) => readFile(`/proc/${pid}/net/${t}`, 'utf8').catch(() => '')));
  return tables.flatMap((t) => t.split('\n').slice(1)).filter((l) => l.trim() !== '');
}

function endpoint(field: string): { address: string; port: number; text: string } {
  const [hex, port] = field.split(':') as [string, string];
  const address = procAddress(hex);
  const p = parseInt(port, 16);
  return { address, port: p, text: address.includes(':') ? `[${address}]:${p}` : `${address}:${p}` };
}

/**
 * Returns the TCP connections (every state but LISTEN) held by the processes `pids`, labelled with
 * `names` where given. Processes that exited meanwhile contribute nothing.
 */
export async function tcpConnectionsOf(pids: Iterable<number>, names: ReadonlyMap<number, string> = new Map()): Promise<TcpConnection[]> {
  const out: TcpConnection[] = [];
  await Promise.all([...new Set(pids)].filter((p) => p > 0).map(async (pid) => {
    const [inodes, rows, comm] = await Promise.all([
      socketInodes(pid), tcpTable(pid), readFile(`/proc/${pid}/comm`, 'utf8').then((s) => s.trim()).catch(() => String(pid)),
    ]);
    if (inodes.size === 0) return;
    for (const row of rows) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
      const f = row.trim().split(/\s+/);
      const inode = f[9];
      if (!inode || !inodes.has(inode)) continue;
      const state = STATES[f[3]!.toUpperCase()] ?? f[3]!;
      if (state === 'LISTEN') continue;
      const local = endpoint(f[1]!);
      const remote = endpoint(f[2]!);
      out.push({ pid, process: names.get(pid) ?? comm, local: local.text, remote: remote.text, remoteAddress: remote.address, remotePort: remote.port, state });
    }
  }));
  return out;
}

/** A running sampler: `stop()` ends it and returns every distinct connection seen. */
export interface SocketSampler {
  /** Samples a process from now on (e.g. a CLI just started), under `name`; the returned function stops that. */
  track(pid: number | undefined, name: string): () => void;
  /** Takes one sample now (also taken every interval). */
  sample(): Promise<void>;
  /** Samples taken so far. */
  readonly count: number;
  stop(): Promise<TcpConnection[]>;
}

/**
 * Samples the connections of `pids()` plus every tracked process every `intervalMs` until stopped.
 * Connections are kept once per process, local and remote endpoint and state.
 */
export function startSocketSampler(pids: () => Iterable<number>, intervalMs = 50): SocketSampler {
  const names = new Map<number, string>();
  const active = new Set<number>();
  const seen = new Map<string, TcpConnection>();
  let count = 0;
  let running: Promise<void> | undefined;
  const sample = async (): Promise<void> => {
    count++;
    for (const c of await tcpConnectionsOf([...pids(), ...active], names)) {
      seen.set(`${c.pid} ${c.local} ${c.remote} ${c.state}`, c);
    }
  };
  const timer = setInterval(() => {
    running ??= sample().finally(() => {
      running = undefined;
    });
  }, intervalMs);
  return {
    track(pid, name) {
      if (!pid) return () => undefined;
      names.set(pid, name);
      active.add(pid);
      return () => active.delete(pid);
    },
    sample,
    get count() {
      return count;
    },
    async stop() {
      clearInterval(timer);
      await running;
      await sample();
      return [...seen.values()];
    },
  };
}
