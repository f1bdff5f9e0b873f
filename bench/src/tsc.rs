//! The time-stamp counter: cycles of a short region, and its rate.
//!
//! This machine's virtual CPU exposes no hardware performance counters (`perf stat -e cycles`
//! reports "not supported"), so cycles are TSC cycles: the constant-rate counter
//! (`constant_tsc`), which equals core cycles only when the core runs at the TSC's rate.

use std::time::{Duration, Instant};

/// Reads the TSC after every earlier instruction has completed (LFENCE before RDTSC).
#[inline(always)]
pub fn start() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: LFENCE and RDTSC have no memory effects; both exist on every x86_64 CPU.
        unsafe {
            core::arch::x86_64::_mm_lfence();
            core::arch::x86_64::_rdtsc()
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        fallback_ns()
    }
}

/// Reads the TSC once the region before it has completed (RDTSCP), and keeps later
/// instructions from starting before the read (LFENCE after).
#[inline(always)]
pub fn stop() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let mut aux = 0u32;
        // SAFETY: RDTSCP writes only `aux`; LFENCE has no memory effects. RDTSCP is in every
        // x86_64 CPU this runs on (`rdtscp` flag); `lscpu` lists it.
        unsafe {
            let t = core::arch::x86_64::__rdtscp(&mut aux);
            core::arch::x86_64::_mm_lfence();
            t
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        fallback_ns()
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn fallback_ns() -> u64 {
    use std::sync::OnceLock;
    static T0: OnceLock<Instant> = OnceLock::new();
    T0.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// The cost of an empty `start()..stop()` region: the smallest of many, to subtract from
/// each measured region.
pub fn overhead() -> u64 {
    (0..10_000)
        .map(|_| {
            let t0 = start();
            stop().wrapping_sub(t0)
        })
        .min()
        .unwrap_or(0)
}

/// TSC ticks per nanosecond, measured against the monotonic clock over `span`.
pub fn ghz(span: Duration) -> f64 {
    let (i0, t0) = (Instant::now(), start());
    while i0.elapsed() < span {
        std::hint::spin_loop();
    }
    let (t1, dt) = (stop(), i0.elapsed());
    t1.wrapping_sub(t0) as f64 / dt.as_nanos().max(1) as f64
}

/// CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`): unlike wall time, it does not
/// grow while other programs run on the core.
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant Linux knows.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if r != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
