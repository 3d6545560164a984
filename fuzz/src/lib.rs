//! Helpers shared by the fuzz targets.
//!
//! The file readers take paths, so each input is written to one scratch file per process
//! (in `/dev/shm` when it exists, to keep the fuzzer off the disk).

use std::path::PathBuf;

/// Writes `data` to this process's scratch file named `name` and returns its path.
pub fn scratch(name: &str, data: &[u8]) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let p = dir.join(format!("autotrigger-fuzz-{}-{name}", std::process::id()));
    std::fs::write(&p, data).expect("scratch file");
    p
}

/// Checks the contract every reader error must meet: one line, naming the file.
pub fn check_error(e: &autotrigger::io::IoError, path: &std::path::Path) {
    let s = e.to_string();
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(s.contains(&*name), "error does not name the file: {s}");
    assert!(!s.contains('\n'), "error is not one line: {s:?}");
}

/// Splits `data` into block lengths driven by the data itself (so the fuzzer explores
/// partitions too): returns the first byte-derived block sizes, cycling, never zero-length
/// forever.
pub fn block_sizes(seed: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let s: &[u8] = if seed.is_empty() { &[7] } else { seed };
    s.iter().cycle().map(|b| *b as usize)
}

/// libFuzzer's `-malloc_limit_mb` needs a sanitizer's malloc hooks, which `-s none` lacks; this
/// allocator records the largest single request instead, so a target can assert that a
/// reader never sizes an allocation from a header that lies about the file's length.
pub mod alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Forwards to [`System`], recording the largest request.
    pub struct Largest;
    static LARGEST: AtomicUsize = AtomicUsize::new(0);

    // SAFETY: forwards every call unchanged to `System`.
    unsafe impl GlobalAlloc for Largest {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            LARGEST.fetch_max(l.size(), Ordering::Relaxed);
            System.alloc(l)
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            System.dealloc(p, l)
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
            LARGEST.fetch_max(n, Ordering::Relaxed);
            System.realloc(p, l, n)
        }
    }

    /// Resets and returns the largest request since the last call.
    pub fn take_largest() -> usize {
        LARGEST.swap(0, Ordering::Relaxed)
    }

    #[global_allocator]
    static A: Largest = Largest;
}
