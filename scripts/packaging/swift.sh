# package_swift: writes dist/ artifacts of this kind (being written).
package_swift() { echo "package swift: not written yet" >&2; return 1; }
