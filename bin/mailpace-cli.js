#!/usr/bin/env node
// Launcher: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import('../dist/cli/main.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist')) {
      process.stderr.write('mailpace-cli: not built yet; run `npm install` (or `npm run build`) in the package directory\n');
    } else {
      process.stderr.write(`mailpace-cli: ${err && err.stack ? err.stack : err}\n`);
    }
    process.exitCode = 3;
  });
