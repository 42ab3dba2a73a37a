# package_node: writes dist/ artifacts of this kind (being written).
package_node() { echo "package node: not written yet" >&2; return 1; }
