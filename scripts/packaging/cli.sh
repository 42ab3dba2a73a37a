# package_cli: writes dist/ artifacts of this kind (being written).
package_cli() { echo "package cli: not written yet" >&2; return 1; }
