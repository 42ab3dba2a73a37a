//! napi-rs build setup (linker arguments for Node addons on each platform).

fn main() {
    napi_build::setup();
}
