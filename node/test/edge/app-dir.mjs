// A project directory as a user has it, for the edge tests (edge.test.mjs) and the workerd
// benchmark (tests/bench/bench_edge_workerd.mjs): node_modules/kompliant-webhooks is the package
// (a symlink to node/), so `kompliant-webhooks/edge` resolves through its export conditions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** node/: the package. */
export const NODE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A new temporary directory (name starting with `prefix`) holding a `package.json` named
 * `name` (an ES module project), the package as node_modules/kompliant-webhooks, and a copy of
 * each of `files` (paths) under its own name; the caller removes it.
 */
export function appDir(prefix, name, files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(NODE_DIR, path.join(dir, 'node_modules', 'kompliant-webhooks'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  for (const f of files) fs.copyFileSync(f, path.join(dir, path.basename(f)));
  return dir;
}
