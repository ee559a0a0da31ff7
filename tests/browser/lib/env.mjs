// Where the browser and the artifacts are: shared by the config and the helpers.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Debian's Chromium: $SB_CHROMIUM, else `command -v chromium`. */
export function chromiumPath() {
  if (process.env.SB_CHROMIUM) return process.env.SB_CHROMIUM;
  try {
    return execFileSync('/bin/sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('no chromium on PATH: run scripts/browser-deps (or set SB_CHROMIUM)');
  }
}

/**
 * This run's screenshot folder: $SB_ARTIFACTS (the Rust test sets it per backend and
 * spec), else browser-artifacts/manual under $CARGO_TARGET_DIR or the repository's target/.
 */
export function artifactsDir() {
  if (process.env.SB_ARTIFACTS) return process.env.SB_ARTIFACTS;
  const target = process.env.CARGO_TARGET_DIR ?? path.resolve(here, '../../../target');
  return path.join(target, 'browser-artifacts', 'manual');
}
