// bundle compiles one TypeScript module of src/ with esbuild and imports it.
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function bundle(name) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rg-unit-')), `${name}.mjs`);
  await build({ entryPoints: [path.join(here, '..', 'src', `${name}.ts`)], outfile: out, bundle: true, format: 'esm', logLevel: 'silent' });
  return import(pathToFileURL(out).href);
}
