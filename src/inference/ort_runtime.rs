//! Finding and loading the ONNX Runtime library once per process.
//!
//! The library is not linked at build time (`ort`'s `load-dynamic`): the app works without it
//! (on tract) and uses it when it is there: `ORT_DYLIB_PATH`, or the library inside a
//! pip-installed `onnxruntime` package (`pip install onnxruntime==1.31.1`).

#[cfg(feature = "native")]
mod native {
    use std::path::PathBuf;
    use std::process::Command;
    use std::sync::OnceLock;

    /// The version the project is tested with.
    pub const TESTED_VERSION: &str = "1.31.1";

    struct Runtime {
        environment: ort::environment::Environment,
        description: String,
    }

    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

    /// The library's path: `ORT_DYLIB_PATH`, else the `onnxruntime` Python package's copy.
    pub fn find_library() -> Result<PathBuf, String> {
        if let Some(path) = std::env::var_os("ORT_DYLIB_PATH") {
            let path = PathBuf::from(path);
            return if path.exists() {
                Ok(path)
            } else {
                Err(format!("ORT_DYLIB_PATH={} does not exist", path.display()))
            };
        }
        let output = Command::new("python3")
            .args([
                "-c",
                "import onnxruntime, os; print(os.path.dirname(onnxruntime.__file__))",
            ])
            .output()
            .map_err(|e| format!("no ORT_DYLIB_PATH, and python3 could not be asked ({e})"))?;
        if !output.status.success() {
            return Err(format!(
                "no ORT_DYLIB_PATH, and no onnxruntime Python package (pip install onnxruntime=={TESTED_VERSION})"
            ));
        }
        let package = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        let capi = package.join("capi");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&capi)
            .map_err(|e| format!("{}: {e}", capi.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| {
                path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with("libonnxruntime.so")
                        || n == "onnxruntime.dll"
                        || n.starts_with("libonnxruntime.") && n.ends_with(".dylib")
                })
            })
            .collect();
        found.sort();
        found
            .pop()
            .ok_or_else(|| format!("{}: no ONNX Runtime library inside", capi.display()))
    }

    fn load() -> Result<Runtime, String> {
        let path = find_library()?;
        let environment = ort::init_from(&path)
            .map_err(|e| e.to_string())?
            .with_name("backdrop")
            .build()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Runtime {
            environment,
            description: format!("onnxruntime from {}", path.display()),
        })
    }

    /// Loads the library on first use; says where it came from, or why it is unavailable.
    pub fn status() -> Result<String, String> {
        match RUNTIME.get_or_init(load) {
            Ok(runtime) => Ok(runtime.description.clone()),
            Err(why) => Err(why.clone()),
        }
    }

    /// The process's ONNX Runtime environment, if the library loaded.
    pub fn environment() -> Result<&'static ort::environment::Environment, String> {
        match RUNTIME.get_or_init(load) {
            Ok(runtime) => Ok(&runtime.environment),
            Err(why) => Err(why.clone()),
        }
    }
}

#[cfg(feature = "native")]
pub use native::*;

#[cfg(not(feature = "native"))]
pub fn status() -> Result<String, String> {
    Err("ONNX Runtime does not run on the web".into())
}
