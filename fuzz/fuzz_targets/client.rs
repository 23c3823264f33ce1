//! A client `Connection` driven by a real handshake (seeded, deterministic)
//! against an in-process server to a chosen step, then fed the rest of the
//! input as an op script (datagrams, genuine deliveries with mutations,
//! polls, reads, writes, timers, heartbeat, close): see
//! `nanodtls_fuzz::run_conn_script` for the ops and the invariants.
//!
//! Input: setup bits (see `nanodtls_fuzz::Setup`), step (datagrams the
//! client receives before the script starts; large = handshake complete),
//! MTU index, then the ops.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nanodtls_fuzz::{run_conn_script, Input, Setup, Side, World};

fuzz_target!(|data: &[u8]| {
    let mut inp = Input::new(data);
    let (Some(bits), Some(step), Some(mtu)) = (inp.u8(), inp.u8(), inp.u8()) else { return };
    let setup = Setup::decode(bits, mtu, false);
    let mut w = World::at(setup, Side::Client, step.min(40));
    run_conn_script(&mut w, true, inp.rest());
});
