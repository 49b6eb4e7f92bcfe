// Preload for tests: records every module URL the process resolves (ESM and CommonJS) in $TRACE_FILE,
// so a test can prove what `--help` does not load.
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import Module from 'node:module';

const file = process.env.TRACE_FILE;
if (file) {
  register('data:text/javascript,' + encodeURIComponent(`
    import { appendFileSync } from 'node:fs';
    export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      appendFileSync(${JSON.stringify(file)}, r.url + '\\n');
      return r;
    }`));
  const orig = Module._load;
  Module._load = function (request, parent, isMain) {
    try {
      appendFileSync(file, Module._resolveFilename(request, parent, isMain) + '\n');
    } catch {}
    return orig.apply(this, arguments);
  };
}
void createRequire;
