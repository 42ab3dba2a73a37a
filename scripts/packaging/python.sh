# package_python: writes dist/ artifacts of this kind (being written).
package_python() { echo "package python: not written yet" >&2; return 1; }
