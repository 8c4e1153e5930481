// Lint: typescript-eslint's recommended rules over src/, commands/ and tests/, plus the rule that keeps
// src/ free of oclif and of the prompt library (the domain core must not know about the CLI).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_'}],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {group: ['@oclif/*'], message: 'src/ is the domain core: it must not import oclif'},
            {group: ['@inquirer/*'], message: 'src/ is the domain core: it describes questions (an Asker), and the command asks them on the terminal'},
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'tests/bench/**/*.js', 'tests/lint/**/*.mjs'],
    languageOptions: {globals: {process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly'}},
  },
)
