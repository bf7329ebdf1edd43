#!/usr/bin/env node
// Launcher: the CLI itself is compiled TypeScript (npm install builds it via `prepare`).
import('../dist/src/cli/main.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli/main.js')) {
    console.error('rl: the CLI is not built yet; run `npm run build` in the rl package folder');
    process.exit(2);
  }
  throw error;
});
