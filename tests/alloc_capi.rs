//! The C ABI's real-time path allocates nothing either: pushing audio (f32 and i16), IMU and
//! barometer samples and inputs, polling decisions into caller structs, and the error path (a rejected
//! input, its message formatted into the thread-local buffer and read back), all through the
//! `extern "C"` functions, under the counting allocator of `alloc_common`.
#![cfg(feature = "capi")]
// The counting `#[global_allocator]` needs `unsafe impl GlobalAlloc`, and calling the C ABI
// from Rust is `unsafe` by nature (raw pointers). Test code, never part of the library.
#![allow(unsafe_code)]

mod alloc_common;

use alloc_common::{audio_scene, imu_scene, measure, pressure_scene};
use autotrigger::capi::*;
use std::ffi::c_char;
use std::mem::MaybeUninit;

#[test]
fn c_abi_push_and_poll_do_not_allocate() {
    const SECS: u32 = 180;
    let rate = 16_000;
    let (samples, _) = audio_scene(SECS, rate);
    let pcm: Vec<i16> = samples.iter().map(|&x| (x * 32_767.0) as i16).collect();
    let imu: Vec<AtImuSample> = imu_scene(SECS, 100)
        .iter()
        .map(|s| AtImuSample {
            t_us: s.t.as_micros(),
            accel: s.accel,
            gyro: s.gyro.unwrap_or([0.0; 3]),
            has_gyro: i32::from(s.gyro.is_some()),
        })
        .collect();
    let pressure: Vec<AtPressureSample> = pressure_scene(SECS, 10)
        .iter()
        .map(|p| AtPressureSample {
            t_us: p.t.as_micros(),
            hpa: p.hpa,
        })
        .collect();
    let mut h: *mut AtEngine = std::ptr::null_mut();
    // SAFETY: NULL policy (defaults) and a valid out pointer.
    assert_eq!(
        unsafe { at_engine_new(std::ptr::null(), rate, &mut h) },
        AT_OK
    );
    let block = (rate / 100) as usize;
    let mut d = MaybeUninit::<AtDecision>::uninit();
    let mut msg = [0 as c_char; AT_ERROR_LEN];
    let (mut decisions, mut gunshots, mut rejected) = (0u32, 0u32, 0u32);
    let ((), a) = measure(|| {
        let (mut next_imu, mut next_p) = (0, 0);
        for (k, b) in samples.chunks(block).enumerate() {
            let end_us = (((k + 1) * block) as i64 * 1_000_000) / i64::from(rate);
            let first = next_imu;
            while next_imu < imu.len() && imu[next_imu].t_us < end_us {
                next_imu += 1;
            }
            // SAFETY: `h` is live; the slices are valid for their lengths; `d` and `msg` are
            // writable buffers of the documented sizes.
            let first_p = next_p;
            while next_p < pressure.len() && pressure[next_p].t_us < end_us {
                next_p += 1;
            }
            unsafe {
                let p = &pressure[first_p..next_p];
                assert_eq!(at_engine_push_pressure(h, p.as_ptr(), p.len()), AT_OK);
                let s = &imu[first..next_imu];
                assert_eq!(at_engine_push_imu(h, s.as_ptr(), s.len()), AT_OK);
                if k == 1_000 {
                    assert_eq!(
                        at_engine_push_input(h, end_us, AtInput::LightBarOn as i32),
                        AT_OK
                    );
                    // Time going backwards: rejected, message formatted, engine usable.
                    let rc = at_engine_push_input(h, 0, AtInput::SirenOn as i32);
                    assert_eq!(rc, AT_ERR_INPUT);
                    assert!(at_last_error(msg.as_mut_ptr(), msg.len()) > 0);
                    rejected += 1;
                }
                // Alternate the two audio entry points.
                let rc = if k % 2 == 0 {
                    at_engine_push_audio_f32(h, b.as_ptr(), b.len())
                } else {
                    let p = &pcm[k * block..k * block + b.len()];
                    at_engine_push_audio_i16(h, p.as_ptr(), p.len())
                };
                assert_eq!(rc, AT_OK);
                while at_engine_poll_decision(h, d.as_mut_ptr()) == 1 {
                    decisions += 1;
                    if d.assume_init_ref().cause == AtCause::Gunshot {
                        gunshots += 1;
                    }
                }
            }
        }
        // SAFETY: as above.
        unsafe {
            assert_eq!(at_engine_finish(h), AT_OK);
            while at_engine_poll_decision(h, d.as_mut_ptr()) == 1 {
                decisions += 1;
            }
            assert!(at_engine_state(h) > 0);
            assert_eq!(at_engine_reset(h), AT_OK);
        }
    });
    // SAFETY: `h` came from at_engine_new and is freed once.
    unsafe { at_engine_free(h) };
    assert_eq!(a.count, 0, "the C ABI allocated: {a:?}");
    eprintln!("C ABI: {decisions} decisions ({gunshots} gunshot), {rejected} rejected input");
    assert!(
        decisions >= 3 && gunshots > 0 && rejected == 1,
        "{decisions} {gunshots}"
    );
}

