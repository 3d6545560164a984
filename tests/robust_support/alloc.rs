//! A counting global allocator for the robustness tests and `examples/day_long.rs`: counts
//! allocation calls and records the largest single request, so "no allocation after
//! construction" and "no allocation sized from a lying header" are checked, not assumed.
//!
//! `GlobalAlloc` is an unsafe trait; this implementation only forwards to `System` unchanged
//! and updates two atomics, which is why `unsafe_code` is allowed here and nowhere else.
#![allow(unsafe_code)]
#![allow(dead_code)] // each user needs a different subset

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forwards to [`System`], counting.
pub struct Counting;

static CALLS: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // Const-initialised and without a destructor, so touching it from the allocator neither
    // allocates nor registers anything.
    static THREAD_CALLS: Cell<usize> = const { Cell::new(0) };
}

fn count(size: usize) {
    CALLS.fetch_add(1, Ordering::Relaxed);
    LARGEST.fetch_max(size, Ordering::Relaxed);
    // `try_with`: during thread teardown the slot may be gone; such calls are not this
    // thread's processing path anyway.
    let _ = THREAD_CALLS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the atomics have no effect on the memory returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count(l.size());
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        count(l.size());
        System.alloc_zeroed(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count(n);
        System.realloc(p, l, n)
    }
}

/// Allocation calls (alloc, alloc_zeroed, realloc) since the process started, all threads.
pub fn calls() -> usize {
    CALLS.load(Ordering::Relaxed)
}

/// Allocation calls made by the calling thread since it started. "No allocation after
/// construction" is a property of the thread that runs the stream: the test harness's own
/// threads allocate at times of their own (libtest's "has been running for over 60 seconds"
/// notice, for one), which made an all-threads count flaky under load.
pub fn thread_calls() -> usize {
    THREAD_CALLS.with(Cell::get)
}

/// Resets and returns the largest single request seen so far.
pub fn take_largest() -> usize {
    LARGEST.swap(0, Ordering::Relaxed)
}
