// Layering (see docs/architecture.md): shared/ is pure; renderer/ and electron/ never import each
// other; only electron/main.ts and electron/preload.ts import 'electron'.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'net', 'url', 'util', 'stream', 'events'];
// ssh2 lives behind electron/ssh/transport.ts: only ssh2Transport.ts may import it, so that the SSH
// library can be replaced in one file (and tests use the real transport, never a mocked ssh2).
const ssh2OnlyInTransport = { group: ['ssh2', 'ssh2/*'], message: 'Only electron/ssh/ssh2Transport.ts imports ssh2; use electron/ssh (transport.ts).' };
const electronLayering = [
  { group: ['electron'], message: 'Only electron/main.ts and electron/preload.ts import electron; pass what you need in.' },
  { group: ['**/renderer/**'], message: 'electron/ must not import from renderer/.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'resources/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain Node scripts: the build, the start script and the `fluxo` launcher.
    files: ['**/*.{mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'shared/ is pure: no Node built-ins.' },
          { group: ['electron', 'react', 'react-dom', '@xyflow/*', 'zustand', 'ssh2', 'ws'], message: 'shared/ is pure: no platform or UI libraries.' },
          { group: ['**/electron/**', '**/renderer/**'], message: 'shared/ must not import from electron/ or renderer/.' },
        ],
      }],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', '__dirname', 'window', 'document'],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'renderer/ runs in a browser: no Node built-ins.' },
          { group: ['electron', 'ssh2', 'ws'], message: 'renderer/ talks to the backend only through shared/api.' },
          { group: ['**/electron/**'], message: 'renderer/ must not import from electron/; use shared/api.' },
        ],
      }],
    },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/main.ts', 'electron/preload.ts', 'electron/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [...electronLayering, ssh2OnlyInTransport],
      }],
    },
  },
  {
    files: ['electron/main.ts', 'electron/preload.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/renderer/**'], message: 'electron/ must not import from renderer/.' }, ssh2OnlyInTransport] }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.{ts,mjs}', 'electron/**/*.test.ts', '*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ssh2OnlyInTransport] }] },
  },
  {
    files: ['electron/ssh/ssh2Transport.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: electronLayering }] },
  },
);
