'use strict';
// The platform suffix of native module files and prebuilt packages, as napi-rs names them:
// kompliant-webhooks.<suffix>.node and the package kompliant-webhooks-<suffix>.

/** Whether this Linux uses musl libc (Alpine) rather than glibc. */
function isMusl() {
  if (process.platform !== 'linux') return false;
  try {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
    return !report?.header?.glibcVersionRuntime;
  } catch {
    return false;
  }
}

/** e.g. `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`, `win32-x64-msvc`. */
function platformSuffix() {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const BINARY_NAME = 'kompliant-webhooks';

module.exports = { platformSuffix, BINARY_NAME };
