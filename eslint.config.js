import tseslint from 'typescript-eslint';

// Engines stay pure (DESIGN.md rule 3): no file system, no cluster, no terminal output.
const impureModules = ['node:fs', 'node:fs/promises', 'fs', 'node:child_process', 'node:net', 'node:http', 'node:https',
  '@kubernetes/client-node', 'ora', 'execa', 'chalk'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/testdata/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Tests poke into rendered objects freely.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error',
        { object: 'process', property: 'exit', message: 'Set an exit code in src/main.ts instead.' },
        { object: 'process', property: 'argv', message: 'argv reaches commands through main().' },
        { object: 'process', property: 'stdout', message: 'Write to the injected streams.' },
        { object: 'process', property: 'stderr', message: 'Write to the injected streams.' }],
    },
  },
  {
    files: ['src/render/**/*.ts', 'src/manifest/**/*.ts', 'src/inject/**/*.ts', 'src/analyze/**/*.ts', 'src/validate/**/*.ts', 'src/schema/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: impureModules.map((name) => ({ name, message: 'Engines are pure; do I/O in src/cli or src/kube.' })) }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/kube/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: '@kubernetes/client-node', message: 'Only src/kube/ talks to a cluster.', allowTypeImports: true }],
      }],
    },
  },
);
