#!/usr/bin/env node
// The `mosn` command (the package's `bin`). It is a file of its own rather than `dist/cli.js` so that it exists
// before the build: package managers link bins at install time, and in a checkout `dist/` is made afterwards
// (`tsc -b`). In a package installed from npm or from a `pnpm pack` tarball, `dist/` is always there.
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
try {
  await import(cli.href);
} catch (e) {
  const err = /** @type {{ code?: string, message?: string }} */ (e);
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(fileURLToPath(cli))) throw e;
  process.stderr.write(`mosn: ${fileURLToPath(cli)} is missing: build mosn-ts first (npx -y pnpm@10.34.8 build in the checkout)\n`);
  process.exit(1);
}
