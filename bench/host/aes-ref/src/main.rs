//! AES-128-CCM-8 seal and open of 1 KiB payloads (13-byte AAD, as a DTLS
//! record has) with the `aes` crate's run-time detected AES-NI backend and
//! the `ccm` crate: a reference for scripts/bench-host.sh's record figures.
//! Median (min-max) MB/s (10^6 payload bytes) over 21 rounds of 4096
//! records, on this thread's CPU time.
use aes::Aes128;
use ccm::aead::{generic_array::GenericArray, AeadInPlace, KeyInit};
use ccm::consts::{U12, U8};
use std::time::Duration;

type Ccm8 = ccm::Ccm<Aes128, U8, U12>;

/// This thread's CPU time (as host_bench times), so that time the
/// scheduler gives other processes is not counted.
fn cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        eprintln!("aes-ref: clock_gettime failed");
        std::process::exit(1);
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn stats(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, n) = if quick { (1, 16) } else { (21, 4096) };
    let c = Ccm8::new(GenericArray::from_slice(&[7u8; 16]));
    let aad = [0x17u8; 13];
    let mut buf = vec![0x5au8; 1024];
    let (mut seal, mut open) = (Vec::new(), Vec::new());
    let mut tags = Vec::with_capacity(n);
    for _ in 0..rounds {
        tags.clear();
        let nonce = |i: usize| {
            let mut b = [0u8; 12];
            b[4..].copy_from_slice(&(i as u64).to_be_bytes());
            b
        };
        let t0 = cpu_time();
        for i in 0..n {
            let tag = c
                .encrypt_in_place_detached(GenericArray::from_slice(&nonce(i)), &aad, &mut buf)
                .unwrap_or_else(|_| std::process::exit(1));
            tags.push(tag);
        }
        let t1 = cpu_time();
        for i in (0..n).rev() {
            if c.decrypt_in_place_detached(GenericArray::from_slice(&nonce(i)), &aad, &mut buf, &tags[i]).is_err() {
                eprintln!("aes-ref: CCM open failed");
                std::process::exit(1);
            }
        }
        let t2 = cpu_time();
        let mb = (n * buf.len()) as f64 / 1e6;
        seal.push(mb / (t1 - t0).as_secs_f64());
        open.push(mb / (t2 - t1).as_secs_f64());
    }
    if buf.iter().any(|&b| b != 0x5a) {
        eprintln!("aes-ref: round trip changed the payload");
        std::process::exit(1);
    }
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    let aesni = if std::arch::is_x86_feature_detected!("aes") { "AES-NI on" } else { "AES-NI absent" };
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    let aesni = "not x86";
    let (s, o) = (stats(&mut seal), stats(&mut open));
    println!(
        "aes 0.8 + ccm 0.5 ({}), opt-level {}: seal {:.0} ({:.0}-{:.0}) MB/s, open {:.0} ({:.0}-{:.0}) MB/s",
        aesni,
        option_env!("AES_REF_OPT").unwrap_or("s"),
        s.0,
        s.1,
        s.2,
        o.0,
        o.1,
        o.2
    );
}
