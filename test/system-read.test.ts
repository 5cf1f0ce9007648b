/**
 * nodeFileSystem().readText reads regular files synchronously and everything else through
 * node:fs/promises (FIFOs, devices, sockets: test/cli/hostile-reads.test.ts). The synchronous read
 * must give the same text, bounds and errors as the other one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFileSystem } from '../src/system.js';

const dir = mkdtempSync(join(tmpdir(), 'meshctl-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fs = nodeFileSystem();

/** Returns the text read, or the error's code and message. */
async function read(path: string, max?: number): Promise<unknown> {
  try {
    return { text: await fs.readText(path, max) };
  } catch (e) {
    const { code, line, column } = e as { code?: string; line?: number; column?: number };
    return { code, line, column, message: (e as Error).message };
  }
}

describe('reading a regular file', () => {
  it('gives its text, multi-byte characters and a file larger than one read included', async () => {
    const text = `a: "é ✓ 😀"\n${'x'.repeat(200_000)}\n`;
    writeFileSync(join(dir, 'big.yaml'), text);
    writeFileSync(join(dir, 'empty.yaml'), '');
    expect(await read(join(dir, 'big.yaml'))).toEqual({ text });
    expect(await read(join(dir, 'empty.yaml'))).toEqual({ text: '' });
  });

  it('is bounded: a file of exactly the bound is read, one byte more is EFBIG', async () => {
    writeFileSync(join(dir, 'ten.yaml'), '0123456789');
    expect(await read(join(dir, 'ten.yaml'), 10)).toEqual({ text: '0123456789' });
    expect(await read(join(dir, 'ten.yaml'), 9)).toMatchObject({ code: 'EFBIG' });
  });

  it('reads a file whose size the system reports as 0 to its end', async () => {
    expect(((await read('/proc/self/status')) as { text: string }).text).toMatch(/^Name:/);
  });

  it('refuses text that is not UTF-8 at its position, and reports missing files and directories by code', async () => {
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from('a: 1\nb: caf\xe9\n', 'latin1'));
    mkdirSync(join(dir, 'sub'));
    expect(await read(join(dir, 'latin1.yaml'))).toMatchObject({ code: 'EILSEQ', line: 2, column: 7 });
    expect(await read(join(dir, 'missing.yaml'))).toMatchObject({ code: 'ENOENT' });
    expect(await read(join(dir, 'sub'))).toMatchObject({ code: 'EISDIR' });
    await expect(fs.isDirectory(join(dir, 'sub'))).resolves.toBe(true);
    await expect(fs.isDirectory(join(dir, 'ten.yaml'))).resolves.toBe(false);
    await expect(fs.isDirectory(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