/// With a signing key set, polling (which copies each decision into the audit queue) and
/// reporting media segments still allocate nothing; only `at_engine_audit_line` (the logging
/// task: serializing, hashing, signing) does, and it is measured outside.
#[test]
fn c_abi_with_a_signing_key_polls_and_reports_segments_without_allocating() {
    const SECS: u32 = 120;
    let rate = 16_000;
    let (samples, _) = audio_scene(SECS, rate);
    let mut h: *mut AtEngine = std::ptr::null_mut();
    let key = [3u8; AT_KEY_LEN];
    let sha = [0x11u8; 32];
    // SAFETY: NULL policy (defaults), a valid out pointer, a 32-byte key, a C string.
    unsafe {
        assert_eq!(at_engine_new(std::ptr::null(), rate, &mut h), AT_OK);
        assert_eq!(
            at_engine_set_signing_key(h, key.as_ptr(), c"cam-alloc".as_ptr()),
            AT_OK
        );
    }
    let block = (rate / 100) as usize;
    let mut d = MaybeUninit::<AtDecision>::uninit();
    let mut line = vec![0 as c_char; 8192];
    let mut n = 0usize;
    let (mut decisions, mut lines, mut rt_allocs) = (0u32, 0u32, 0u64);
    for (k, b) in samples.chunks(block).enumerate() {
        let ((), a) = measure(|| {
            // SAFETY: `h` is live; the slices and `d` are valid.
            unsafe {
                assert_eq!(at_engine_push_audio_f32(h, b.as_ptr(), b.len()), AT_OK);
                while at_engine_poll_decision(h, d.as_mut_ptr()) == 1 {
                    decisions += 1;
                }
                if k % 500 == 499 {
                    assert_eq!(
                        at_engine_report_segment(h, c"cam/seg.mp4".as_ptr(), 1_000, sha.as_ptr()),
                        AT_OK
                    );
                }
            }
        });
        rt_allocs += a.count;
        // The logging task, outside the measured real-time path.
        // SAFETY: `line` has its length in writable bytes; `n` is valid.
        while unsafe { at_engine_audit_line(h, line.as_mut_ptr(), line.len(), &mut n) } == 1 {
            lines += 1;
        }
    }
    // SAFETY: `h` came from at_engine_new and is freed once.
    unsafe { at_engine_free(h) };
    assert_eq!(
        rt_allocs, 0,
        "push/poll/report allocated with a signing key set"
    );
    eprintln!("C ABI with a key: {decisions} decisions, {lines} audit lines");
    // The header, every decision, the 24 segments, and some checkpoints.
    assert!(decisions >= 3 && lines as u64 > 1 + u64::from(decisions) + 24);
}
