# package_jvm: writes dist/ artifacts of this kind (being written).
package_jvm() { echo "package jvm: not written yet" >&2; return 1; }
