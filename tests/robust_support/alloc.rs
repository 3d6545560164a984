//! A counting global allocator for the robustness tests and `examples/day_long.rs`: counts
//! allocation calls and records the largest single request, so "no allocation after
//! construction" and "no allocation sized from a lying header" are checked, not assumed.
//!
//! `GlobalAlloc` is an unsafe trait; this implementation only forwards to `System` unchanged
//! and updates two atomics, which is why `unsafe_code` is allowed here and nowhere else.
#![allow(unsafe_code)]
#![allow(dead_code)] // each user needs a different subset

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forwards to [`System`], counting.
pub struct Counting;

static CALLS: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the atomics have no effect on the memory returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Ordering::Relaxed);
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Ordering::Relaxed);
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc_zeroed(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        CALLS.fetch_add(1, Ordering::Relaxed);
        LARGEST.fetch_max(n, Ordering::Relaxed);
        System.realloc(p, l, n)
    }
}

/// Allocation calls (alloc, alloc_zeroed, realloc) since the process started, all threads.
pub fn calls() -> usize {
    CALLS.load(Ordering::Relaxed)
}

/// Resets and returns the largest single request seen so far.
pub fn take_largest() -> usize {
    LARGEST.swap(0, Ordering::Relaxed)
}
